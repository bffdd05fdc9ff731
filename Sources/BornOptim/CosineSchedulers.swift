#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Anneals the rate from its base value to `minimumRate` along half a cosine over
/// `maximumSteps` steps (`torch.optim.lr_scheduler.CosineAnnealingLR`). Past `maximumSteps`
/// the cosine continues, so the rate rises again.
///
/// ```swift
/// var schedule = CosineAnnealingLR(&opt, maximumSteps: 100)
/// ```
public struct CosineAnnealingLR: LearningRateScheduler, Equatable, Codable {
  /// The number of steps taken.
  public var lastStep = 0
  /// Each group's initial rate.
  public let baseRates: [Double]
  /// The half period in steps (PyTorch's `T_max`).
  public let maximumSteps: Int
  /// The lowest rate (PyTorch's `eta_min`).
  public let minimumRate: Double

  /// A schedule for `optimizer`'s current rates.
  public init<O: Optimizer>(_ optimizer: inout O, maximumSteps: Int, minimumRate: Double = 0) {
    precondition(maximumSteps > 0, "CosineAnnealingLR: maximum steps must be positive, got \(maximumSteps)")
    baseRates = optimizer.learningRates
    self.maximumSteps = maximumSteps
    self.minimumRate = minimumRate
    apply(to: &optimizer)
  }

  /// `minimumRate + (baseRate − minimumRate) · (1 + cos(π · step / maximumSteps)) / 2`.
  public func learningRate(at step: Int, baseRate: Double) -> Double {
    minimumRate + (baseRate - minimumRate) * (1 + cos(Double.pi * Double(step) / Double(maximumSteps))) / 2
  }
}

/// Cosine annealing that restarts from the base rate, with periods of `firstPeriod` steps
/// multiplied by `periodMultiplier` after each restart
/// (`torch.optim.lr_scheduler.CosineAnnealingWarmRestarts`, stepped once per step).
///
/// ```swift
/// var schedule = CosineAnnealingWarmRestarts(&opt, firstPeriod: 10, periodMultiplier: 2)
/// ```
public struct CosineAnnealingWarmRestarts: LearningRateScheduler, Equatable, Codable {
  /// The number of steps taken.
  public var lastStep = 0
  /// Each group's initial rate.
  public let baseRates: [Double]
  /// The length of the first period (PyTorch's `T_0`).
  public let firstPeriod: Int
  /// The factor by which each period is longer than the previous one (PyTorch's `T_mult`).
  public let periodMultiplier: Int
  /// The lowest rate (PyTorch's `eta_min`).
  public let minimumRate: Double

  /// A schedule for `optimizer`'s current rates.
  public init<O: Optimizer>(
    _ optimizer: inout O, firstPeriod: Int, periodMultiplier: Int = 1, minimumRate: Double = 0
  ) {
    precondition(firstPeriod > 0, "CosineAnnealingWarmRestarts: first period must be positive, got \(firstPeriod)")
    precondition(periodMultiplier >= 1, "CosineAnnealingWarmRestarts: multiplier must be ≥ 1, got \(periodMultiplier)")
    baseRates = optimizer.learningRates
    self.firstPeriod = firstPeriod
    self.periodMultiplier = periodMultiplier
    self.minimumRate = minimumRate
    apply(to: &optimizer)
  }

  /// The position within the current period and that period's length after `step` steps
  /// (PyTorch's `T_cur` and `T_i`).
  public func position(at step: Int) -> (stepInPeriod: Int, period: Int) {
    if periodMultiplier == 1 { return (step % firstPeriod, firstPeriod) }
    var current = step
    var period = firstPeriod
    while current >= period {
      current -= period
      period *= periodMultiplier
    }
    return (current, period)
  }

  /// `minimumRate + (baseRate − minimumRate) · (1 + cos(π · T_cur / T_i)) / 2`.
  public func learningRate(at step: Int, baseRate: Double) -> Double {
    let (current, period) = position(at: step)
    return minimumRate + (baseRate - minimumRate) * (1 + cos(Double.pi * Double(current) / Double(period))) / 2
  }
}

