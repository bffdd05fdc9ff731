// NumPy-style subscripts: integers (negative from the end), ranges with optional steps,
// new axes and an ellipsis. Reading gives a view; assigning writes through a unique copy.

/// One entry of a tensor subscript.
public enum TensorIndex: Sendable, Hashable {
  /// A single position (negative counts from the end); removes the axis.
  case index(Int)
  /// Positions start..<end (nil means the axis' start or end) every `step` (> 0).
  case slice(start: Int?, end: Int?, step: Int)
  /// A new axis of size 1.
  case _newAxis
  /// As many full slices as needed to cover the axes not named.
  case _ellipsis
}

/// Values that can appear in a tensor subscript: `Int`, Swift ranges and ``TensorIndex``.
public protocol TensorIndexConvertible {
  var tensorIndex: TensorIndex { get }
}

extension TensorIndex: TensorIndexConvertible {
  public var tensorIndex: TensorIndex { self }
}

extension TensorIndexConvertible where Self == TensorIndex {
  /// A new axis of size 1 (NumPy's `None`).
  public static var newAxis: TensorIndex { ._newAxis }
  /// Every remaining axis (NumPy's `...`).
  public static var ellipsis: TensorIndex { ._ellipsis }
  /// The whole axis (NumPy's `:`).
  public static var all: TensorIndex { .slice(start: nil, end: nil, step: 1) }
  /// Every `step`-th position in `start..<end`.
  public static func stride(from start: Int? = nil, to end: Int? = nil, by step: Int) -> TensorIndex {
    .slice(start: start, end: end, step: step)
  }
}

extension Int: TensorIndexConvertible {
  public var tensorIndex: TensorIndex { .index(self) }
}
extension Range: TensorIndexConvertible where Bound == Int {
  public var tensorIndex: TensorIndex { .slice(start: lowerBound, end: upperBound, step: 1) }
}
extension ClosedRange: TensorIndexConvertible where Bound == Int {
  public var tensorIndex: TensorIndex {
    .slice(start: lowerBound, end: upperBound == -1 ? nil : upperBound + 1, step: 1)
  }
}
extension PartialRangeFrom: TensorIndexConvertible where Bound == Int {
  public var tensorIndex: TensorIndex { .slice(start: lowerBound, end: nil, step: 1) }
}
extension PartialRangeUpTo: TensorIndexConvertible where Bound == Int {
  public var tensorIndex: TensorIndex { .slice(start: nil, end: upperBound, step: 1) }
}
extension PartialRangeThrough: TensorIndexConvertible where Bound == Int {
  public var tensorIndex: TensorIndex { .slice(start: nil, end: upperBound == -1 ? nil : upperBound + 1, step: 1) }
}

extension Tensor {
  /// The layout selected by a subscript.
  func _subscriptLayout(_ indices: [TensorIndex]) -> Layout {
    let ellipses = indices.filter { $0 == ._ellipsis }.count
    check(ellipses <= 1, "subscript: more than one ellipsis in \(indices) for \(_signature)")
    let named = indices.filter {
      if case .index = $0 { return true }
      if case .slice = $0 { return true }
      return false
    }.count
    check(named <= rank, "subscript: \(named) indices for \(_signature)")
    var expanded: [TensorIndex] = []
    for i in indices {
      if i == ._ellipsis {
        for _ in 0..<(rank - named) { expanded.append(.all) }
      } else {
        expanded.append(i)
      }
    }
    while expanded.filter({ $0 != ._newAxis }).count < rank { expanded.append(.all) }
    var out = Layout(shape: Shape(), strides: Shape(), offset: layout.offset)
    var axis = 0
    for idx in expanded {
      switch idx {
      case .index(let i0):
        let n = shape[axis]
        let i = i0 < 0 ? i0 + n : i0
        check(i >= 0 && i < n, "subscript: index \(i0) is out of range for axis \(axis) of \(_signature)")
        out.offset += i * layout.strides[axis]
        axis += 1
      case .slice(let s0, let e0, let step):
        let n = shape[axis]
        check(step > 0, "subscript: step \(step) on axis \(axis) of \(_signature) must be positive")
        func clampBound(_ v: Int?, _ dflt: Int) -> Int {
          guard var v else { return dflt }
          if v < 0 { v += n }
          return Swift.min(Swift.max(v, 0), n)
        }
        let s = clampBound(s0, 0)
        let e = clampBound(e0, n)
        let len = e > s ? (e - s + step - 1) / step : 0
        if len > 0 { out.offset += s * layout.strides[axis] }
        out.shape.append(len)
        out.strides.append(layout.strides[axis] * step)
        axis += 1
      case ._newAxis:
        out.shape.append(1)
        out.strides.append(0)
      case ._ellipsis:
        break
      }
    }
    return out
  }

  /// A view selected by integers, ranges, `.newAxis`, `.ellipsis` and `.stride(...)`.
  ///
  /// ```swift
  /// let x = Tensor<Float, CPU>.arange(24).reshaped([2, 3, 4])
  /// x[1]                    // shape [3, 4]
  /// x[0, 1..<3, -1]         // shape [2]
  /// x[.ellipsis, .stride(by: 2)]  // shape [2, 3, 2]
  /// x[.newAxis, 0]          // shape [1, 3, 4]
  /// ```
  /// Assigning through a subscript writes `newValue` (broadcast) into the selected positions;
  /// other tensors that shared the storage keep their values.
  public subscript(_ indices: any TensorIndexConvertible...) -> Tensor {
    get { Tensor(storage: storage, layout: _subscriptLayout(indices.map(\.tensorIndex))) }
    set {
      let idx = indices.map(\.tensorIndex)
      _makeWritable()
      _assign(_subscriptLayout(idx), newValue)
    }
  }

  /// Gives this tensor a buffer that no other tensor shares and whose positions don't overlap
  /// (no stride-0 axes), copying when needed.
  mutating func _makeWritable() {
    var overlapping = false
    for i in 0..<rank where layout.strides[i] == 0 && shape[i] > 1 { overlapping = true }
    if overlapping || !B.isUniquelyReferenced(&storage) { self = copied() }
  }

  /// Writes `value` (broadcast) into the positions `target` selects.
  func _assign(_ target: Layout, _ value: Tensor) {
    guard let src = value.layout.broadcast(to: target.shape) else {
      preconditionFailure("subscript assignment: \(value._signature) does not broadcast to \(target.shape)")
    }
    if target.elementCount == 0 { return }
    if value.storage === storage {
      // Reading and writing one buffer: go through a copy so overlapping ranges stay correct.
      let tmp = value.copied()
      B.copy(tmp.storage, tmp.layout.broadcast(to: target.shape)!, into: storage, target, dtype: Element.dtype)
    } else {
      B.copy(value.storage, src, into: storage, target, dtype: Element.dtype)
    }
  }
}
