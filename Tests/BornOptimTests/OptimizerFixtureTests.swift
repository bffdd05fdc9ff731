import Born
import BornTestSupport
import Testing

@Suite("Optimizers against PyTorch")
struct OptimizerFixtureTests {
  static let fixture = OptimizerFixture.shared

  /// Runs a fixture case for five steps and compares the parameters after every step.
  func run<E: FloatElement>(_ c: OptimizerFixture.Case, _: E.Type, rtol: Double, atol: Double) {
    var model = Self.fixture.model(E.self)
    var opt = makeOptimizer(c, E.self)
    for (i, expected) in c.steps.enumerated() {
      let g = Self.fixture.gradients[i]
      let grads = model.gradients(weight: g["weight"], bias: c.skipBiasGradient.contains(i) ? nil : g["bias"])
      opt.step(&model, gradients: grads)
      let w = firstMismatch(model.weightValues, expected["weight"]!, rtol: rtol, atol: atol)
      let b = firstMismatch(model.biasValues, expected["bias"]!, rtol: rtol, atol: atol)
      #expect(w == nil, "\(c.name) step \(i + 1) weight: \(w ?? "")")
      #expect(b == nil, "\(c.name) step \(i + 1) bias: \(b ?? "")")
      #expect(model.weight.requiresGrad() && model.bias.requiresGrad())
    }
  }

  @Test(arguments: fixture.cases)
  func float32MatchesPyTorch(_ c: OptimizerFixture.Case) {
    run(c, Float.self, rtol: 1e-4, atol: 1e-5)
  }

  @Test(
    arguments: fixture.cases.filter { ["adam", "adamw_groups", "rmsprop_centered", "sgd_nesterov"].contains($0.name) })
  func float64MatchesPyTorch(_ c: OptimizerFixture.Case) {
    run(c, Double.self, rtol: 1e-4, atol: 1e-5)
  }

  @Test func everyConfigurationIsCovered() {
    let names = Set(Self.fixture.cases.map(\.name))
    for required in [
      "sgd_plain", "sgd_momentum", "sgd_nesterov", "sgd_weight_decay", "sgd_dampening", "adam", "adam_amsgrad",
      "adam_weight_decay", "adamw", "rmsprop", "rmsprop_centered", "rmsprop_momentum", "adagrad",
    ] {
      #expect(names.contains(required), "missing fixture case \(required)")
    }
  }

  @Test func parametersWithoutGradientsAreLeftAlone() {
    var model = Self.fixture.model(Float.self)
    let bias = model.bias
    var opt = SGD<Float, CPU>(learningRate: 0.1, momentum: 0.9)
    opt.step(&model, gradients: model.gradients(weight: Self.fixture.gradients[0]["weight"], bias: nil))
    #expect(model.bias.storage === bias.storage)
    #expect(opt.exportState().parameters.keys.sorted() == ["weight"])
    #expect(opt.stepCount == 1)
  }
}
