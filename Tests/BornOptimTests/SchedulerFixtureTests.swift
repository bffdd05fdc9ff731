import Born
import BornTestSupport
import Testing

struct SchedulerFixture: Decodable, Sendable {
  struct Case: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var scheduler: String
    var options: [String: FixtureArg]
    var initialRates: [Double]
    var rates: [[Double]]

    enum CodingKeys: String, CodingKey {
      case name, scheduler, options, rates
      case initialRates = "initial_rates"
    }

    var testDescription: String { name }
  }

  var metrics: [Double]
  var cases: [Case]

  static let shared = loadOptimFixture("schedulers.json", as: SchedulerFixture.self)
}

@Suite("Schedulers against PyTorch")
struct SchedulerFixtureTests {
  static let fixture = SchedulerFixture.shared

  /// An optimizer with one group per initial rate (the default group first).
  func optimizer(_ rates: [Double]) -> SGD<Float, CPU> {
    var opt = SGD<Float, CPU>(learningRate: rates[0])
    for (i, r) in rates.enumerated().dropFirst() { opt.addGroup(.keys(["p\(i)"]), learningRate: r) }
    return opt
  }

  func expectClose(_ actual: [Double], _ expected: [Double], _ what: String) {
    let problem = firstMismatch(actual, expected, rtol: 1e-9, atol: 1e-15)
    #expect(problem == nil, "\(what): \(problem ?? "")")
  }

  /// Creates the scheduler on `opt`, checks the rates at step 0, then steps 100 times.
  func run<S: LearningRateScheduler>(
    _ c: SchedulerFixture.Case, _ opt: inout SGD<Float, CPU>, _ make: (inout SGD<Float, CPU>) -> S
  ) {
    var scheduler = make(&opt)
    expectClose(opt.learningRates, c.rates[0], "\(c.name) step 0")
    for (i, expected) in c.rates.enumerated().dropFirst() {
      scheduler.step(&opt)
      expectClose(opt.learningRates, expected, "\(c.name) step \(i)")
      #expect(scheduler.lastLearningRates == opt.learningRates)
      #expect(scheduler.lastStep == i)
    }
  }

  @Test(arguments: fixture.cases)
  func ratesMatchPyTorch(_ c: SchedulerFixture.Case) {
    var opt = optimizer(c.initialRates)
    let a = c.options
    func int(_ k: String) -> Int { a[k]!.int! }
    func number(_ k: String, _ fallback: Double) -> Double { a[k]?.double ?? fallback }
    switch c.scheduler {
    case "StepLR":
      run(c, &opt) { StepLR(&$0, stepSize: int("step_size"), gamma: number("gamma", 0.1)) }
    case "MultiStepLR":
      run(c, &opt) { MultiStepLR(&$0, milestones: a["milestones"]!.ints!, gamma: number("gamma", 0.1)) }
    case "ExponentialLR":
      run(c, &opt) { ExponentialLR(&$0, gamma: number("gamma", 0)) }
    case "CosineAnnealingLR":
      run(c, &opt) { CosineAnnealingLR(&$0, maximumSteps: int("T_max"), minimumRate: number("eta_min", 0)) }
    case "CosineAnnealingWarmRestarts":
      run(c, &opt) {
        CosineAnnealingWarmRestarts(
          &$0, firstPeriod: int("T_0"), periodMultiplier: int("T_mult"), minimumRate: number("eta_min", 0))
      }
    case "LinearLR":
      run(c, &opt) {
        LinearLR(
          &$0, startFactor: number("start_factor", 1.0 / 3), endFactor: number("end_factor", 1),
          totalIterations: int("total_iters"))
      }
    case "OneCycleLR":
      run(c, &opt) {
        OneCycleLR(
          &$0, maximumLearningRate: number("max_lr", 0), totalSteps: int("total_steps"),
          pctStart: number("pct_start", 0.3),
          annealStrategy: a["anneal_strategy"]?.string == "linear" ? .linear : .cosine,
          divFactor: number("div_factor", 25), finalDivFactor: number("final_div_factor", 1e4),
          threePhase: a["three_phase"]?.bool ?? false)
      }
    case "ReduceLROnPlateau":
      var plateau = ReduceLROnPlateau(
        mode: a["mode"]?.string == "max" ? .max : .min, factor: number("factor", 0.1),
        patience: a["patience"]?.int ?? 10, threshold: number("threshold", 1e-4),
        thresholdMode: a["threshold_mode"]?.string == "abs" ? .absolute : .relative,
        cooldown: a["cooldown"]?.int ?? 0, minimumRate: number("min_lr", 0))
      // Fixed metrics: a fall, a noisy plateau, then a rise.
      let metrics = Self.fixture.metrics
      expectClose(opt.learningRates, c.rates[0], "\(c.name) step 0")
      for (i, expected) in c.rates.enumerated().dropFirst() {
        plateau.step(&opt, metric: metrics[i - 1])
        expectClose(opt.learningRates, expected, "\(c.name) step \(i)")
      }
    default:
      Issue.record("unknown scheduler \(c.scheduler)")
    }
  }

  @Test func everySchedulerIsCovered() {
    let kinds = Set(Self.fixture.cases.map(\.scheduler))
    #expect(
      kinds == [
        "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "LinearLR",
        "OneCycleLR", "ReduceLROnPlateau",
      ])
  }

  @Test func schedulerDrivesTheOptimizerUsedForUpdates() {
    var opt = optimizer([0.1, 0.02])
    var schedule = StepLR(&opt, stepSize: 1, gamma: 0.5)
    schedule.step(&opt)
    #expect(opt.learningRate == 0.05)
    #expect(opt.learningRates == [0.05, 0.01])
    #expect(opt.groups[1].learningRate == 0.01)
    #expect(schedule.learningRates(at: 3) == [0.0125, 0.0025])
  }

  @Test func warmRestartPositions() {
    var opt = optimizer([0.1])
    let s = CosineAnnealingWarmRestarts(&opt, firstPeriod: 3, periodMultiplier: 2)
    let positions = (0..<12).map { s.position(at: $0) }
    #expect(positions.map(\.stepInPeriod) == [0, 1, 2, 0, 1, 2, 3, 4, 5, 0, 1, 2])
    #expect(positions.map(\.period) == [3, 3, 3, 6, 6, 6, 6, 6, 6, 12, 12, 12])
  }
}
