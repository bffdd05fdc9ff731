// Default implementations of fused requirements, built from the primitive requirements. A
// backend with a fused kernel implements the requirement itself (and may call these for the
// dtypes it does not cover).

extension Backend {
  public static func upload(
    borrowing bytes: UnsafeMutableRawBufferPointer, owner: AnyObject, dtype: DType, on device: Device
  ) -> Storage {
    upload(UnsafeRawBufferPointer(bytes), dtype: dtype, on: device)
  }

  public static func adamStep(
    _ hyper: AdamStep, parameter: Storage, gradient: Storage, m: Storage, v: Storage, vMax: Storage?,
    into out: Storage, count: Int, dtype: DType
  ) {
    compositeAdamStep(
      hyper, parameter: parameter, gradient: gradient, m: m, v: v, vMax: vMax, into: out, count: count, dtype: dtype)
  }

  public static func sgdStep(
    _ hyper: SGDStep, parameter: Storage, gradient: Storage, momentumBuffer: Storage?, into out: Storage, count: Int,
    dtype: DType
  ) {
    compositeSGDStep(
      hyper, parameter: parameter, gradient: gradient, momentumBuffer: momentumBuffer, into: out, count: count,
      dtype: dtype)
  }

  /// Adam from primitive ops.
  public static func compositeAdamStep(
    _ h: AdamStep, parameter: Storage, gradient: Storage, m: Storage, v: Storage, vMax: Storage?,
    into out: Storage, count: Int, dtype: DType
  ) {
    let ops = FlatOps<Self>(count: count, dtype: dtype, device: device(of: parameter))
    var p = parameter
    var g = gradient
    if h.weightDecay != 0 {
      if h.decoupled {
        p = ops.scale(parameter, 1 - h.learningRate * h.weightDecay)
      } else {
        g = ops.binary(.add, gradient, ops.scale(parameter, h.weightDecay))
      }
    }
    // m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²
    ops.copy(ops.binary(.add, ops.scale(m, h.beta1), ops.scale(g, 1 - h.beta1)), into: m)
    ops.copy(ops.binary(.add, ops.scale(v, h.beta2), ops.scale(ops.binary(.mul, g, g), 1 - h.beta2)), into: v)
    var second = v
    if h.amsgrad, let vMax {
      ops.copy(ops.binary(.maximum, vMax, v), into: vMax)
      second = vMax
    }
    let t = Double(h.step)
    let bc1 = 1 - integerPower(h.beta1, t)
    let bc2Root = (1 - integerPower(h.beta2, t)).squareRoot()
    let denominator = ops.addScalar(ops.scale(ops.unary(.sqrt, second), 1 / bc2Root), h.epsilon)
    let update = ops.scale(ops.binary(.div, m, denominator), h.learningRate / bc1)
    binary(.sub, p, ops.flat, update, ops.flat, into: out, dtype: dtype)
  }

  /// SGD from primitive ops.
  public static func compositeSGDStep(
    _ h: SGDStep, parameter: Storage, gradient: Storage, momentumBuffer: Storage?, into out: Storage, count: Int,
    dtype: DType
  ) {
    let ops = FlatOps<Self>(count: count, dtype: dtype, device: device(of: parameter))
    var d = gradient
    if h.weightDecay != 0 { d = ops.binary(.add, gradient, ops.scale(parameter, h.weightDecay)) }
    if h.momentum != 0, let buf = momentumBuffer {
      if h.firstStep {
        ops.copy(d, into: buf)
      } else {
        ops.copy(ops.binary(.add, ops.scale(buf, h.momentum), ops.scale(d, 1 - h.dampening)), into: buf)
      }
      d = h.nesterov ? ops.binary(.add, d, ops.scale(buf, h.momentum)) : buf
    }
    binary(.sub, parameter, ops.flat, ops.scale(d, h.learningRate), ops.flat, into: out, dtype: dtype)
  }
}

/// Elementwise helpers over flat buffers of one length, for composite kernels.
struct FlatOps<B: Backend> {
  let count: Int
  let dtype: DType
  let device: B.Device
  var flat: Layout { Layout(contiguous: [count]) }

  func scalar(_ value: Double) -> (B.Storage, Layout) {
    let s = B.allocate(1, dtype: dtype, on: device)
    B.fill(s, count: 1, value: value, dtype: dtype)
    return (s, Layout(shape: [count], strides: [0], offset: 0))
  }

  func binary(_ op: BinaryOp, _ a: B.Storage, _ b: B.Storage) -> B.Storage {
    let out = B.allocate(count, dtype: dtype, on: device)
    B.binary(op, a, flat, b, flat, into: out, dtype: dtype)
    return out
  }

  func unary(_ op: UnaryOp, _ a: B.Storage) -> B.Storage {
    let out = B.allocate(count, dtype: dtype, on: device)
    B.unary(op, a, flat, into: out, dtype: dtype)
    return out
  }

  func scale(_ a: B.Storage, _ factor: Double) -> B.Storage {
    let (s, l) = scalar(factor)
    let out = B.allocate(count, dtype: dtype, on: device)
    B.binary(.mul, a, flat, s, l, into: out, dtype: dtype)
    return out
  }

  func addScalar(_ a: B.Storage, _ value: Double) -> B.Storage {
    let (s, l) = scalar(value)
    let out = B.allocate(count, dtype: dtype, on: device)
    B.binary(.add, a, flat, s, l, into: out, dtype: dtype)
    return out
  }

