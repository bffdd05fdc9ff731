// Elementwise arithmetic, math functions, comparisons, logic and selection, with NumPy
// broadcasting. Results are contiguous; a uniquely referenced contiguous operand of the result's
// shape and type is overwritten in place instead of allocating.

extension Tensor {
  /// A rank-0 tensor holding `value` on the same device.
  @inlinable func _scalarLike(_ value: Element) -> Tensor { Tensor(value, on: device) }

  /// Runs a unary op, reusing this tensor's buffer when it is the only reference.
  @inlinable consuming func _unary(_ op: UnaryOp, _ name: String) -> Tensor {
    if op.needsFloat {
      check(Element.dtype.isFloatingPoint, "\(name): needs a floating-point tensor, got \(_signature)")
    }
    var x = self
    let outShape = x.shape
    if x._canReuse(for: outShape) {
      B.unary(op, x.storage, x.layout, into: x.storage, dtype: Element.dtype)
      return x
    }
    let out = x._empty(outShape, as: Element.self)
    B.unary(op, x.storage, x.layout, into: out.storage, dtype: Element.dtype)
    return out
  }

  /// Runs a binary op with broadcasting, reusing an operand's buffer when possible.
  @inlinable static func _binary(_ op: BinaryOp, _ lhs: consuming Tensor, _ rhs: consuming Tensor, _ name: String)
    -> Tensor
  {
    var a = lhs
    var b = rhs
    guard let shape = broadcastShapes(a.shape, b.shape) else {
      preconditionFailure(
        "\(name): shapes \(a.shape) and \(b.shape) cannot be broadcast (\(a._signature), \(b._signature))")
    }
    let la = a.layout.broadcast(to: shape)!
    let lb = b.layout.broadcast(to: shape)!
    let out: B.Storage
    if a._canReuse(for: shape) {
      out = a.storage
    } else if b._canReuse(for: shape) {
      out = b.storage
    } else {
      out = B.allocate(shape.elementCount, dtype: Element.dtype, on: a.device)
    }
    B.binary(op, a.storage, la, b.storage, lb, into: out, dtype: Element.dtype)
    return Tensor(storage: out, layout: Layout(contiguous: shape))
  }

  @inlinable static func _compare(_ op: CompareOp, _ a: Tensor, _ b: Tensor, _ name: String) -> Tensor<Bool, B> {
    guard let shape = broadcastShapes(a.shape, b.shape) else {
      preconditionFailure(
        "\(name): shapes \(a.shape) and \(b.shape) cannot be broadcast (\(a._signature), \(b._signature))")
    }
    let out = a._empty(shape, as: Bool.self)
    B.compare(
      op, a.storage, a.layout.broadcast(to: shape)!, b.storage, b.layout.broadcast(to: shape)!, into: out.storage,
      dtype: Element.dtype)
    return out
  }
}

// MARK: - Arithmetic operators

extension Tensor where Element: NumericElement {
  /// Elementwise sum with broadcasting.
  @inlinable public static func + (a: consuming Tensor, b: consuming Tensor) -> Tensor { _binary(.add, a, b, "add") }
  @inlinable public static func - (a: consuming Tensor, b: consuming Tensor) -> Tensor { _binary(.sub, a, b, "sub") }
  @inlinable public static func * (a: consuming Tensor, b: consuming Tensor) -> Tensor { _binary(.mul, a, b, "mul") }
  /// Elementwise quotient. Integer division truncates toward zero; x / 0 is 0 for integers.
  @inlinable public static func / (a: consuming Tensor, b: consuming Tensor) -> Tensor { _binary(.div, a, b, "div") }

  @inlinable public static func + (a: consuming Tensor, b: Element) -> Tensor {
    _binary(.add, a, a._scalarLike(b), "add")
  }
  @inlinable public static func - (a: consuming Tensor, b: Element) -> Tensor {
    _binary(.sub, a, a._scalarLike(b), "sub")
  }
  @inlinable public static func * (a: consuming Tensor, b: Element) -> Tensor {
    _binary(.mul, a, a._scalarLike(b), "mul")
  }
  @inlinable public static func / (a: consuming Tensor, b: Element) -> Tensor {
    _binary(.div, a, a._scalarLike(b), "div")
  }

  @inlinable public static func + (a: Element, b: consuming Tensor) -> Tensor {
    _binary(.add, b._scalarLike(a), b, "add")
  }
  @inlinable public static func - (a: Element, b: consuming Tensor) -> Tensor {
    _binary(.sub, b._scalarLike(a), b, "sub")
  }
  @inlinable public static func * (a: Element, b: consuming Tensor) -> Tensor {
    _binary(.mul, b._scalarLike(a), b, "mul")
  }
  @inlinable public static func / (a: Element, b: consuming Tensor) -> Tensor {
    _binary(.div, b._scalarLike(a), b, "div")
  }