/// The one-cycle policy (`torch.optim.lr_scheduler.OneCycleLR`): the rate rises from
/// `maxRate / divFactor` to `maxRate` over the first `pctStart` of `totalSteps`, then falls to
/// `maxRate / (divFactor · finalDivFactor)` (with `threePhase`, it first falls back to the
/// initial rate and then to the minimum).
///
/// The optimizer's rates are replaced at creation: the default group peaks at
/// `maximumLearningRate` and every other group at a rate in the same proportion to the default
/// group's as its current rate. Momentum cycling (PyTorch's `cycle_momentum`) is not done: the
/// optimizer's momentum stays as it is. Stepping past `totalSteps` stops with a message, as in
/// PyTorch.
///
/// ```swift
/// var schedule = OneCycleLR(&opt, maximumLearningRate: 0.1, totalSteps: epochs * batchesPerEpoch)
/// ```
public struct OneCycleLR: LearningRateScheduler, Equatable, Codable {
  /// How the rate moves between two values.
  public enum AnnealStrategy: Sendable, Equatable, Codable {
    /// Half a cosine.
    case cosine
    /// A straight line.
    case linear
  }

  /// The number of steps taken.
  public var lastStep = 0
  /// Each group's peak rate.
  public let baseRates: [Double]
  /// The length of the cycle in steps.
  public let totalSteps: Int
  /// The fraction of the cycle spent raising the rate.
  public let pctStart: Double
  /// How the rate moves within a phase.
  public let annealStrategy: AnnealStrategy
  /// The peak rate divided by the initial rate.
  public let divFactor: Double
  /// The initial rate divided by the final rate.
  public let finalDivFactor: Double
  /// Whether to use three phases (up, back down to the initial rate, down to the minimum).
  public let threePhase: Bool

  /// A one-cycle schedule peaking at `maximumLearningRate` for the default group (PyTorch's
  /// defaults otherwise).
  public init<O: Optimizer>(
    _ optimizer: inout O, maximumLearningRate: Double, totalSteps: Int, pctStart: Double = 0.3,
    annealStrategy: AnnealStrategy = .cosine, divFactor: Double = 25, finalDivFactor: Double = 1e4,
    threePhase: Bool = false
  ) {
    precondition(totalSteps > 0, "OneCycleLR: total steps must be positive, got \(totalSteps)")
    precondition(pctStart >= 0 && pctStart <= 1, "OneCycleLR: pctStart must be in [0, 1], got \(pctStart)")
    let rates = optimizer.learningRates
    baseRates = rates.indices.map { i in
      i == 0 || rates[0] == 0 ? maximumLearningRate : maximumLearningRate * (rates[i] / rates[0])
    }
    self.totalSteps = totalSteps
    self.pctStart = pctStart
    self.annealStrategy = annealStrategy
    self.divFactor = divFactor
    self.finalDivFactor = finalDivFactor
    self.threePhase = threePhase
    apply(to: &optimizer)
  }

  /// The rate at `step` for a group peaking at `baseRate`.
  public func learningRate(at step: Int, baseRate maxRate: Double) -> Double {
    precondition(step <= totalSteps, "OneCycleLR: stepped \(step) times; the cycle has \(totalSteps) steps")
    let initialRate = maxRate / divFactor
    let minimumRate = initialRate / finalDivFactor
    let total = Double(totalSteps)
    // (last step of the phase, rate at its start, rate at its end)
    let phases: [(end: Double, from: Double, to: Double)] =
      threePhase
      ? [
        (pctStart * total - 1, initialRate, maxRate),
        (2 * pctStart * total - 2, maxRate, initialRate),
        (total - 1, initialRate, minimumRate),
      ]
      : [(pctStart * total - 1, initialRate, maxRate), (total - 1, maxRate, minimumRate)]
    let s = Double(step)
    var start = 0.0
    for (i, phase) in phases.enumerated() {
      if s <= phase.end || i == phases.count - 1 {
        let pct = (s - start) / (phase.end - start)
        return anneal(from: phase.from, to: phase.to, pct)
      }
      start = phase.end
    }
    return minimumRate
  }

  private func anneal(from start: Double, to end: Double, _ pct: Double) -> Double {
    switch annealStrategy {
    case .cosine: end + (start - end) / 2 * (cos(Double.pi * pct) + 1)
    case .linear: (end - start) * pct + start
    }
  }
}
