// Reductions over any set of axes, arg-reductions, scans and softmax.

extension Tensor {
  /// The normalized set of `axes` (all axes when nil), stopping on repeats or out-of-range axes.
  func _axisSet(_ axes: [Int]?, op: String) -> AxisSet {
    guard let axes else { return AxisSet.all(rank: rank) }
    var set = AxisSet()
    for a0 in axes {
      let a = normalizedAxis(a0, op: op)
      check(!set.contains(a), "\(op): axis \(a0) repeated in \(axes) for \(_signature)")
      set.insert(a)
    }
    return set
  }

  /// The shape after reducing `set`, with or without the reduced axes.
  func _reducedShape(_ set: AxisSet, keepingDims: Bool) -> (kept: Shape, final: Shape) {
    var kept = shape
    var final = Shape()
    for i in 0..<rank {
      if set.contains(i) {
        kept[i] = 1
        if keepingDims { final.append(1) }
      } else {
        final.append(shape[i])
      }
    }
    return (kept, final)
  }

  func _reduce<E: TensorElement>(_ op: ReduceOp, _ axes: [Int]?, keepingDims: Bool, _ name: String, as: E.Type)
    -> Tensor<E, B>
  {
    let set = _axisSet(axes, op: name)
    let (kept, final) = _reducedShape(set, keepingDims: keepingDims)
    let out = _empty(kept, as: E.self)
    B.reduce(op, storage, layout, axes: set, into: out.storage, dtype: Element.dtype)
    return Tensor<E, B>(storage: out.storage, layout: Layout(contiguous: final))
  }
}

extension Tensor where Element: NumericElement {
  /// Sum over `axes` (all axes when nil).
  ///
  /// ```swift
  /// let x = Tensor<Float, CPU>([[1, 2], [3, 4]])
  /// x.sum(axes: [0])  // [4, 6]
  /// ```
  public func sum(axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    _reduce(.sum, axes, keepingDims: keepingDims, "sum", as: Element.self)
  }
  /// Sum over one axis.
  public func sum(axis: Int, keepingDims: Bool = false) -> Tensor { sum(axes: [axis], keepingDims: keepingDims) }
  /// Product over `axes`.
  public func prod(axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    _reduce(.prod, axes, keepingDims: keepingDims, "prod", as: Element.self)
  }
  /// Maximum over `axes` (NaN propagates). Stops on an empty reduction.
  public func max(axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    _checkNonEmptyReduction(axes, "max")
    return _reduce(.max, axes, keepingDims: keepingDims, "max", as: Element.self)
  }
  /// Maximum over one axis.
  public func max(axis: Int, keepingDims: Bool = false) -> Tensor { max(axes: [axis], keepingDims: keepingDims) }
  /// Minimum over `axes` (NaN propagates). Stops on an empty reduction.
  public func min(axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    _checkNonEmptyReduction(axes, "min")
    return _reduce(.min, axes, keepingDims: keepingDims, "min", as: Element.self)
  }
  /// Minimum over one axis.
  public func min(axis: Int, keepingDims: Bool = false) -> Tensor { min(axes: [axis], keepingDims: keepingDims) }

  func _checkNonEmptyReduction(_ axes: [Int]?, _ name: String) {
    let set = _axisSet(axes, op: name)
    for i in 0..<rank where set.contains(i) {
      check(shape[i] > 0, "\(name): reduction over empty axis \(i) of \(_signature) has no identity")
    }
  }

  /// Index (Int64) of the largest element along `axis`; over the flattened tensor when nil.
  public func argmax(axis: Int? = nil, keepingDims: Bool = false) -> Tensor<Int64, B> {
    _arg(.argmax, axis, keepingDims, "argmax")
  }
  /// Index (Int64) of the smallest element along `axis`; over the flattened tensor when nil.
  public func argmin(axis: Int? = nil, keepingDims: Bool = false) -> Tensor<Int64, B> {
    _arg(.argmin, axis, keepingDims, "argmin")
  }

