import Born
import BornTestSupport
import FoundationEssentials
import Testing

typealias AD = Autodiff<CPU>

/// A model with two parameters, "weight" and "bias", of any shapes.
struct TinyModel<E: FloatElement>: Module {
  var weight: Tensor<E, AD>
  var bias: Tensor<E, AD>

  init(weight: [Double], weightShape: Shape, bias: [Double], biasShape: Shape) {
    self.weight = Tensor(weight.map { E(bornConverting: $0) }, shape: weightShape).requiringGrad()
    self.bias = Tensor(bias.map { E(bornConverting: $0) }, shape: biasShape).requiringGrad()
  }

  mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<E, AD>) {
    visit(prefix + "weight", &weight)
    visit(prefix + "bias", &bias)
  }

  /// Gradients equal to the given values (nil: that parameter gets none), from the loss
  /// Σ weight ⊙ gw + Σ bias ⊙ gb.
  func gradients(weight gw: [Double]?, bias gb: [Double]?) -> Gradients<CPU> {
    var terms: [Tensor<E, AD>] = []
    if let gw { terms.append((weight * Tensor(gw.map { E(bornConverting: $0) }, shape: weight.shape)).sum()) }
    if let gb { terms.append((bias * Tensor(gb.map { E(bornConverting: $0) }, shape: bias.shape)).sum()) }
    return terms.dropFirst().reduce(terms[0], +).backward()
  }

  var weightValues: [Double] { weight.baseTensor().toArray().map(\.bornDouble) }
  var biasValues: [Double] { bias.baseTensor().toArray().map(\.bornDouble) }
}

/// The first element where `actual` and `expected` differ by more than `atol + rtol·|expected|`.
func firstMismatch(_ actual: [Double], _ expected: [Double], rtol: Double, atol: Double) -> String? {
  guard actual.count == expected.count else { return "\(actual.count) values, expected \(expected.count)" }
  for (i, (a, e)) in zip(actual, expected).enumerated() where !(abs(a - e) <= atol + rtol * abs(e)) {
    return "element \(i): \(a), expected \(e) (|diff| \(abs(a - e)))"
  }
  return nil
}

/// Decodes `Tests/Fixtures/optim/<name>`.
func loadOptimFixture<T: Decodable>(_ name: String, as: T.Type) -> T {
  let url = URL(fileURLWithPath: fixturesDirectory + "/optim/" + name)
  do {
    return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
  } catch {
    fatalError("cannot read fixture \(name): \(error)")
  }
}

// MARK: - optimizers.json

struct OptimizerFixture: Decodable, Sendable {
  struct Values: Decodable, Sendable {
    var shape: [Int]
    var values: [Double]
  }

  struct Case: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var optimizer: String
    var options: [String: FixtureArg]
    var biasGroup: [String: FixtureArg]?
    var skipBiasGradient: [Int]
    var steps: [[String: [Double]]]

    enum CodingKeys: String, CodingKey {
      case name, optimizer, options, steps
      case biasGroup = "bias_group"
      case skipBiasGradient = "skip_bias_gradient"
    }

    var testDescription: String { name }
  }

  var weight: Values
  var bias: Values
  var gradients: [[String: [Double]]]
  var cases: [Case]

  static let shared = loadOptimFixture("optimizers.json", as: OptimizerFixture.self)

  func model<E: FloatElement>(_: E.Type) -> TinyModel<E> {
    TinyModel(
      weight: weight.values, weightShape: Shape(weight.shape), bias: bias.values, biasShape: Shape(bias.shape))
  }
}

extension [String: FixtureArg] {
  func number(_ key: String, _ fallback: Double) -> Double { self[key]?.double ?? fallback }
  func flag(_ key: String) -> Bool { self[key]?.bool ?? false }
  /// PyTorch's `betas` pair.
  var betas: (Double, Double) {
    if case .array(let pair)? = self["betas"] { return (pair[0].double!, pair[1].double!) }
    return (0.9, 0.999)
  }
}

/// The Born optimizer for a fixture case: PyTorch's keyword arguments mapped to Born's options,
/// with the bias in a group of its own when the case has one.
func makeOptimizer<E: FloatElement>(_ c: OptimizerFixture.Case, _: E.Type) -> any Optimizer<E, CPU> {
  let merged = c.biasGroup.map { c.options.merging($0) { $1 } }
  let biasOnly = ParameterSelector.keys(["bias"])
  func sgd(_ a: [String: FixtureArg]) -> SGDOptions {
    SGDOptions(
      learningRate: a.number("lr", 0), momentum: a.number("momentum", 0), dampening: a.number("dampening", 0),
      weightDecay: a.number("weight_decay", 0), nesterov: a.flag("nesterov"))
  }
  func adam(_ a: [String: FixtureArg], decay: Double) -> AdamOptions {
    AdamOptions(
      learningRate: a.number("lr", 1e-3), beta1: a.betas.0, beta2: a.betas.1, epsilon: a.number("eps", 1e-8),
      weightDecay: a.number("weight_decay", decay), amsgrad: a.flag("amsgrad"))
  }
  func rmsprop(_ a: [String: FixtureArg]) -> RMSpropOptions {
    RMSpropOptions(
      learningRate: a.number("lr", 1e-2), alpha: a.number("alpha", 0.99), epsilon: a.number("eps", 1e-8),
      weightDecay: a.number("weight_decay", 0), momentum: a.number("momentum", 0), centered: a.flag("centered"))
  }
  func adagrad(_ a: [String: FixtureArg]) -> AdagradOptions {
    AdagradOptions(
      learningRate: a.number("lr", 1e-2), learningRateDecay: a.number("lr_decay", 0),
      weightDecay: a.number("weight_decay", 0),
      initialAccumulatorValue: a.number("initial_accumulator_value", 0), epsilon: a.number("eps", 1e-10))
  }
  switch c.optimizer {
  case "sgd":
    var o = SGD<E, CPU>(sgd(c.options))
    if let merged { o.addGroup(biasOnly, options: sgd(merged)) }
    return o
  case "adam":
    var o = Adam<E, CPU>(adam(c.options, decay: 0))
    if let merged { o.addGroup(biasOnly, options: adam(merged, decay: 0)) }
    return o
  case "adamw":
    var o = AdamW<E, CPU>(adam(c.options, decay: 1e-2))
    if let merged { o.addGroup(biasOnly, options: adam(merged, decay: 1e-2)) }
    return o
  case "rmsprop":
    var o = RMSprop<E, CPU>(rmsprop(c.options))
    if let merged { o.addGroup(biasOnly, options: rmsprop(merged)) }
    return o
  case "adagrad":
    var o = Adagrad<E, CPU>(adagrad(c.options))
    if let merged { o.addGroup(biasOnly, options: adagrad(merged)) }
    return o
  default:
    fatalError("unknown optimizer \(c.optimizer)")
  }
}
