import BornCore

extension Autodiff {
  public static func reduce(
    _ op: ReduceOp, _ x: Storage, _ layout: Layout, axes: AxisSet, into out: Storage, dtype: DType
  ) {
    Base.reduce(op, x.base, layout, axes: axes, into: out.base, dtype: dtype)
    guard tracking(dtype, x) else {
      out.node = nil
      return
    }
    let (xs, ys) = (x.base, out.base)
    let shape = layout.shape
    var kept = shape
    var n = 1
    for i in 0..<shape.count where axes.contains(i) {
      kept[i] = 1
      n *= shape[i]
    }
    record(out, "\(op)", dtype: dtype, inputs: [(x, layout)]) { gs in
      let g = Raw<Base>(gs, shape: kept, dtype).expanded(to: shape)
      switch op {
      case .sum: return [g]
      case .mean: return [g * (1 / Double(Swift.max(n, 1)))]
      case .prod:
        // d/dxᵢ Πx = Πx / xᵢ (undefined where xᵢ = 0, as the quotient shows).
        let y = Raw<Base>(ys, shape: kept, dtype).expanded(to: shape)
        return [g * y / Raw<Base>(xs, layout, dtype)]
      case .max, .min:
        // Split evenly among the elements equal to the extreme.
        let y = Raw<Base>(ys, shape: kept, dtype).expanded(to: shape)
        let mask = Raw<Base>(xs, layout, dtype).compare(.equal, y).cast(to: dtype)
        let ties = mask.sum(axes)
        return [g * mask / ties]
      case .all, .any: preconditionFailure("backward: \(op) has no gradient")
      }
    }
  }

  public static func argReduce(
    _ op: ArgReduceOp, _ x: Storage, _ layout: Layout, axis: Int, into out: Storage, dtype: DType
  ) {
    Base.argReduce(op, x.base, layout, axis: axis, into: out.base, dtype: dtype)
    out.node = nil
  }

  public static func scan(_ op: ScanOp, _ x: Storage, _ layout: Layout, axis: Int, into out: Storage, dtype: DType) {
    Base.scan(op, x.base, layout, axis: axis, into: out.base, dtype: dtype)
    guard tracking(dtype, x) else {
      out.node = nil
      return
    }
    let shape = layout.shape
    guard op == .cumsum else {
      record(out, "\(op)", dtype: dtype, inputs: [(x, layout)], backward: nil)
      return
    }
    record(out, "cumsum", dtype: dtype, inputs: [(x, layout)]) { gs in
      // The gradient is the reversed cumulative sum: Σ_{j ≥ i} g_j = total - cumsum(g)_i + g_i.
      let g = Raw<Base>(gs, shape: shape, dtype)
      let total = g.sum(axis: axis)
      return [total - g.cumsum(axis: axis) + g]
    }
  }

  public static func softmax(_ x: Storage, _ layout: Layout, axis: Int, log: Bool, into out: Storage, dtype: DType) {
    Base.softmax(x.base, layout, axis: axis, log: log, into: out.base, dtype: dtype)
    guard tracking(dtype, x) else {
      out.node = nil
      return
    }
    let ys = out.base
    let shape = layout.shape
    record(out, log ? "logSoftmax" : "softmax", dtype: dtype, inputs: [(x, layout)]) { gs in
      let g = Raw<Base>(gs, shape: shape, dtype)
      let y = Raw<Base>(ys, shape: shape, dtype)
      if log {
        // dx = g - softmax · Σg
        return [g - y.unary(.exp) * g.sum(axis: axis)]
      }
      // dx = y · (g - Σ g·y)
      return [y * (g - (g * y).sum(axis: axis))]
    }
  }

  public static func matmul(
    _ a: Storage, _ aLayout: Layout, _ b: Storage, _ bLayout: Layout, into out: Storage, dtype: DType
  ) {
    Base.matmul(a.base, aLayout, b.base, bLayout, into: out.base, dtype: dtype)
    guard tracking(dtype, a, b) else {
      out.node = nil
      return
    }
    let (abase, bbase) = (a.base, b.base)
    var outShape = aLayout.shape
    outShape[outShape.count - 1] = bLayout.shape[bLayout.rank - 1]
    let (needA, needB) = (a.node != nil, b.node != nil)
    record(out, "matmul", dtype: dtype, inputs: [(a, aLayout), (b, bLayout)]) { gs in
      let g = Raw<Base>(gs, shape: outShape, dtype)
      // dA = g·Bᵀ and dB = Aᵀ·g, per batch; broadcast batch axes are summed by the caller. An
      // operand that is a transposed view (x·Wᵀ) gets its gradient computed transposed (gᵀ·x),
      // so it lands in the layout of the stored weights with no transposing copy.
      let a = Raw<Base>(abase, aLayout, dtype)
      let b = Raw<Base>(bbase, bLayout, dtype)
      var ga: Raw<Base>?
      var gb: Raw<Base>?
      if needA {
        ga = isTransposedView(aLayout) ? b.matmul(g.transposedLast()).transposedLast() : g.matmul(b.transposedLast())
      }
      if needB {
        gb = isTransposedView(bLayout) ? g.transposedLast().matmul(a).transposedLast() : a.transposedLast().matmul(g)
      }
      return [ga, gb]
    }
  }
}

/// Whether the last two axes are a transposed contiguous matrix (strides 1 and rows).
func isTransposedView(_ l: Layout) -> Bool {
  let r = l.rank
  return r >= 2 && l.shape[r - 1] > 1 && l.shape[r - 2] > 1 && l.strides[r - 2] == 1
    && l.strides[r - 1] == l.shape[r - 2]
}
