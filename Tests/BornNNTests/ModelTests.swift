import Born
import BornTestSupport
import FoundationEssentials
import Testing

/// A small model's initial parameters, batch, loss, gradients and parameters after optimizer
/// steps, written by PyTorch.
struct ModelFixture: Decodable {
  var name: String
  var params: [String: FixtureTensor]
  var input: FixtureTensor
  var target: FixtureTensor
  var loss: Double
  var grads: [String: FixtureTensor]
  var steps: [String: [String: FixtureTensor]]
}

func loadModelFixtures() throws -> [ModelFixture] {
  let url = URL(fileURLWithPath: fixturesDirectory + "/nn/models.json")
  return try JSONDecoder().decode([ModelFixture].self, from: Data(contentsOf: url))
}

/// PyTorch's nn.Sequential keys ("0.weight") as Born's ("layers.0.weight").
func bornKey(_ torchKey: String) -> String { "layers." + torchKey }

/// Models that map FT batches to FT logits (what the fixtures' models are).
protocol FixtureModel: Layer where Input == FT, Output == FT, Element == Float, B == AD {}

extension Sequential: FixtureModel where Body.Input == FT, Body.Output == FT, Body.Element == Float, Body.B == AD {}

/// PyTorch's `nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(3, 4, 3, padding=1),
/// nn.ReLU(), nn.Flatten(), nn.Linear(36, 5))` (weights come from the fixture).
func smallCNN() -> some FixtureModel {
  var g = RandomGenerator(seed: 0)
  return Sequential {
    Conv2d<Float, AD>(1, 3, kernelSize: (3, 3), using: &g)
    ReLU<Float, AD>()
    MaxPool2d<Float, AD>(2)
    Conv2d<Float, AD>(3, 4, kernelSize: (3, 3), padding: (1, 1), using: &g)
    ReLU<Float, AD>()
    Flatten<Float, AD>()
    Linear<Float, AD>(36, 5, using: &g)
  }
}

func smallMLP() -> Sequential<Chain<Chain<Linear<Float, AD>, ReLU<Float, AD>>, Linear<Float, AD>>> {
  var g = RandomGenerator(seed: 0)
  return Sequential {
    Linear<Float, AD>(12, 8, using: &g)
    ReLU<Float, AD>()
    Linear<Float, AD>(8, 5, using: &g)
  }
}

/// Loads the fixture's parameters into `model` (every key must be present).
func load<M: Module>(_ fixture: [String: FixtureTensor], into model: inout M) where M.Element == Float, M.B == AD {
  var seen = 0
  model.visitParameters { key, p in
    let torchKey = String(key.dropFirst("layers.".count))
    guard let t = fixture[torchKey] else {
      Issue.record("fixture lacks \(torchKey)")
      return
    }
    #expect(t.shape == p.shape.array, "\(key): \(t.shape) vs \(p.shape)")
    p = FT(constant: t.tensor(Float.self)).requiringGrad()
    seen += 1
  }
  #expect(seen == fixture.count)
}

@Suite("Models against PyTorch")
struct ModelTests {
  func check<L: Layer>(_ model: L, _ f: ModelFixture)
  where L.Element == Float, L.B == AD, L.Input == FT, L.Output == FT {
    var m = model
    load(f.params, into: &m)
    let x = FT(constant: f.input.tensor(Float.self))
    let y = Tensor<Int64, AD>(constant: f.target.tensor(Int64.self))
    let loss = Loss.crossEntropy(m(x), y)
    #expect(
      abs(Double(loss.item()) - f.loss) <= 1e-5 * abs(f.loss) + 1e-6, "\(f.name) loss \(loss.item()) vs \(f.loss)")
    let grads = loss.backward()
    for (key, p) in m.parameters {
      let torchKey = String(key.dropFirst("layers.".count))
      guard let g = grads[p], let expected = f.grads[torchKey] else {
        Issue.record("\(f.name): no gradient for \(key)")
        continue
      }
      let (v, s) = values(g)
      let problem = mismatch(v, s, expected, rtol: 1e-4, atol: 1e-5)
      #expect(problem == nil, "\(f.name) \(key): \(problem ?? "")")
    }
  }

  /// Five steps of `optimizer` on the fixture batch, compared with PyTorch's parameters.
  func checkSteps<L: Layer, O: Optimizer>(_ model: L, _ f: ModelFixture, _ name: String, _ optimizer: O)
  where L.Element == Float, L.B == AD, L.Input == FT, L.Output == FT, O.Element == Float, O.Base == CPU {
    var m = model
    var opt = optimizer
    load(f.params, into: &m)
    let x = FT(constant: f.input.tensor(Float.self))
    let y = Tensor<Int64, AD>(constant: f.target.tensor(Int64.self))
    for _ in 0..<5 {
      let loss = Loss.crossEntropy(m(x), y)
      opt.step(&m, gradients: loss.backward())
    }
    guard let expected = f.steps[name] else {
      Issue.record("\(f.name): no \(name) fixture")
      return
    }
    for (key, p) in m.parameters {
      let (v, s) = values(p.baseTensor())
      let problem = mismatch(v, s, expected[String(key.dropFirst("layers.".count))]!, rtol: 1e-4, atol: 1e-5)
      #expect(problem == nil, "\(f.name) \(name) \(key): \(problem ?? "")")
    }
  }

  @Test func optimizerStepsMatchPyTorch() throws {
    for f in try loadModelFixtures() {
      func run<O: Optimizer>(_ name: String, _ opt: O) where O.Element == Float, O.Base == CPU {
        if f.name == "mlp" {
          checkSteps(smallMLP(), f, name, opt)
        } else {
          checkSteps(smallCNN(), f, name, opt)
        }
      }
      run("sgd", SGD<Float, CPU>(learningRate: 0.1, momentum: 0.9, weightDecay: 1e-3, nesterov: true))
      run("adam", Adam<Float, CPU>(learningRate: 0.01))
      run("adamw", AdamW<Float, CPU>(learningRate: 0.01, weightDecay: 0.05, amsgrad: true))
      run("rmsprop", RMSprop<Float, CPU>(learningRate: 0.01, momentum: 0.5, centered: true))
      run("adagrad", Adagrad<Float, CPU>(learningRate: 0.05, learningRateDecay: 0.01))
    }
  }

  @Test func lossAndGradientsMatchPyTorch() throws {
    let fixtures = try loadModelFixtures()
    check(smallMLP(), fixtures.first { $0.name == "mlp" }!)
    check(smallCNN(), fixtures.first { $0.name == "cnn" }!)
  }
}
