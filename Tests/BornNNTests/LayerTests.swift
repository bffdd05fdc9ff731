import Born
import BornTestSupport
import Testing

func expectMatches(
  _ t: Tensor<Float, CPU>, _ expected: FixtureTensor, _ what: String, rtol: Double = 1e-5, atol: Double = 1e-5
) {
  let (v, s) = values(t)
  let problem = mismatch(v, s, expected, rtol: rtol, atol: atol)
  #expect(problem == nil, "\(what): \(problem ?? "")")
}

@Suite("Layers against PyTorch")
struct LayerTests {
  @Test func layersMatchPyTorch() throws {
    for c in try loadFixtureCases("nn/layers.json") {
      func input(_ i: Int) -> Tensor<Float, CPU> { c.inputs[i].tensor(Float.self) }
      let x = FT(constant: input(0)).requiringGrad()
      let seedOf = { (y: FT) in Tensor<Float, CPU>.linspace(-1, 1, count: y.count).reshaped(y.shape) }
      switch c.op {
      case "batchnorm":
        var bn = BatchNorm<Float, AD>(channels: input(1).count)
        bn.weight = FT(constant: input(1))
        bn.bias = FT(constant: input(2))
        let y = bn(x)
        expectMatches(y.baseTensor(), c.outputs[0], c.name)
        if c.args["no_grad"] == nil {
          expectMatches(y.backward(seed: seedOf(y))[x]!, c.outputs[1], c.name + " grad", atol: 1e-4)
        }
        expectMatches(bn.running.mean.baseTensor(), c.outputs[2], c.name + " running mean")
        expectMatches(bn.running.variance.baseTensor(), c.outputs[3], c.name + " running var")
      case "batchnorm_eval":
        var bn = BatchNorm<Float, AD>(channels: input(1).count)
        bn.weight = FT(constant: input(1))
        bn.bias = FT(constant: input(2))
        bn.running.mean = FT(constant: input(3))
        bn.running.variance = FT(constant: input(4))
        expectMatches(evaluating { bn(x) }.baseTensor(), c.outputs[0], c.name)
      case "layernorm":
        var ln = LayerNorm<Float, AD>(input(1).shape.array)
        ln.weight = FT(constant: input(1))
        ln.bias = FT(constant: input(2))
        let y = ln(x)
        expectMatches(y.baseTensor(), c.outputs[0], c.name)
        expectMatches(y.backward(seed: seedOf(y))[x]!, c.outputs[1], c.name + " grad", atol: 1e-4)
      case "rmsnorm":
        var rms = RMSNorm<Float, AD>(input(1).count)
        rms.weight = FT(constant: input(1))
        let y = rms(x)
        expectMatches(y.baseTensor(), c.outputs[0], c.name)
        expectMatches(y.backward(seed: seedOf(y))[x]!, c.outputs[1], c.name + " grad", atol: 1e-4)
      case "groupnorm":
        var gn = GroupNorm<Float, AD>(groups: c.args["groups"]!.int!, channels: input(1).count)
        gn.weight = FT(constant: input(1))
        gn.bias = FT(constant: input(2))
        let y = gn(x)
        expectMatches(y.baseTensor(), c.outputs[0], c.name)
        expectMatches(y.backward(seed: seedOf(y))[x]!, c.outputs[1], c.name + " grad", atol: 1e-4)
      case "adaptive_avg":
        let size = c.args["size"]!.ints!
        expectMatches(AdaptiveAvgPool2d<Float, CPU>((size[0], size[1]))(input(0)), c.outputs[0], c.name)
      default:
        Issue.record("unknown layer case \(c.op)")
      }
    }
  }

  @Test func referenceModelsHaveTheDocumentedParameterCounts() {
    var g = RandomGenerator(seed: 0)
    let mlp = Sequential {
      Linear<Float, CPU>(784, 128, using: &g)
      ReLU<Float, CPU>()
      Linear<Float, CPU>(128, 10, using: &g)
    }
    #expect(mlp.parameterCount == 101_770)
    #expect(mlp.parameterKeys == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"])
    let lenet = Sequential {
      Conv2d<Float, CPU>(1, 6, kernelSize: (5, 5), using: &g)
      ReLU<Float, CPU>()
      MaxPool2d<Float, CPU>(2)
      Conv2d<Float, CPU>(6, 16, kernelSize: (5, 5), using: &g)
      ReLU<Float, CPU>()
      MaxPool2d<Float, CPU>(2)
      Flatten<Float, CPU>()
      Linear<Float, CPU>(256, 120, using: &g)
      ReLU<Float, CPU>()
      Linear<Float, CPU>(120, 84, using: &g)
      ReLU<Float, CPU>()
      Linear<Float, CPU>(84, 10, using: &g)
    }
    #expect(lenet.parameterCount == 44_426)
    let rows = lenet.summaryRows(for: .zeros([1, 1, 28, 28]))
    #expect(rows.count == 12)
    #expect(rows[0].name == "Conv2d" && rows[0].outputShape == [1, 6, 24, 24] && rows[0].parameterCount == 156)
    #expect(rows[6].outputShape == [1, 256])
    #expect(rows[11].outputShape == [1, 10])
    let text = lenet.summary(for: .zeros([1, 1, 28, 28]))
    #expect(text.contains("Total parameters: 44426"))
    #expect(ModuleAudit.forgottenParameters(in: lenet).isEmpty)
  }

  @Test func auditFindsAForgottenParameter() {
    struct Leaky: Module {
      var kept = Tensor<Float, CPU>.ones([2])
      var forgotten = Tensor<Float, CPU>.ones([3])
      mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Float, CPU>) {
        visit(prefix + "kept", &kept)
      }
    }
    #expect(ModuleAudit.forgottenParameters(in: Leaky()) == ["forgotten"])
  }

  @Test func batchNormBuffersAreVisited() {
    var bn = BatchNorm<Float, CPU>(channels: 3)
    #expect(bn.buffers.map(\.key) == ["running_mean", "running_var"])
    var keys: [String] = []
    bn.visitParameters(prefix: "bn.") { k, _ in keys.append(k) }
    #expect(keys == ["bn.weight", "bn.bias"])
  }

  @Test func dropoutTrainsAndEvaluates() {
    let d = Dropout<Float, CPU>(p: 0.25, seed: 3)
    let x = Tensor<Float, CPU>.ones([10000])
    let y = d(x).toArray()
    let zeros = y.filter { $0 == 0 }.count
    #expect(abs(Double(zeros) / 10000 - 0.25) < 0.03)
    #expect(y.allSatisfy { $0 == 0 || abs($0 - 4.0 / 3.0) < 1e-6 })
    #expect(evaluating { d(x) }.toArray() == x.toArray())
  }

  @Test func initializersMatchTheirDistributions() {
    var g = RandomGenerator(seed: 5)
    let w: Tensor<Float, CPU> = Initializer.kaimingUniform([400, 500], using: &g)
    let bound = Float(3.0.squareRoot() * Initializer.gain("leaky_relu", parameter: 0) / 500.0.squareRoot())
    #expect(w.max().item() <= bound && w.min().item() >= -bound)
    let n: Tensor<Float, CPU> = Initializer.xavierNormal([300, 700], using: &g)
    let std = n.standardDeviation().item()
    #expect(abs(std - Float((2.0 / 1000).squareRoot())) < 0.001)
    let lin = Linear<Float, CPU>(100, 10, using: &g)
    #expect(lin.weight.abs().max().item() <= 0.1)
    #expect(lin.bias!.abs().max().item() <= 0.1)
  }
}
