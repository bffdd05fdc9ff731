/// The largest rank a tensor can have.
public let maxRank = 8

/// A tensor's dimensions: a small fixed-capacity array stored inline (no heap allocation).
///
/// ```swift
/// let s: Shape = [2, 3, 4]
/// print(s.count, s.elementCount)  // 3 24
/// ```
@frozen
public struct Shape: Sendable, Hashable, RandomAccessCollection, MutableCollection,
  ExpressibleByArrayLiteral, CustomStringConvertible
{
  @usableFromInline var dims: InlineArray<8, Int>
  /// The number of dimensions (the rank).
  @usableFromInline var _count: Int
  @inlinable public var count: Int { _count }

  /// The shape of a scalar (rank 0).
  @inlinable public init() {
    dims = InlineArray(repeating: 0)
    _count = 0
  }

  /// A shape from a list of dimensions. Stops if there are more than ``maxRank`` or one is negative.
  @inlinable public init<C: Collection>(_ dimensions: C) where C.Element == Int {
    precondition(
      dimensions.count <= maxRank,
      "Shape: rank \(dimensions.count) exceeds the maximum rank \(maxRank)")
    dims = InlineArray(repeating: 0)
    _count = 0
    for d in dimensions {
      precondition(d >= 0, "Shape: negative dimension \(d) in \(Array(dimensions))")
      dims[count] = d
      _count += 1
    }
  }

  @inlinable public init(arrayLiteral elements: Int...) { self.init(elements) }

  /// A shape of `rank` dimensions, all equal to `value`.
  @inlinable public init(repeating value: Int, count rank: Int) {
    precondition(rank >= 0 && rank <= maxRank, "Shape: rank \(rank) is out of 0...\(maxRank)")
    dims = InlineArray(repeating: value)
    _count = rank
  }

  @inlinable public var startIndex: Int { 0 }
  @inlinable public var endIndex: Int { count }

  @inlinable public subscript(i: Int) -> Int {
    get {
      precondition(i >= 0 && i < count, "Shape: index \(i) out of range for rank \(count)")
      return dims[i]
    }
    set {
      precondition(i >= 0 && i < count, "Shape: index \(i) out of range for rank \(count)")
      dims[i] = newValue
    }
  }

  /// The product of the dimensions (1 for a scalar).
  @inlinable public var elementCount: Int {
    var n = 1
    for i in 0..<count { n &*= dims[i] }
    return n
  }

  /// Appends a dimension.
  @inlinable public mutating func append(_ d: Int) {
    precondition(count < maxRank, "Shape: rank would exceed the maximum rank \(maxRank)")
    dims[count] = d
    _count += 1
  }

  /// Inserts a dimension at `index`.
  @inlinable public mutating func insert(_ d: Int, at index: Int) {
    precondition(count < maxRank, "Shape: rank would exceed the maximum rank \(maxRank)")
    precondition(index >= 0 && index <= count, "Shape: insert position \(index) out of range")
    var i = count
    while i > index {
      dims[i] = dims[i - 1]
      i -= 1
    }
    dims[index] = d
    _count += 1
  }

  /// Removes and returns the dimension at `index`.
  @inlinable @discardableResult public mutating func remove(at index: Int) -> Int {
    precondition(index >= 0 && index < count, "Shape: remove position \(index) out of range")
    let d = dims[index]
    for i in index..<(count - 1) { dims[i] = dims[i + 1] }
    _count -= 1
    return d
  }

  /// Removes every dimension.
  @inlinable public mutating func removeAll() { _count = 0 }

  /// The dimensions as an array.
  @inlinable public var array: [Int] { Array(self) }

  public static func == (a: Shape, b: Shape) -> Bool {
    guard a.count == b.count else { return false }
    for i in 0..<a.count where a.dims[i] != b.dims[i] { return false }
    return true
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(count)
    for i in 0..<count { hasher.combine(dims[i]) }
  }

  public var description: String { "[" + map(String.init).joined(separator: ", ") + "]" }
}

/// A set of axes, stored as a bit mask.
@frozen public struct AxisSet: Sendable, Hashable {
  /// Bit `i` is set when axis `i` is in the set.
  public var mask: UInt32

  @inlinable public init(mask: UInt32 = 0) { self.mask = mask }

  /// Every axis of a tensor of the given rank.
  @inlinable public static func all(rank: Int) -> AxisSet { AxisSet(mask: (1 << UInt32(rank)) &- 1) }

  @inlinable public func contains(_ axis: Int) -> Bool { mask & (1 << UInt32(axis)) != 0 }
  @inlinable public mutating func insert(_ axis: Int) { mask |= 1 << UInt32(axis) }
  @inlinable public var isEmpty: Bool { mask == 0 }
  @inlinable public var count: Int { mask.nonzeroBitCount }
}

/// Where a tensor's elements live in its storage: shape, strides (in elements) and offset.
///
/// Views (reshape of contiguous data, permute, slice, expand) change only the layout.
/// Strides are never negative; a stride of 0 repeats an element (broadcasting).
@frozen public struct Layout: Sendable, Hashable, CustomStringConvertible {
  public var shape: Shape
  public var strides: Shape
  public var offset: Int

  /// A contiguous row-major layout.
  @inlinable public init(contiguous shape: Shape, offset: Int = 0) {
    self.shape = shape
    self.strides = Shape(repeating: 0, count: shape.count)
    var s = 1
    var i = shape.count - 1
    while i >= 0 {
      strides[i] = s
      s &*= shape[i]
      i -= 1
    }
    self.offset = offset
  }

  @inlinable public init(shape: Shape, strides: Shape, offset: Int) {
    precondition(shape.count == strides.count, "Layout: shape \(shape) and strides \(strides) differ in rank")
    self.shape = shape
    self.strides = strides
    self.offset = offset
  }

  @inlinable public var rank: Int { shape.count }
  @inlinable public var elementCount: Int { shape.elementCount }

  /// Whether elements are in row-major order with no gaps (dimensions of size 1 are ignored).
  @inlinable public var isContiguous: Bool {
    var expected = 1
    var i = shape.count - 1
    while i >= 0 {
      let d = shape[i]
      if d != 1 {
        if strides[i] != expected { return false }
        expected &*= d
      }
      i -= 1
    }
    return true
  }

  /// One past the largest storage index this layout touches (its offset when empty).
  @inlinable public var storageExtent: Int {
    if shape.elementCount == 0 { return offset }
    var last = offset
    for i in 0..<shape.count { last += (shape[i] - 1) * strides[i] }
    return last + 1
  }

  public var description: String { "Layout(shape: \(shape), strides: \(strides), offset: \(offset))" }
}
