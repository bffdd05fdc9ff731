import Born
import BornTestSupport
import Testing

typealias DT = Tensor<Double, CPU>

func rnd(_ shape: Shape, seed: UInt64, scale: Double = 1, shift: Double = 0) -> DT {
  var g = RandomGenerator(seed: seed)
  return DT.randn(shape, using: &g) * scale + shift
}

/// Values kept away from 0 (for kinks and poles).
func awayFromZero(_ shape: Shape, seed: UInt64) -> DT {
  let x = rnd(shape, seed: seed)
  return x + (x .>= DT.zeros([])).cast(to: Double.self) * 0.3 - (x .< DT.zeros([])).cast(to: Double.self) * 0.3
}

@Suite("Gradients against finite differences (f64)")
struct GradientCheckTests {
  @Test(arguments: [
    "neg", "abs", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "square", "sin", "cos", "tanh", "sigmoid", "relu",
    "leakyRelu", "elu", "gelu", "geluTanh", "silu", "softplus", "erf", "reciprocal", "pow", "clamp",
  ])
  func unary(_ name: String) {
    let positive = ["log", "sqrt", "rsqrt", "pow", "log1p"].contains(name)
    let x = positive ? rnd([3, 4], seed: 1).abs() + 0.5 : awayFromZero([3, 4], seed: 1)
    let problem = gradientMismatch([x]) { v in
      let t = v[0].T  // a non-contiguous input
      switch name {
      case "neg": return -t
      case "abs": return t.abs()
      case "exp": return t.exp()
      case "log": return t.log()
      case "log1p": return t.log1p()
      case "expm1": return t.expm1()
      case "sqrt": return t.sqrt()
      case "rsqrt": return t.rsqrt()
      case "square": return t.square()
      case "sin": return t.sin()
      case "cos": return t.cos()
      case "tanh": return t.tanh()
      case "sigmoid": return t.sigmoid()
      case "relu": return t.relu()
      case "leakyRelu": return t.leakyRelu(alpha: 0.2)
      case "elu": return t.elu(alpha: 1.3)
      case "gelu": return t.gelu()
      case "geluTanh": return t.gelu(approximate: true)
      case "silu": return t.silu()
      case "softplus": return t.softplus()
      case "erf": return t.erf()
      case "reciprocal": return t.reciprocal()
      case "pow": return t.pow(1.7)
      case "clamp": return t.clamped(min: -0.5, max: 0.8)
      default: fatalError(name)
      }
    }
    #expect(problem == nil, "\(name): \(problem ?? "")")
  }