  @inlinable public static func += (a: inout Tensor, b: Tensor) { a = a + b }
  @inlinable public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
  @inlinable public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
  @inlinable public static func /= (a: inout Tensor, b: Tensor) { a = a / b }
  @inlinable public static func += (a: inout Tensor, b: Element) { a = a + b }
  @inlinable public static func -= (a: inout Tensor, b: Element) { a = a - b }
  @inlinable public static func *= (a: inout Tensor, b: Element) { a = a * b }
  @inlinable public static func /= (a: inout Tensor, b: Element) { a = a / b }

  /// Elementwise negation.
  @inlinable public static prefix func - (x: consuming Tensor) -> Tensor { x._unary(.neg, "neg") }

  /// Absolute value.
  public consuming func abs() -> Tensor { _unary(.abs, "abs") }
  /// x².
  public consuming func square() -> Tensor { _unary(.square, "square") }
  /// max(x, 0).
  public consuming func relu() -> Tensor { _unary(.relu, "relu") }
  /// -1, 0 or 1 (0 for ±0; NaN stays NaN).
  public consuming func sign() -> Tensor { _unary(.sign, "sign") }
  /// Values limited to [min, max]; either bound may be omitted. NaN stays NaN.
  public func clamped(min lo: Element? = nil, max hi: Element? = nil) -> Tensor {
    let l = lo?.bornDouble ?? -.infinity
    let h = hi?.bornDouble ?? .infinity
    check(!(l > h), "clamped: min \(l) is greater than max \(h) for \(_signature)")
    return _unary(.clamp(min: l, max: h), "clamped")
  }
  /// Elementwise maximum with broadcasting (NaN propagates).
  public func maximum(_ other: Tensor) -> Tensor { Tensor._binary(.maximum, self, other, "maximum") }
  /// Elementwise minimum with broadcasting (NaN propagates).
  public func minimum(_ other: Tensor) -> Tensor { Tensor._binary(.minimum, self, other, "minimum") }
  /// Elementwise maximum with a scalar.
  public func maximum(_ other: Element) -> Tensor { Tensor._binary(.maximum, self, _scalarLike(other), "maximum") }
  /// Elementwise minimum with a scalar.
  public func minimum(_ other: Element) -> Tensor { Tensor._binary(.minimum, self, _scalarLike(other), "minimum") }
  /// x where x > 0, else alpha·x.
  public consuming func leakyRelu(alpha: Double = 0.01) -> Tensor { _unary(.leakyRelu(alpha: alpha), "leakyRelu") }
}

// MARK: - Math functions

extension Tensor where Element: FloatElement {
  public consuming func exp() -> Tensor { _unary(.exp, "exp") }
  public consuming func log() -> Tensor { _unary(.log, "log") }
  /// log(1 + x), accurate for small x.
  public consuming func log1p() -> Tensor { _unary(.log1p, "log1p") }
  /// exp(x) - 1, accurate for small x.
  public consuming func expm1() -> Tensor { _unary(.expm1, "expm1") }
  public consuming func sqrt() -> Tensor { _unary(.sqrt, "sqrt") }
  /// 1 / sqrt(x).
  public consuming func rsqrt() -> Tensor { _unary(.rsqrt, "rsqrt") }
  /// 1 / x.
  public consuming func reciprocal() -> Tensor { _unary(.reciprocal, "reciprocal") }
  public consuming func sin() -> Tensor { _unary(.sin, "sin") }
  public consuming func cos() -> Tensor { _unary(.cos, "cos") }
  public consuming func tanh() -> Tensor { _unary(.tanh, "tanh") }
  public consuming func erf() -> Tensor { _unary(.erf, "erf") }
  /// 1 / (1 + exp(-x)).
  public consuming func sigmoid() -> Tensor { _unary(.sigmoid, "sigmoid") }
  /// x · Φ(x) exactly, or with the tanh approximation when `approximate` is true.
  public consuming func gelu(approximate: Bool = false) -> Tensor { _unary(approximate ? .geluTanh : .gelu, "gelu") }
  /// x · sigmoid(x).
  public consuming func silu() -> Tensor { _unary(.silu, "silu") }
  /// log(1 + exp(x)), stable for large |x|.
  public consuming func softplus() -> Tensor { _unary(.softplus, "softplus") }
  /// x where x > 0, else alpha·(exp(x) - 1).
  public consuming func elu(alpha: Double = 1) -> Tensor { _unary(.elu(alpha: alpha), "elu") }
  /// Largest integer value not above x.
  public consuming func floor() -> Tensor { _unary(.floor, "floor") }
  /// Smallest integer value not below x.
  public consuming func ceil() -> Tensor { _unary(.ceil, "ceil") }
  /// Nearest integer value, ties to even (like NumPy and PyTorch).
  public consuming func rounded() -> Tensor { _unary(.round, "rounded") }
  /// x raised to a scalar power.
  public func pow(_ exponent: Element) -> Tensor {
    let p = exponent.bornDouble
    if p == 2 { return _unary(.square, "pow") }
    if p == 1 { return self.copied() }
    return _unary(.powScalar(p), "pow")
  }
  /// x raised elementwise to the powers in `exponent` (broadcast).
  public func pow(_ exponent: Tensor) -> Tensor { Tensor._binary(.pow, self, exponent, "pow") }
}

