import BornCore

/// An untyped tensor on the base backend, used to write backward rules once for every float
/// dtype. Results are contiguous.
struct Raw<B: Backend> {
  var storage: B.Storage
  var layout: Layout
  var dtype: DType

  init(_ storage: B.Storage, _ layout: Layout, _ dtype: DType) {
    self.storage = storage
    self.layout = layout
    self.dtype = dtype
  }

  /// A contiguous buffer viewed with `shape`.
  init(_ storage: B.Storage, shape: Shape, _ dtype: DType) {
    self.init(storage, Layout(contiguous: shape), dtype)
  }

  var shape: Shape { layout.shape }
  var device: B.Device { B.device(of: storage) }

  static func full(_ shape: Shape, _ value: Double, _ dtype: DType, on device: B.Device) -> Raw {
    let s = B.allocate(shape.elementCount, dtype: dtype, on: device)
    B.fill(s, count: shape.elementCount, value: value, dtype: dtype)
    return Raw(s, shape: shape, dtype)
  }

  func scalar(_ value: Double) -> Raw { Raw.full([], value, dtype, on: device) }
  func zeros(_ shape: Shape) -> Raw { Raw.full(shape, 0, dtype, on: device) }

  func unary(_ op: UnaryOp) -> Raw {
    let out = B.allocate(shape.elementCount, dtype: dtype, on: device)
    B.unary(op, storage, layout, into: out, dtype: dtype)
    return Raw(out, shape: shape, dtype)
  }

  func binary(_ op: BinaryOp, _ other: Raw) -> Raw {
    guard let s = broadcastShapes(shape, other.shape) else {
      preconditionFailure("backward: shapes \(shape) and \(other.shape) do not broadcast")
    }
    let out = B.allocate(s.elementCount, dtype: dtype, on: device)
    B.binary(
      op, storage, layout.broadcast(to: s)!, other.storage, other.layout.broadcast(to: s)!, into: out, dtype: dtype)
    return Raw(out, shape: s, dtype)
  }

  static func + (a: Raw, b: Raw) -> Raw { a.binary(.add, b) }
  static func - (a: Raw, b: Raw) -> Raw { a.binary(.sub, b) }
  static func * (a: Raw, b: Raw) -> Raw { a.binary(.mul, b) }
  static func / (a: Raw, b: Raw) -> Raw { a.binary(.div, b) }
  static func * (a: Raw, b: Double) -> Raw { a.binary(.mul, a.scalar(b)) }
  static func + (a: Raw, b: Double) -> Raw { a.binary(.add, a.scalar(b)) }
  static prefix func - (a: Raw) -> Raw { a.unary(.neg) }

  /// A Bool tensor.
  func compare(_ op: CompareOp, _ other: Raw) -> Raw {
    let s = broadcastShapes(shape, other.shape)!
    let out = B.allocate(s.elementCount, dtype: .bool, on: device)
    B.compare(
      op, storage, layout.broadcast(to: s)!, other.storage, other.layout.broadcast(to: s)!, into: out, dtype: dtype)
    return Raw(out, shape: s, .bool)
  }

  /// Bool → this dtype (0 or 1).
  func cast(to target: DType) -> Raw {
    if target == dtype { return self }
    let out = B.allocate(shape.elementCount, dtype: target, on: device)
    B.cast(storage, layout, from: dtype, into: out, to: target)
    return Raw(out, shape: shape, target)
  }

  /// cond ? a : b with broadcasting; `self` is the condition.
  func select(_ a: Raw, _ b: Raw) -> Raw {
    let s = broadcastShapes(shape, broadcastShapes(a.shape, b.shape)!)!
    let out = B.allocate(s.elementCount, dtype: a.dtype, on: device)
    B.select(
      storage, layout.broadcast(to: s)!, a.storage, a.layout.broadcast(to: s)!, b.storage, b.layout.broadcast(to: s)!,
      into: out, dtype: a.dtype)
    return Raw(out, shape: s, a.dtype)
  }

  /// Sum over `axes`, keeping them as size 1.
  func sum(_ axes: AxisSet) -> Raw {
    var kept = shape
    for i in 0..<shape.count where axes.contains(i) { kept[i] = 1 }
    let out = B.allocate(kept.elementCount, dtype: dtype, on: device)
    B.reduce(.sum, storage, layout, axes: axes, into: out, dtype: dtype)
    return Raw(out, shape: kept, dtype)
  }

  func sum(axis: Int) -> Raw {
    var set = AxisSet()
    set.insert(axis)
    return sum(set)
  }

  func cumsum(axis: Int) -> Raw {
    let out = B.allocate(shape.elementCount, dtype: dtype, on: device)
    B.scan(.cumsum, storage, layout, axis: axis, into: out, dtype: dtype)
    return Raw(out, shape: shape, dtype)
  }

  func contiguous() -> Raw {
    if layout.isContiguous && layout.offset == 0 { return self }
    let out = B.allocate(shape.elementCount, dtype: dtype, on: device)
    B.copy(storage, layout, into: out, Layout(contiguous: shape), dtype: dtype)
    return Raw(out, shape: shape, dtype)
  }

  func expanded(to s: Shape) -> Raw { Raw(storage, layout.broadcast(to: s)!, dtype) }

  /// Swaps the last two axes (a view).
  func transposedLast() -> Raw {
    var l = layout
    let r = l.rank
    l.shape.swapAt(r - 1, r - 2)
    l.strides.swapAt(r - 1, r - 2)
    return Raw(storage, l, dtype)
  }

  /// Batched product of [batch..., m, k] and [batch..., k, n] with equal batch shapes.
  func matmul(_ other: Raw) -> Raw {
    var outShape = shape
    outShape[shape.count - 1] = other.shape[other.shape.count - 1]
    let out = B.allocate(outShape.elementCount, dtype: dtype, on: device)
    B.matmul(storage, layout, other.storage, other.layout, into: out, dtype: dtype)
    return Raw(out, shape: outShape, dtype)
  }

  /// zeros(shape) with `source` added at `index` along `axis`.
  func scatterAdd(into shape: Shape, axis: Int, index: Raw) -> Raw {
    let z = zeros(shape)
    B.scatter(
      .add, into: z.storage, z.layout, axis: axis, index: index.storage, index.layout, source: storage, layout,
      dtype: dtype)
    return z
  }
}