  func _arg(_ op: ArgReduceOp, _ axis: Int?, _ keepingDims: Bool, _ name: String) -> Tensor<Int64, B> {
    guard let axis else {
      let flat = reshaped([count])
      let r = flat._arg(op, 0, false, name)
      return keepingDims ? r.reshaped(Array(repeating: 1, count: rank)) : r
    }
    let a = normalizedAxis(axis, op: name)
    check(shape[a] > 0, "\(name): axis \(axis) of \(_signature) is empty")
    var kept = shape
    kept[a] = 1
    let out = _empty(kept, as: Int64.self)
    B.argReduce(op, storage, layout, axis: a, into: out.storage, dtype: Element.dtype)
    return keepingDims ? out : out.squeezed(axis: a)
  }

  /// Running sum along `axis`.
  public func cumsum(axis: Int) -> Tensor { _scan(.cumsum, axis, "cumsum") }
  /// Running product along `axis`.
  public func cumprod(axis: Int) -> Tensor { _scan(.cumprod, axis, "cumprod") }

  func _scan(_ op: ScanOp, _ axis: Int, _ name: String) -> Tensor {
    let a = normalizedAxis(axis, op: name)
    let out = _empty(shape, as: Element.self)
    B.scan(op, storage, layout, axis: a, into: out.storage, dtype: Element.dtype)
    return out
  }
}

extension Tensor where Element: FloatElement {
  /// Arithmetic mean over `axes` (NaN for an empty reduction).
  public func mean(axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    _reduce(.mean, axes, keepingDims: keepingDims, "mean", as: Element.self)
  }
  /// Mean over one axis.
  public func mean(axis: Int, keepingDims: Bool = false) -> Tensor { mean(axes: [axis], keepingDims: keepingDims) }

  /// Variance over `axes` with Bessel's `correction` (1: sample variance, 0: population).
  public func variance(axes: [Int]? = nil, correction: Int = 1, keepingDims: Bool = false) -> Tensor {
    let set = _axisSet(axes, op: "variance")
    var n = 1
    for i in 0..<rank where set.contains(i) { n *= shape[i] }
    let centered = self - mean(axes: axes, keepingDims: true)
    let ss = centered.square().sum(axes: axes, keepingDims: keepingDims)
    let dof = Swift.max(n - correction, 0)
    return ss / Element(bornConverting: Double(dof))
  }

  /// Standard deviation over `axes` with Bessel's `correction`.
  public func standardDeviation(axes: [Int]? = nil, correction: Int = 1, keepingDims: Bool = false) -> Tensor {
    variance(axes: axes, correction: correction, keepingDims: keepingDims).sqrt()
  }

  /// log(Σ exp(x)) over `axes`, computed stably (max subtracted first).
  public func logsumexp(axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    _checkNonEmptyReduction(axes, "logsumexp")
    let m = max(axes: axes, keepingDims: true)
    // An all -inf (or +inf) slice would give inf - inf; shift by 0 there instead.
    let shift = Tensor.where(m.isFinite(), m, Element(bornConverting: 0))
    let s = (self - shift).exp().sum(axes: axes, keepingDims: true).log() + shift
    if keepingDims { return s }
    let (_, final) = _reducedShape(_axisSet(axes, op: "logsumexp"), keepingDims: false)
    return s.reshaped(final)
  }

  /// Softmax along `axis`: exp(x - max) / Σ exp(x - max).
  ///
  /// ```swift
  /// let p = logits.softmax(axis: -1)
  /// ```
  public func softmax(axis: Int = -1) -> Tensor { _softmax(axis, log: false) }
  /// Log-softmax along `axis`: x - max - log Σ exp(x - max).
  public func logSoftmax(axis: Int = -1) -> Tensor { _softmax(axis, log: true) }

  func _softmax(_ axis: Int, log: Bool) -> Tensor {
    let a = normalizedAxis(axis, op: log ? "logSoftmax" : "softmax")
    let out = _empty(shape, as: Element.self)
    if count > 0 {
      B.softmax(storage, layout, axis: a, log: log, into: out.storage, dtype: Element.dtype)
    }
    return out
  }
}

extension Tensor where Element == Bool {
  /// Whether every element over `axes` is true.
  public func all(axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    _reduce(.all, axes, keepingDims: keepingDims, "all", as: Bool.self)
  }
  /// Whether some element over `axes` is true.
  public func any(axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    _reduce(.any, axes, keepingDims: keepingDims, "any", as: Bool.self)
  }
}