  func copy(_ src: B.Storage, into dst: B.Storage) { B.copy(src, flat, into: dst, flat, dtype: dtype) }
}

/// x^y for Doubles without libm (integer y by squaring; bias corrections use integer steps).
func integerPower(_ base: Double, _ exponent: Double) -> Double {
  var e = Int(exponent)
  precondition(Double(e) == exponent && e >= 0, "integerPower: only non-negative integer exponents are supported here")
  var result = 1.0
  var b = base
  while e > 0 {
    if e & 1 == 1 { result *= b }
    b *= b
    e >>= 1
  }
  return result
}

extension Backend {
  public static func crossEntropy(
    _ logits: Storage, _ layout: Layout, targets: Storage, _ targetsLayout: Layout, ignoreIndex: Int64,
    into losses: Storage, dtype: DType
  ) {
    compositeCrossEntropy(
      logits, layout, targets: targets, targetsLayout, ignoreIndex: ignoreIndex, into: losses, dtype: dtype)
  }

  public static func crossEntropyBackward(
    _ logits: Storage, _ layout: Layout, targets: Storage, _ targetsLayout: Layout, ignoreIndex: Int64,
    gradient: Storage, into out: Storage, dtype: DType
  ) {
    compositeCrossEntropyBackward(
      logits, layout, targets: targets, targetsLayout, ignoreIndex: ignoreIndex, gradient: gradient, into: out,
      dtype: dtype)
  }

  /// Targets with ignored entries replaced by 0 ([N, 1], Int64) and the Bool mask of valid ones ([N]).
  static func safeTargets(_ targets: Storage, _ tl: Layout, ignoreIndex: Int64, n: Int, device: Device) -> (
    Storage, Storage
  ) {
    let ignore = allocate(1, dtype: .i64, on: device)
    fill(ignore, count: 1, value: Double(ignoreIndex), dtype: .i64)
    let zero = allocate(1, dtype: .i64, on: device)
    fill(zero, count: 1, value: 0, dtype: .i64)
    let scalar = Layout(shape: [n], strides: [0], offset: 0)
    let valid = allocate(n, dtype: .bool, on: device)
    compare(.notEqual, targets, tl, ignore, scalar, into: valid, dtype: .i64)
    let safe = allocate(n, dtype: .i64, on: device)
    select(valid, Layout(contiguous: [n]), targets, tl, zero, scalar, into: safe, dtype: .i64)
    return (safe, valid)
  }

  /// Cross-entropy from log-softmax, gather and select.
  public static func compositeCrossEntropy(
    _ logits: Storage, _ layout: Layout, targets: Storage, _ targetsLayout: Layout, ignoreIndex: Int64,
    into losses: Storage, dtype: DType
  ) {
    let (n, c) = (layout.shape[0], layout.shape[1])
    let device = device(of: logits)
    let logp = allocate(n * c, dtype: dtype, on: device)
    softmax(logits, layout, axis: 1, log: true, into: logp, dtype: dtype)
    let (safe, valid) = safeTargets(targets, targetsLayout, ignoreIndex: ignoreIndex, n: n, device: device)
    let picked = allocate(n, dtype: dtype, on: device)
    gather(
      logp, Layout(shape: [n, c], strides: [c, 1], offset: 0), axis: 1, index: safe, Layout(contiguous: [n, 1]),
      into: picked, dtype: dtype)
    let negated = allocate(n, dtype: dtype, on: device)
    unary(.neg, picked, Layout(contiguous: [n]), into: negated, dtype: dtype)
    let zero = allocate(1, dtype: dtype, on: device)
    fill(zero, count: 1, value: 0, dtype: dtype)
    select(
      valid, Layout(contiguous: [n]), negated, Layout(contiguous: [n]), zero,
      Layout(shape: [n], strides: [0], offset: 0), into: losses, dtype: dtype)
  }

  /// The gradient from softmax, a masked scale and a scatter-add of -g at the targets.
  public static func compositeCrossEntropyBackward(
    _ logits: Storage, _ layout: Layout, targets: Storage, _ targetsLayout: Layout, ignoreIndex: Int64,
    gradient: Storage, into out: Storage, dtype: DType
  ) {
    let (n, c) = (layout.shape[0], layout.shape[1])
    let device = device(of: logits)
    let (safe, valid) = safeTargets(targets, targetsLayout, ignoreIndex: ignoreIndex, n: n, device: device)
    // g masked where ignored.
    let zero = allocate(1, dtype: dtype, on: device)
    fill(zero, count: 1, value: 0, dtype: dtype)
    let g = allocate(n, dtype: dtype, on: device)
    select(
      valid, Layout(contiguous: [n]), gradient, Layout(contiguous: [n]), zero,
      Layout(shape: [n], strides: [0], offset: 0), into: g, dtype: dtype)
    let p = allocate(n * c, dtype: dtype, on: device)
    softmax(logits, layout, axis: 1, log: false, into: p, dtype: dtype)
    let rows = Layout(shape: [n, c], strides: [1, 0], offset: 0)
    binary(.mul, p, Layout(contiguous: [n, c]), g, rows, into: out, dtype: dtype)
    let negG = allocate(n, dtype: dtype, on: device)
    unary(.neg, g, Layout(contiguous: [n]), into: negG, dtype: dtype)
    scatter(
      .add, into: out, Layout(contiguous: [n, c]), axis: 1, index: safe, Layout(contiguous: [n, 1]), source: negG,
      Layout(contiguous: [n, 1]), dtype: dtype)
  }
}
