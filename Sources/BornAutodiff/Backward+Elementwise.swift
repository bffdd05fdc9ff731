import BornCore

// Derivative rules of elementwise ops. Every gradient is computed in the op's output shape;
// the backward pass sums it over the axes an input was broadcast along.

extension Autodiff {
  public static func unary(_ op: UnaryOp, _ x: Storage, _ layout: Layout, into out: Storage, dtype: DType) {
    Base.unary(op, x.base, layout, into: out.base, dtype: dtype)
    guard tracking(dtype, x) else {
      out.node = nil
      return
    }
    let xs = x.base
    let ys = out.base
    let shape = layout.shape
    record(out, "\(op)", dtype: dtype, inputs: [(x, layout)]) { gs in
      let g = Raw<Base>(gs, shape: shape, dtype)
      let x = Raw<Base>(xs, layout, dtype)
      let y = Raw<Base>(ys, shape: shape, dtype)
      return [unaryGradient(op, g, x, y)]
    }
  }

  /// dL/dx for y = op(x), given g = dL/dy.
  static func unaryGradient(_ op: UnaryOp, _ g: Raw<Base>, _ x: Raw<Base>, _ y: Raw<Base>) -> Raw<Base> {
    let dtype = g.dtype
    func indicator(_ c: Raw<Base>) -> Raw<Base> { c.cast(to: dtype) }
    switch op {
    case .neg: return -g
    case .abs: return g * x.unary(.sign)
    case .exp: return g * y
    case .log: return g / x
    case .log1p: return g / (x + 1)
    case .expm1: return g * (y + 1)
    case .sqrt: return g * 0.5 / y
    case .rsqrt: return g * (y * y * y) * -0.5
    case .square: return g * x * 2
    case .sin: return g * x.unary(.cos)
    case .cos: return -(g * x.unary(.sin))
    case .tanh: return g * ((y * y) * -1 + 1)
    case .sigmoid: return g * y * (y * -1 + 1)
    case .relu: return x.compare(.greater, x.scalar(0)).select(g, g.zeros([]))
    case .leakyRelu(let alpha):
      return x.compare(.less, x.scalar(0)).select(g * alpha, g)
    case .elu(let alpha):
      return x.compare(.greater, x.scalar(0)).select(g, g * (y + alpha))
    case .gelu:
      // Φ(x) + x·φ(x)
      let cdf = (x * 0.7071067811865476).unary(.erf) * 0.5 + 0.5
      let pdf = (x * x * -0.5).unary(.exp) * 0.3989422804014327
      return g * (cdf + x * pdf)
    case .geluTanh:
      let c = 0.7978845608028654
      let inner = (x + x * x * x * 0.044715) * c
      let t = inner.unary(.tanh)
      let dInner = (x * x * (3 * 0.044715) + 1) * c
      return g * ((t + 1) * 0.5 + x * 0.5 * (t * t * -1 + 1) * dInner)
    case .silu:
      let s = x.unary(.sigmoid)
      return g * s * (x * (s * -1 + 1) + 1)
    case .softplus: return g * x.unary(.sigmoid)
    case .erf: return g * (x * x * -1).unary(.exp) * 1.1283791670955126
    case .reciprocal: return -(g * y * y)
    case .powScalar(let p): return g * x.unary(.powScalar(p - 1)) * p
    case .clamp(let lo, let hi):
      let inside = x.compare(.greaterEqual, x.scalar(lo)).binaryBool(.and, x.compare(.lessEqual, x.scalar(hi)))
      return g * indicator(inside)
    case .floor, .ceil, .round, .sign: return g.zeros(g.shape)
    case .logicalNot: preconditionFailure("backward: logicalNot has no gradient")
    }
  }

