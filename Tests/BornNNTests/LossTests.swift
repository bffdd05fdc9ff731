import Born
import BornTestSupport
import Testing

typealias AD = Autodiff<CPU>
typealias FT = Tensor<Float, AD>

func reduction(_ name: String?) -> Reduction {
  switch name {
  case "sum": .sum
  case "none": .none
  case "batchmean": .batchMean
  default: .mean
  }
}

/// Runs a loss case: the loss, and the gradient of Σ loss · seed with respect to the first input
/// (the seed is PyTorch's: ones for a scalar, linspace(-1, 1) otherwise).
func runLoss(_ c: FixtureCase) -> (FT, Tensor<Float, CPU>?) {
  let x = FT(constant: c.inputs[0].tensor(Float.self)).requiringGrad()
  func f(_ i: Int) -> FT { FT(constant: c.inputs[i].tensor(Float.self)) }
  func ids(_ i: Int) -> Tensor<Int64, AD> { Tensor<Int64, AD>(constant: c.inputs[i].tensor(Int64.self)) }
  let r = reduction(c.args["reduction"]?.string)
  let out: FT
  switch c.op {
  case "cross_entropy":
    out = Loss.crossEntropy(
      x, ids(1), weight: c.args["has_weight"]?.bool == true ? f(2) : nil,
      labelSmoothing: c.args["label_smoothing"]?.double ?? 0, reduction: r)
  case "cross_entropy_probs":
    out = Loss.crossEntropy(
      x, probabilities: f(1), labelSmoothing: c.args["label_smoothing"]?.double ?? 0, reduction: r)
  case "nll": out = Loss.nll(x, ids(1), weight: c.args["has_weight"]?.bool == true ? f(2) : nil, reduction: r)
  case "mse": out = Loss.mse(x, f(1), reduction: r)
  case "l1": out = Loss.l1(x, f(1), reduction: r)
  case "smooth_l1": out = Loss.smoothL1(x, f(1), beta: c.args["beta"]!.double!, reduction: r)
  case "huber": out = Loss.huber(x, f(1), delta: c.args["delta"]!.double!, reduction: r)
  case "bce":
    out = Loss.binaryCrossEntropy(x, f(1), weight: c.args["has_weight"]?.bool == true ? f(2) : nil, reduction: r)
  case "bce_logits":
    out = Loss.binaryCrossEntropyWithLogits(
      x, f(1), positiveWeight: c.args["has_pos_weight"]?.bool == true ? f(2) : nil, reduction: r)
  case "kl": out = Loss.klDivergence(x, f(1), reduction: r, logTarget: c.args["log_target"]!.bool!)
  default: fatalError("unknown loss \(c.op)")
  }
  let seed: Tensor<Float, CPU> =
    out.count == 1 ? .ones(out.shape) : Tensor<Float, CPU>.linspace(-1, 1, count: out.count).reshaped(out.shape)
  let grads = out.backward(seed: seed)
  return (out, grads[x])
}

@Suite("Losses against PyTorch")
struct LossTests {
  @Test func lossesMatchPyTorch() throws {
    let cases = try loadFixtureCases("nn/losses.json")
    #expect(cases.count > 40)
    for c in cases {
      let (out, grad) = runLoss(c)
      let (v, s) = values(out.baseTensor())
      let p1 = mismatch(v, s, c.outputs[0], rtol: 1e-5, atol: 1e-6)
      #expect(p1 == nil, "\(c.name) loss: \(p1 ?? "")")
      if c.outputs.count > 1 {
        guard let grad else {
          Issue.record("\(c.name): no gradient")
          continue
        }
        let (gv, gs) = values(grad)
        let p2 = mismatch(gv, gs, c.outputs[1], rtol: 1e-5, atol: 1e-6)
        #expect(p2 == nil, "\(c.name) gradient: \(p2 ?? "")")
      }
    }
  }
}

@Suite("Composite cross-entropy (the default for backends without a fused kernel)")
struct CompositeCrossEntropyTests {
  @Test func halfPrecisionMatchesFloat() {
    var g = RandomGenerator(seed: 4)
    let logits = Tensor<Float, CPU>.randn([6, 5], using: &g)
    let targets = Tensor<Int64, CPU>([0, 4, -100, 2, 1, 3])
    let x32 = FT(constant: logits).requiringGrad()
    let l32 = Loss.crossEntropy(x32, Tensor<Int64, AD>(constant: targets))
    let g32 = l32.backward()[x32]!.toArray()
    // f16 goes through the composite kernels on the CPU backend.
    let x16 = Tensor<Float16, AD>(constant: logits.cast(to: Float16.self)).requiringGrad()
    let l16 = Loss.crossEntropy(x16, Tensor<Int64, AD>(constant: targets))
    let g16 = l16.backward()[x16]!.cast(to: Float.self).toArray()
    #expect(abs(Float(l16.item()) - l32.item()) < 1e-2)
    for (a, b) in zip(g16, g32) { #expect(abs(a - b) < 2e-3) }
    #expect(g32[10..<15].allSatisfy { $0 == 0 })  // the ignored row
  }
}