// MARK: - Comparisons

extension Tensor where Element: NumericElement {
  @inlinable public static func .== (a: Tensor, b: Tensor) -> Tensor<Bool, B> { _compare(.equal, a, b, "==") }
  @inlinable public static func .!= (a: Tensor, b: Tensor) -> Tensor<Bool, B> { _compare(.notEqual, a, b, "!=") }
  @inlinable public static func .< (a: Tensor, b: Tensor) -> Tensor<Bool, B> { _compare(.less, a, b, "<") }
  @inlinable public static func .<= (a: Tensor, b: Tensor) -> Tensor<Bool, B> { _compare(.lessEqual, a, b, "<=") }
  @inlinable public static func .> (a: Tensor, b: Tensor) -> Tensor<Bool, B> { _compare(.greater, a, b, ">") }
  @inlinable public static func .>= (a: Tensor, b: Tensor) -> Tensor<Bool, B> { _compare(.greaterEqual, a, b, ">=") }

  @inlinable public static func .== (a: Tensor, b: Element) -> Tensor<Bool, B> { a .== a._scalarLike(b) }
  @inlinable public static func .!= (a: Tensor, b: Element) -> Tensor<Bool, B> { a .!= a._scalarLike(b) }
  @inlinable public static func .< (a: Tensor, b: Element) -> Tensor<Bool, B> { a .< a._scalarLike(b) }
  @inlinable public static func .<= (a: Tensor, b: Element) -> Tensor<Bool, B> { a .<= a._scalarLike(b) }
  @inlinable public static func .> (a: Tensor, b: Element) -> Tensor<Bool, B> { a .> a._scalarLike(b) }
  @inlinable public static func .>= (a: Tensor, b: Element) -> Tensor<Bool, B> { a .>= a._scalarLike(b) }
}

extension Tensor where Element == Bool {
  @inlinable public static func .== (a: Tensor, b: Tensor) -> Tensor { _compare(.equal, a, b, "==") }
  @inlinable public static func .!= (a: Tensor, b: Tensor) -> Tensor { _compare(.notEqual, a, b, "!=") }
  /// Logical and.
  @inlinable public static func .& (a: Tensor, b: Tensor) -> Tensor { _binary(.and, a, b, "logicalAnd") }
  /// Logical or.
  @inlinable public static func .| (a: Tensor, b: Tensor) -> Tensor { _binary(.or, a, b, "logicalOr") }
  /// Logical exclusive or.
  @inlinable public static func .^ (a: Tensor, b: Tensor) -> Tensor { _binary(.xor, a, b, "logicalXor") }
  /// Logical not.
  @inlinable public static prefix func .! (a: Tensor) -> Tensor { a._unary(.logicalNot, "logicalNot") }
}

extension Tensor where Element: FloatElement {
  /// True where the element is NaN.
  public func isNaN() -> Tensor<Bool, B> { _test(.isNaN) }
  /// True where the element is ±infinity.
  public func isInfinite() -> Tensor<Bool, B> { _test(.isInfinite) }
  /// True where the element is neither NaN nor infinite.
  public func isFinite() -> Tensor<Bool, B> { _test(.isFinite) }

  func _test(_ t: ElementTest) -> Tensor<Bool, B> {
    let out = _empty(shape, as: Bool.self)
    B.test(t, storage, layout, into: out.storage, dtype: Element.dtype)
    return out
  }
}

// MARK: - Selection

extension Tensor {
  /// Elements of `a` where `condition` is true and of `b` elsewhere, all three broadcast.
  ///
  /// ```swift
  /// let y = Tensor.where(x .> 0, x, Tensor.zeros(like: x))
  /// ```
  public static func `where`(_ condition: Tensor<Bool, B>, _ a: Tensor, _ b: Tensor) -> Tensor {
    guard let ab = broadcastShapes(a.shape, b.shape), let shape = broadcastShapes(condition.shape, ab) else {
      preconditionFailure(
        "where: condition \(condition._signature), a \(a._signature) and b \(b._signature) cannot be broadcast together"
      )
    }
    let out = a._empty(shape, as: Element.self)
    B.select(
      condition.storage, condition.layout.broadcast(to: shape)!, a.storage, a.layout.broadcast(to: shape)!,
      b.storage, b.layout.broadcast(to: shape)!, into: out.storage, dtype: Element.dtype)
    return out
  }

  /// Elements of `a` where `condition` is true, else the scalar `b`.
  public static func `where`(_ condition: Tensor<Bool, B>, _ a: Tensor, _ b: Element) -> Tensor {
    Tensor.where(condition, a, a._scalarLike(b))
  }

  /// `value` where `mask` is true, this tensor's element elsewhere (mask broadcasts).
  public func maskedFill(_ mask: Tensor<Bool, B>, with value: Element) -> Tensor {
    guard let shape = broadcastShapes(mask.shape, self.shape), shape == self.shape else {
      preconditionFailure("maskedFill: mask \(mask._signature) does not broadcast to \(_signature)")
    }
    return Tensor.where(mask, _scalarLike(value), self)
  }
}