  public static func binary(
    _ op: BinaryOp, _ a: Storage, _ aLayout: Layout, _ b: Storage, _ bLayout: Layout, into out: Storage, dtype: DType
  ) {
    Base.binary(op, a.base, aLayout, b.base, bLayout, into: out.base, dtype: dtype)
    guard tracking(dtype, a, b) else {
      out.node = nil
      return
    }
    let (abase, bbase, ybase) = (a.base, b.base, out.base)
    let shape = aLayout.shape
    let needA = a.node != nil
    let needB = b.node != nil
    record(out, "\(op)", dtype: dtype, inputs: [(a, aLayout), (b, bLayout)]) { gs in
      let g = Raw<Base>(gs, shape: shape, dtype)
      let x = Raw<Base>(abase, aLayout, dtype)
      let w = Raw<Base>(bbase, bLayout, dtype)
      let (ga, gb) = binaryGradient(op, g, x, w, Raw<Base>(ybase, shape: shape, dtype), needA, needB)
      return [ga, gb]
    }
  }

  static func binaryGradient(
    _ op: BinaryOp, _ g: Raw<Base>, _ a: Raw<Base>, _ b: Raw<Base>, _ y: Raw<Base>, _ needA: Bool, _ needB: Bool
  ) -> (Raw<Base>?, Raw<Base>?) {
    let dtype = g.dtype
    switch op {
    case .add: return (needA ? g : nil, needB ? g : nil)
    case .sub: return (needA ? g : nil, needB ? -g : nil)
    case .mul: return (needA ? g * b : nil, needB ? g * a : nil)
    case .div: return (needA ? g / b : nil, needB ? -(g * y / b) : nil)
    case .pow:
      // d/da a^b = b·a^(b-1); d/db a^b = a^b·log a.
      let ga = needA ? g * b * a.binary(.pow, b - b.scalar(1)) : nil
      let gb = needB ? g * y * a.unary(.log) : nil
      return (ga, gb)
    case .maximum, .minimum:
      // Ties split the gradient evenly, as in PyTorch.
      let wins = a.compare(op == .maximum ? .greater : .less, b).cast(to: dtype)
      let ties = a.compare(.equal, b).cast(to: dtype) * 0.5
      let shareA = wins + ties
      let shareB = shareA * -1 + 1
      return (needA ? g * shareA : nil, needB ? g * shareB : nil)
    case .and, .or, .xor: preconditionFailure("backward: \(op) has no gradient")
    }
  }

  public static func compare(
    _ op: CompareOp, _ a: Storage, _ aLayout: Layout, _ b: Storage, _ bLayout: Layout, into out: Storage, dtype: DType
  ) {
    Base.compare(op, a.base, aLayout, b.base, bLayout, into: out.base, dtype: dtype)
    out.node = nil
  }

  public static func test(_ test: ElementTest, _ x: Storage, _ layout: Layout, into out: Storage, dtype: DType) {
    Base.test(test, x.base, layout, into: out.base, dtype: dtype)
    out.node = nil
  }

  public static func select(
    _ cond: Storage, _ condLayout: Layout, _ a: Storage, _ aLayout: Layout, _ b: Storage, _ bLayout: Layout,
    into out: Storage, dtype: DType
  ) {
    Base.select(cond.base, condLayout, a.base, aLayout, b.base, bLayout, into: out.base, dtype: dtype)
    guard tracking(dtype, a, b) else {
      out.node = nil
      return
    }
    let cbase = cond.base
    let shape = aLayout.shape
    let (needA, needB) = (a.node != nil, b.node != nil)
    record(out, "where", dtype: dtype, inputs: [(a, aLayout), (b, bLayout)]) { gs in
      let g = Raw<Base>(gs, shape: shape, dtype)
      let c = Raw<Base>(cbase, condLayout, .bool)
      let z = g.zeros([])
      return [needA ? c.select(g, z) : nil, needB ? c.select(z, g) : nil]
    }
  }
}

extension Raw {
  /// Logical op of two Bool tensors.
  func binaryBool(_ op: BinaryOp, _ other: Raw) -> Raw {
    let s = broadcastShapes(shape, other.shape)!
    let out = B.allocate(s.elementCount, dtype: .bool, on: device)
    B.binary(
      op, storage, layout.broadcast(to: s)!, other.storage, other.layout.broadcast(to: s)!, into: out, dtype: .bool)
    return Raw(out, shape: s, .bool)
  }
}