  @Test(arguments: ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "where"])
  func binaryWithBroadcasting(_ name: String) {
    let a = name == "pow" ? rnd([2, 3, 4], seed: 2).abs() + 0.5 : rnd([2, 3, 4], seed: 2)
    let b = name == "div" ? awayFromZero([3, 1], seed: 3) : rnd([3, 1], seed: 3)
    let problem = gradientMismatch([a, b]) { v in
      switch name {
      case "add": return v[0] + v[1]
      case "sub": return v[0] - v[1]
      case "mul": return v[0] * v[1]
      case "div": return v[0] / v[1]
      case "pow": return v[0].pow(v[1])
      case "maximum": return v[0].maximum(v[1])
      case "minimum": return v[0].minimum(v[1])
      case "where": return Tensor.where(v[0] .> v[1], v[0], v[1] * 2)
      default: fatalError(name)
      }
    }
    #expect(problem == nil, "\(name): \(problem ?? "")")
  }

  @Test func aliasingAccumulates() {
    #expect(gradientMismatch([rnd([5], seed: 4)]) { v in v[0] * v[0] + v[0].exp() * v[0] } == nil)
    // A residual connection.
    #expect(gradientMismatch([rnd([4, 4], seed: 5)]) { v in v[0].matmul(v[0]).tanh() + v[0] } == nil)
  }

  @Test(arguments: [
    "sum", "mean", "prod", "max", "min", "variance", "std", "logsumexp", "cumsum", "softmax", "logSoftmax",
  ])
  func reductions(_ name: String) {
    let x = rnd([3, 4, 5], seed: 6)
    let problem = gradientMismatch([x]) { v in
      let t = v[0]
      switch name {
      case "sum": return t.sum(axes: [0, 2])
      case "mean": return t.mean(axes: [1], keepingDims: true)
      case "prod": return t.prod(axes: [2])
      case "max": return t.max(axes: [1])
      case "min": return t.min(axes: [0, 2], keepingDims: true)
      case "variance": return t.variance(axes: [2], correction: 1)
      case "std": return t.standardDeviation(axes: [0, 1], correction: 0)
      case "logsumexp": return t.logsumexp(axes: [1])
      case "cumsum": return t.cumsum(axis: 1)
      case "softmax": return t.softmax(axis: 1)
      case "logSoftmax": return t.permuted([2, 0, 1]).logSoftmax(axis: -1)
      default: fatalError(name)
      }
    }
    #expect(problem == nil, "\(name): \(problem ?? "")")
  }

  @Test func matmulBatchedBroadcastTransposed() {
    #expect(gradientMismatch([rnd([2, 3, 4], seed: 7), rnd([5, 4], seed: 8)]) { v in v[0].matmul(v[1].T) } == nil)
    #expect(gradientMismatch([rnd([4], seed: 9), rnd([4, 3], seed: 10)]) { v in v[0].matmul(v[1]) } == nil)
    #expect(
      gradientMismatch([rnd([2, 1, 3, 4], seed: 11), rnd([3, 4, 2], seed: 12)]) { v in v[0].matmul(v[1]) } == nil)
  }

  @Test func shapeOps() {
    let x = rnd([2, 3, 4], seed: 13)
    #expect(gradientMismatch([x]) { v in v[0].reshaped([4, 6]).T * 2 } == nil)
    #expect(gradientMismatch([x]) { v in v[0].permuted([2, 0, 1]).contiguous().flattened() } == nil)
    #expect(gradientMismatch([x]) { v in v[0][1, .all, 1..<3] } == nil)
    #expect(gradientMismatch([x]) { v in v[0][.ellipsis, .stride(by: 2)].exp() } == nil)
    #expect(gradientMismatch([x]) { v in v[0].unsqueezed(axis: 1).expanded(to: [2, 5, 3, 4]).sin() } == nil)
    #expect(
      gradientMismatch([x, rnd([2, 2, 4], seed: 14)]) { v in Tensor.cat([v[0], v[1]], axis: 1).square() } == nil)
    #expect(gradientMismatch([x, x * 2]) { v in Tensor.stack([v[0], v[1]], axis: 3) } == nil)
    #expect(gradientMismatch([x]) { v in v[0].split(sizes: [1, 3], axis: 2)[1] * 3 } == nil)
    #expect(gradientMismatch([x]) { v in v[0].chunked(2, axis: 1)[0].tanh() } == nil)
    #expect(gradientMismatch([x]) { v in v[0].padded([(0, 0), (1, 2), (2, 1)], value: 0.5).square() } == nil)
    #expect(gradientMismatch([x]) { v in v[0].padded([(1, 1), (1, 1)], mode: .reflect).square() } == nil)
    #expect(gradientMismatch([x]) { v in v[0].repeated([2, 1, 1, 2]).square() } == nil)
    #expect(gradientMismatch([x]) { v in v[0].squeezed().unsqueezed(axis: 0) * 1.5 } == nil)
  }

  @Test func subscriptAssignment() {
    let x = rnd([3, 4], seed: 15)
    let y = rnd([4], seed: 16)
    #expect(
      gradientMismatch([x, y]) { v in
        var t = v[0] * 1
        t[1] = v[1].exp()
        return t.square()
      } == nil)
  }

  @Test func indexing() {
    let x = rnd([4, 5], seed: 17)
    let idx = Tensor<Int64, Autodiff<CPU>>([[0, 3, 3, 1, 2], [1, 1, 0, 2, 3]])
    #expect(gradientMismatch([x]) { v in v[0].gather(axis: 0, index: idx) } == nil)
    #expect(
      gradientMismatch([x, rnd([2, 5], seed: 18)]) { v in v[0].scatterAdd(axis: 0, index: idx, source: v[1]) } == nil)
    let unique = Tensor<Int64, Autodiff<CPU>>([[0, 3, 2, 1, 2], [1, 2, 0, 3, 3]])
    #expect(
      gradientMismatch([x, rnd([2, 5], seed: 19)]) { v in v[0].scatter(axis: 0, index: unique, source: v[1]) } == nil)
    #expect(gradientMismatch([x]) { v in v[0].indexSelect(axis: 1, [4, 0, 4]) } == nil)
    #expect(gradientMismatch([x]) { v in v[0].embedding(Tensor<Int64, Autodiff<CPU>>([[3, 0], [3, 3]])) } == nil)
    #expect(gradientMismatch([x]) { v in v[0].topK(2, axis: 1).values } == nil)
    #expect(gradientMismatch([x]) { v in v[0].sorted(axis: 0, descending: true).values } == nil)
    #expect(gradientMismatch([x]) { v in v[0].maskedFill(v[0] .> 0.5, with: 0) } == nil)
  }

  @Test func convolutionAndPooling() {
    let x = rnd([2, 4, 6, 5], seed: 20)
    let w = rnd([6, 2, 3, 2], seed: 21)
    let b = rnd([6], seed: 22)
    #expect(
      gradientMismatch([x, w, b], rtol: 1e-5, atol: 1e-6) { v in
        v[0].conv2d(v[1], bias: v[2], stride: (2, 1), padding: (1, 1), dilation: (1, 2), groups: 2)
      } == nil)
    #expect(
      gradientMismatch([rnd([2, 3, 9], seed: 23), rnd([4, 3, 3], seed: 24)], atol: 1e-6) { v in
        v[0].conv1d(v[1], stride: 2, padding: 1)
      } == nil)
    let p = rnd([2, 2, 7, 6], seed: 25)
    #expect(gradientMismatch([p]) { v in v[0].maxPool2d(kernel: (3, 2), stride: (2, 2), padding: (1, 1)) } == nil)
    #expect(
      gradientMismatch([p]) { v in v[0].avgPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true) }
        == nil)
    #expect(
      gradientMismatch([p]) { v in
        v[0].avgPool2d(kernel: (2, 3), stride: (1, 2), padding: (1, 1), countIncludePad: false)
      } == nil)
  }

  @Test func castsBetweenFloatTypes() {
    // The f32 detour limits precision: a larger step and a looser tolerance.
    let problem = gradientMismatch([rnd([6], seed: 26)], eps: 1e-3, rtol: 1e-3, atol: 1e-4) { v in
      v[0].cast(to: Float.self).exp().cast(to: Double.self)
    }
    #expect(problem == nil, "\(problem ?? "")")
  }
}

