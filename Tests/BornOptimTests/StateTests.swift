import Born
import BornTestSupport
import Foundation
import Testing

@Suite("Optimizer state export and import")
struct StateTests {
  static let fixture = OptimizerFixture.shared

  func grads(_ model: TinyModel<Float>, _ step: Int) -> Gradients<CPU> {
    let g = Self.fixture.gradients[step % Self.fixture.gradients.count]
    return model.gradients(weight: g["weight"], bias: step == 1 ? nil : g["bias"])
  }

  /// Trains 6 steps without interruption, and 3 steps, then exports the state (through JSON),
  /// imports it into a fresh optimizer made by `makeFresh` and trains 3 more; the parameters must
  /// be bit-identical.
  func expectExactResume<O: Optimizer<Float, CPU>>(_ make: () -> O, fresh makeFresh: () -> O) throws {
    var straight = Self.fixture.model(Float.self)
    var opt = make()
    for i in 0..<6 { opt.step(&straight, gradients: grads(straight, i)) }

    var resumed = Self.fixture.model(Float.self)
    var first = make()
    for i in 0..<3 { first.step(&resumed, gradients: grads(resumed, i)) }
    let json = try JSONEncoder().encode(first.exportState())
    let saved = try JSONDecoder().decode(OptimizerState.self, from: json)
    #expect(saved == first.exportState())
    var second = makeFresh()
    try second.importState(saved)
    #expect(second.exportState() == saved)
    for i in 3..<6 { second.step(&resumed, gradients: grads(resumed, i)) }

    #expect(resumed.weightValues == straight.weightValues)
    #expect(resumed.biasValues == straight.biasValues)
    #expect(second.exportState() == opt.exportState())
  }

  @Test func sgdResumesExactly() throws {
    try expectExactResume(
      {
        var o = SGD<Float, CPU>(learningRate: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true)
        o.addGroup(.suffix("bias")) { $0.weightDecay = 0 }
        return o
      },
      fresh: {
        var o = SGD<Float, CPU>(learningRate: 1)
        o.addGroup(.suffix("bias"), learningRate: 1)
        return o
      })
  }

  @Test func adamResumesExactly() throws {
    try expectExactResume(
      { Adam<Float, CPU>(learningRate: 0.01, weightDecay: 0.1, amsgrad: true) }, fresh: { Adam<Float, CPU>() })
  }

  @Test func adamWResumesExactly() throws {
    try expectExactResume({ AdamW<Float, CPU>(learningRate: 0.01, beta1: 0.8) }, fresh: { AdamW<Float, CPU>() })
  }

  @Test func rmspropResumesExactly() throws {
    try expectExactResume(
      { RMSprop<Float, CPU>(learningRate: 0.01, weightDecay: 0.01, momentum: 0.5, centered: true) },
      fresh: { RMSprop<Float, CPU>() })
  }

  @Test func adagradResumesExactly() throws {
    try expectExactResume(
      { Adagrad<Float, CPU>(learningRate: 0.1, learningRateDecay: 0.01, initialAccumulatorValue: 0.1) },
      fresh: { Adagrad<Float, CPU>() })
  }

  @Test func exportedStateContents() {
    var model = Self.fixture.model(Float.self)
    var opt = Adam<Float, CPU>(learningRate: 0.01, amsgrad: true)
    opt.addGroup(.keys(["bias"]), learningRate: 0.03)
    for i in 0..<3 { opt.step(&model, gradients: grads(model, i)) }
    let state = opt.exportState()
    #expect(state.optimizer == "Adam")
    #expect(state.stepCount == 3)
    #expect(state.groups.map { $0["learningRate"] } == [0.01, 0.03])
    #expect(state.groups[0]["amsgrad"] == 1)
    #expect(state.parameters["weight"]?.step == 3)
    #expect(state.parameters["bias"]?.step == 2)  // no bias gradient at step 2
    let weight = state.parameters["weight"]!
    #expect(Set(weight.buffers.keys) == ["expAvg", "expAvgSq", "maxExpAvgSq"])
    #expect(weight.buffers["expAvg"]?.shape == [4, 3])
    #expect(weight.buffers["expAvg"]?.values.count == 12)
  }

  @Test func importRejectsMismatchedStates() {
    var model = Self.fixture.model(Float.self)
    var sgd = SGD<Float, CPU>(learningRate: 0.1, momentum: 0.9)
    sgd.step(&model, gradients: grads(model, 0))
    let state = sgd.exportState()

    var adam = Adam<Float, CPU>()
    #expect(throws: OptimizerStateError.optimizerMismatch(expected: "Adam", found: "SGD")) {
      try adam.importState(state)
    }
    var grouped = SGD<Float, CPU>(learningRate: 0.1)
    grouped.addGroup(.suffix("bias"), learningRate: 0.2)
    #expect(throws: OptimizerStateError.groupCountMismatch(expected: 2, found: 1)) {
      try grouped.importState(state)
    }
    var broken = state
    broken.groups[0]["momentum"] = nil
    var target = SGD<Float, CPU>(learningRate: 0.1)
    #expect(throws: OptimizerStateError.missingHyperparameter("momentum")) { try target.importState(broken) }
    broken = state
    broken.parameters["weight"]!.buffers["momentumBuffer"]!.values.removeLast()
    #expect(throws: OptimizerStateError.malformedBuffer(parameter: "weight", buffer: "momentumBuffer")) {
      try target.importState(broken)
    }
    // A failed import leaves the optimizer as it was.
    #expect(target.exportState().parameters.isEmpty)
    #expect(target.learningRate == 0.1)
  }

  @Test func parameterGroupsPickByKey() {
    var groups = ParameterGroups(defaults: SGDOptions(learningRate: 0.1, weightDecay: 1e-4))
    groups.append(ParameterGroup(.suffix(".bias") || .contains("norm"), options: SGDOptions(learningRate: 0.1)))
    groups.append(ParameterGroup(.prefix("head."), options: SGDOptions(learningRate: 0.5)))
    #expect(groups.count == 3)
    #expect(groups.index(forKey: "encoder.fc.weight") == 0)
    #expect(groups.index(forKey: "encoder.fc.bias") == 1)
    #expect(groups.index(forKey: "head.bias") == 1)  // the first matching group wins
    #expect(groups.index(forKey: "head.weight") == 2)
    #expect(groups.index(forKey: "layernorm.weight") == 1)
    #expect(groups.options(forKey: "encoder.fc.weight").weightDecay == 1e-4)
    #expect(groups.options(forKey: "encoder.fc.bias").weightDecay == 0)
    #expect(groups.learningRates == [0.1, 0.1, 0.5])
    groups.learningRates = [1, 2, 3]
    #expect(groups[2].learningRate == 3)
    let notHead = !ParameterSelector.prefix("head.") && .suffix("weight")
    #expect(notHead.matches("fc.weight") && !notHead.matches("head.weight") && !notHead.matches("fc.bias"))
  }
}
