/// An n-dimensional array of `Element`s on backend `B`.
///
/// Tensors are values: copying one is cheap (storage is shared) and changing a tensor never
/// changes another tensor the program holds. Views (reshape of contiguous data, transpose,
/// slicing, expand) share storage and change only the ``Layout``; an op that owns the only
/// reference to its input's buffer may write its result there in place.
///
/// ```swift
/// let a = Tensor<Float, CPU>([[1, 2], [3, 4]])
/// let b = (a * 2 + 1).exp()
/// print(b.shape)  // [2, 2]
/// ```
public struct Tensor<Element: TensorElement, B: Backend>: Sendable {
  /// The backend storage holding the elements (possibly shared with other tensors).
  public var storage: B.Storage
  /// Shape, strides and offset into ``storage``.
  public var layout: Layout

  /// A tensor over existing storage. The layout must stay within the storage.
  @inlinable public init(storage: B.Storage, layout: Layout) {
    self.storage = storage
    self.layout = layout
  }

  /// The dimensions.
  @inlinable public var shape: Shape { layout.shape }
  /// The number of dimensions.
  @inlinable public var rank: Int { layout.shape.count }
  /// The number of elements.
  @inlinable public var count: Int { layout.shape.elementCount }
  /// The element type tag.
  @inlinable public var dtype: DType { Element.dtype }
  /// The device holding the storage.
  @inlinable public var device: B.Device { B.device(of: storage) }
  /// Whether the elements are laid out contiguously in row-major order.
  @inlinable public var isContiguous: Bool { layout.isContiguous }

  /// The size of dimension `axis` (negative counts from the end).
  @inlinable public func size(_ axis: Int) -> Int { shape[normalizedAxis(axis, op: "size")] }
}

// MARK: - Construction from host values

extension Tensor {
  /// A tensor holding `scalars` in row-major order with the given shape.
  ///
  /// ```swift
  /// let x = Tensor<Float, CPU>([1, 2, 3, 4, 5, 6], shape: [2, 3])
  /// ```
  public init(_ scalars: [Element], shape: Shape, on device: B.Device = B.defaultDevice) {
    precondition(
      scalars.count == shape.elementCount,
      "Tensor.init: \(scalars.count) scalars do not fill shape \(shape) (\(shape.elementCount) elements)")
    let storage = scalars.withUnsafeBytes { B.upload($0, dtype: Element.dtype, on: device) }
    self.init(storage: storage, layout: Layout(contiguous: shape))
  }

  /// A 1-D tensor.
  public init(_ scalars: [Element], on device: B.Device = B.defaultDevice) {
    self.init(scalars, shape: [scalars.count], on: device)
  }

  /// A rank-0 tensor holding one value.
  public init(_ scalar: Element, on device: B.Device = B.defaultDevice) {
    self.init([scalar], shape: [], on: device)
  }

  /// A 2-D tensor from nested arrays; every row must have the same length.
  public init(_ rows: [[Element]], on device: B.Device = B.defaultDevice) {
    let cols = rows.first?.count ?? 0
    for (i, r) in rows.enumerated() {
      precondition(r.count == cols, "Tensor.init: row \(i) has \(r.count) elements, row 0 has \(cols)")
    }
    self.init(rows.flatMap { $0 }, shape: [rows.count, cols], on: device)
  }

  /// A 3-D tensor from nested arrays; the nesting must be rectangular.
  public init(_ planes: [[[Element]]], on device: B.Device = B.defaultDevice) {
    let rows = planes.first?.count ?? 0
    let cols = planes.first?.first?.count ?? 0
    var flat: [Element] = []
    flat.reserveCapacity(planes.count * rows * cols)
    for (i, p) in planes.enumerated() {
      precondition(p.count == rows, "Tensor.init: plane \(i) has \(p.count) rows, plane 0 has \(rows)")
      for (j, r) in p.enumerated() {
        precondition(r.count == cols, "Tensor.init: row [\(i)][\(j)] has \(r.count) elements, expected \(cols)")
        flat.append(contentsOf: r)
      }
    }
    self.init(flat, shape: [planes.count, rows, cols], on: device)
  }

  /// A 4-D tensor from nested arrays; the nesting must be rectangular.
  public init(_ blocks: [[[[Element]]]], on device: B.Device = B.defaultDevice) {
    let planes = blocks.first?.count ?? 0
    let rows = blocks.first?.first?.count ?? 0
    let cols = blocks.first?.first?.first?.count ?? 0
    var flat: [Element] = []
    flat.reserveCapacity(blocks.count * planes * rows * cols)
    for (i, b) in blocks.enumerated() {
      precondition(b.count == planes, "Tensor.init: block \(i) has \(b.count) planes, expected \(planes)")
      for (j, p) in b.enumerated() {
        precondition(p.count == rows, "Tensor.init: plane [\(i)][\(j)] has \(p.count) rows, expected \(rows)")
        for (k, r) in p.enumerated() {
          precondition(
            r.count == cols, "Tensor.init: row [\(i)][\(j)][\(k)] has \(r.count) elements, expected \(cols)")
          flat.append(contentsOf: r)
        }
      }
    }
    self.init(flat, shape: [blocks.count, planes, rows, cols], on: device)
  }
}

// MARK: - Reading values back

extension Tensor {
  /// The elements in row-major order.
  public func toArray() -> [Element] {
    let n = count
    return [Element](unsafeUninitializedCapacity: n) { buf, initialized in
      B.download(storage, layout, dtype: Element.dtype, into: UnsafeMutableRawBufferPointer(buf))
      initialized = n
    }
  }

  /// The single element of a tensor with exactly one element (of any rank).
  public func item() -> Element {
    precondition(count == 1, "item: tensor of shape \(shape) has \(count) elements, expected exactly 1")
    return toArray()[0]
  }
}

// MARK: - Shared helpers for ops

extension Tensor {
  /// Normalizes a possibly negative axis against this tensor's rank, stopping with a message
  /// naming the op when it is out of range.
  @inlinable public func normalizedAxis(_ axis: Int, op: String, rank r: Int? = nil) -> Int {
    let rank = r ?? self.rank
    let a = axis < 0 ? axis + rank : axis
    precondition(
      a >= 0 && a < Swift.max(rank, 1) && (rank > 0 || a == 0),
      "\(op): axis \(axis) is out of range for a tensor of shape \(shape) (rank \(rank))")
    return a
  }

  /// A fresh contiguous tensor of the given shape on the same device, contents unspecified.
  @inlinable public func _empty<E: TensorElement>(_ shape: Shape, as: E.Type = E.self) -> Tensor<E, B> {
    Tensor<E, B>(storage: B.allocate(shape.elementCount, dtype: E.dtype, on: device), layout: Layout(contiguous: shape))
  }

  /// Whether this tensor's storage can receive a result of `shape` in place: uniquely
  /// referenced, contiguous from offset 0, same shape.
  @inlinable mutating func _canReuse(for shape: Shape) -> Bool {
    layout.offset == 0 && layout.shape == shape && layout.isContiguous && B.isUniquelyReferenced(&storage)
  }

  /// A description of an operand for error messages: "f32[2, 3] on cpu".
  @inlinable public var _signature: String { "\(Element.dtype)\(shape) on \(B.name)" }
}

/// Stops with a message when a programmer error is detected.
@inlinable func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
  precondition(condition(), message())
}