@Suite("f32 kernels give the f64 gradients")
struct Float32GradientTests {
  /// Gradients of Σ f(x)·r computed in f32 (C kernels) and in f64 (checked above against
  /// finite differences) agree.
  func compare(
    _ shapes: [Shape], _ f: @escaping ([Tensor<Float, Autodiff<CPU>>]) -> Tensor<Float, Autodiff<CPU>>,
    _ g: @escaping ([Tensor<Double, Autodiff<CPU>>]) -> Tensor<Double, Autodiff<CPU>>
  ) {
    let inputs = shapes.enumerated().map { rnd($0.element, seed: UInt64(40 + $0.offset)) }
    let d = inputs.map { Tensor<Double, Autodiff<CPU>>(constant: $0).requiringGrad() }
    let s = inputs.map { Tensor<Float, Autodiff<CPU>>(constant: $0.cast(to: Float.self)).requiringGrad() }
    let yd = g(d)
    var gen = RandomGenerator(seed: 3)
    let r = Tensor<Double, CPU>.randn(yd.shape, using: &gen)
    let gd = (yd * Tensor(constant: r)).sum().backward()
    let gs = (f(s) * Tensor(constant: r.cast(to: Float.self))).sum().backward()
    for i in 0..<inputs.count {
      let a = gs[s[i]]!.toArray()
      let b = gd[d[i]]!.toArray()
      let worst = zip(a, b).map { abs(Double($0) - $1) / (1 + abs($1)) }.max() ?? 0
      #expect(worst < 1e-4, "input \(i): worst relative difference \(worst)")
    }
  }

  @Test func convolutionAndPooling() {
    compare(
      [[2, 4, 9, 8], [6, 2, 3, 3]],
      { v in v[0].conv2d(v[1], stride: (2, 1), padding: (1, 2), dilation: (2, 1), groups: 2) }
    ) { v in
      v[0].conv2d(v[1], stride: (2, 1), padding: (1, 2), dilation: (2, 1), groups: 2)
    }
    compare([[2, 3, 8, 8]], { v in v[0].maxPool2d(kernel: (2, 2)) }) { v in v[0].maxPool2d(kernel: (2, 2)) }
    compare([[2, 3, 9, 7]], { v in v[0].maxPool2d(kernel: (3, 2), stride: (2, 1), padding: (1, 1), dilation: (1, 2)) })
    { v in
      v[0].maxPool2d(kernel: (3, 2), stride: (2, 1), padding: (1, 1), dilation: (1, 2))
    }
    compare(
      [[2, 3, 9, 7]],
      { v in v[0].avgPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true, countIncludePad: false) }
    ) { v in
      v[0].avgPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true, countIncludePad: false)
    }
  }
}

/// The convolution weight gradient on the dot-product path (few outputs, 256+ output positions)
/// against a direct double-precision sum.
@Test func convWeightGradientOnTheDotRowsPath() {
  var g = RandomGenerator(seed: 5)
  let x = Tensor<Float, Autodiff<CPU>>((0..<(2 * 20 * 20)).map { _ in Float(g.nextNormal()) }, shape: [2, 1, 20, 20])
  let w = Tensor<Float, Autodiff<CPU>>((0..<(6 * 25)).map { _ in Float(g.nextNormal()) }, shape: [6, 1, 5, 5])
    .requiringGrad()
  let y = x.conv2d(w)  // [2, 6, 16, 16]: 256 positions per image
  let dy = (0..<y.shape.elementCount).map { _ in Float(g.nextNormal()) }
  let grad = (y * Tensor(dy, shape: y.shape)).sum().backward()[w]!.toArray()
  let xs = x.toArray()
  var worst = 0.0
  for o in 0..<6 {
    for ki in 0..<5 {
      for kj in 0..<5 {
        var s = 0.0
        for n in 0..<2 {
          for i in 0..<16 {
            for j in 0..<16 {
              s += Double(dy[((n * 6 + o) * 16 + i) * 16 + j]) * Double(xs[n * 400 + (i + ki) * 20 + j + kj])
            }
          }
        }
        worst = max(worst, abs(s - Double(grad[o * 25 + ki * 5 + kj])) / max(abs(s), 1))
      }
    }
  }
  #expect(worst < 1e-5)
}
