// Views and shape manipulation: reshape, permute, squeeze, expand, cat, stack, split, pad, tile.

/// The NumPy broadcast of two shapes, or nil when they are incompatible.
@inlinable public func broadcastShapes(_ a: Shape, _ b: Shape) -> Shape? {
  let rank = Swift.max(a.count, b.count)
  var out = Shape(repeating: 1, count: rank)
  for i in 0..<rank {
    let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
    let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
    if da == db || db == 1 {
      out[i] = da
    } else if da == 1 {
      out[i] = db
    } else {
      return nil
    }
  }
  return out
}

extension Layout {
  /// This layout viewed with `shape` by NumPy broadcasting (new leading axes and size-1 axes
  /// get stride 0), or nil when it cannot be broadcast there.
  @inlinable public func broadcast(to target: Shape) -> Layout? {
    guard target.count >= shape.count else { return nil }
    let lead = target.count - shape.count
    var strides = Shape(repeating: 0, count: target.count)
    for i in 0..<target.count where i >= lead {
      let d = shape[i - lead]
      if d == target[i] {
        strides[i] = d == 1 ? 0 : self.strides[i - lead]
      } else if d == 1 {
        strides[i] = 0
      } else {
        return nil
      }
    }
    return Layout(shape: target, strides: strides, offset: offset)
  }

  /// The strides of a view of these elements with `newShape`, when one exists without a copy.
  @inlinable public func reshapedStrides(_ newShape: Shape) -> Shape? {
    if isContiguous { return Layout(contiguous: newShape).strides }
    // Match groups of old dimensions to groups of new ones; each old group must be contiguous.
    var oldDims: [(size: Int, stride: Int)] = []
    for i in 0..<shape.count where shape[i] != 1 { oldDims.append((shape[i], strides[i])) }
    var result = Shape(repeating: 0, count: newShape.count)
    var oi = 0
    var ni = 0
    while ni < newShape.count {
      if newShape[ni] == 1 {
        result[ni] = 1
        ni += 1
        continue
      }
      guard oi < oldDims.count else { return nil }
      // Take old dims until their product covers the new dims' product.
      var oldProd = oldDims[oi].size
      var newProd = newShape[ni]
      let groupStartNew = ni
      var oEnd = oi
      var nEnd = ni
      while oldProd != newProd {
        if oldProd < newProd {
          oEnd += 1
          guard oEnd < oldDims.count else { return nil }
          guard oldDims[oEnd - 1].stride == oldDims[oEnd].stride * oldDims[oEnd].size else { return nil }
          oldProd *= oldDims[oEnd].size
        } else {
          nEnd += 1
          guard nEnd < newShape.count else { return nil }
          newProd *= newShape[nEnd]
        }
      }
      var stride = oldDims[oEnd].stride
      var j = nEnd
      while j >= groupStartNew {
        result[j] = stride
        stride *= newShape[j]
        j -= 1
      }
      oi = oEnd + 1
      ni = nEnd + 1
    }
    return oi == oldDims.count ? result : nil
  }
}

extension Tensor {
  /// The same elements with a new shape; one dimension may be -1 (inferred). A view when the
  /// layout allows it, a copy otherwise.
  ///
  /// ```swift
  /// let x = Tensor<Float, CPU>.arange(6).reshaped([2, -1])  // shape [2, 3]
  /// ```
  public func reshaped(_ newShape: [Int]) -> Tensor {
    var inferred = -1
    var known = 1
    for (i, d) in newShape.enumerated() {
      if d == -1 {
        check(inferred < 0, "reshaped: more than one -1 in \(newShape) for \(_signature)")
        inferred = i
      } else {
        check(d >= 0, "reshaped: negative dimension in \(newShape) for \(_signature)")
        known *= d
      }
    }
    var dims = newShape
    if inferred >= 0 {
      check(known > 0 && count % known == 0, "reshaped: cannot infer -1 in \(newShape) for \(_signature)")
      dims[inferred] = count / known
    }
    let target = Shape(dims)
    check(
      target.elementCount == count,
      "reshaped: cannot view \(_signature) (\(count) elements) as \(target) (\(target.elementCount) elements)")
    if let strides = layout.reshapedStrides(target) {
      return Tensor(storage: storage, layout: Layout(shape: target, strides: strides, offset: layout.offset))
    }
    return contiguous().reshaped(dims)
  }

  /// `reshaped` taking a ``Shape``.
  public func reshaped(_ newShape: Shape) -> Tensor { reshaped(newShape.array) }

  /// The dimensions reordered: result axis i is input axis `order[i]` (a view).
  public func permuted(_ order: [Int]) -> Tensor {
    check(order.count == rank, "permuted: order \(order) does not name \(rank) axes of \(_signature)")
    var seen = AxisSet()
    var l = layout
    for (i, a0) in order.enumerated() {
      let a = normalizedAxis(a0, op: "permuted")
      check(!seen.contains(a), "permuted: axis \(a0) repeated in \(order) for \(_signature)")
      seen.insert(a)
      l.shape[i] = layout.shape[a]
      l.strides[i] = layout.strides[a]
    }
    return Tensor(storage: storage, layout: l)
  }

  /// Swaps two axes (a view); by default the last two.
  public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
    check(
      rank >= 2 || (rank == 1 && a == -2 && b == -1) || rank == 0, "transposed: \(_signature) has fewer than 2 axes")
    if rank < 2 { return self }
    let i = normalizedAxis(a, op: "transposed")
    let j = normalizedAxis(b, op: "transposed")
    var order = Array(0..<rank)
    order.swapAt(i, j)
    return permuted(order)
  }

  /// A transposed 2-D matrix (`transposed()` for rank 2).
  public var T: Tensor { transposed() }

  /// Removes axes of size 1: all of them, or only `axis`.
  public func squeezed(axis: Int? = nil) -> Tensor {
    var l = layout
    if let axis {
      let a = normalizedAxis(axis, op: "squeezed")
      check(shape[a] == 1, "squeezed: axis \(axis) of \(_signature) has size \(shape[a]), not 1")
      l.shape.remove(at: a)
      l.strides.remove(at: a)
    } else {
      var i = l.shape.count - 1
      while i >= 0 {
        if l.shape[i] == 1 {
          l.shape.remove(at: i)
          l.strides.remove(at: i)
        }
        i -= 1
      }
    }
    return Tensor(storage: storage, layout: l)
  }

  /// Inserts an axis of size 1 at `axis` (which may be `rank`, or negative).
  public func unsqueezed(axis: Int) -> Tensor {
    let a = axis < 0 ? axis + rank + 1 : axis
    check(a >= 0 && a <= rank, "unsqueezed: axis \(axis) out of range for \(_signature)")
    var l = layout
    let stride = a < rank ? layout.strides[a] * layout.shape[a] : 1
    l.shape.insert(1, at: a)
    l.strides.insert(stride, at: a)
    return Tensor(storage: storage, layout: l)
  }

  /// A view repeating size-1 axes (and new leading axes) to `shape`, NumPy style. -1 keeps a size.
  public func expanded(to target: [Int]) -> Tensor {
    check(target.count >= rank, "expanded: \(_signature) cannot expand to fewer axes \(target)")
    var dims = target
    let lead = target.count - rank
    for i in 0..<target.count where dims[i] == -1 {
      check(i >= lead, "expanded: -1 at a new leading axis in \(target)")
      dims[i] = shape[i - lead]
    }
    guard let l = layout.broadcast(to: Shape(dims)) else {
      preconditionFailure("expanded: cannot broadcast \(_signature) to \(dims)")
    }
    return Tensor(storage: storage, layout: l)
  }

  /// `expanded(to:)` taking a ``Shape``.
  public func broadcast(to target: Shape) -> Tensor { expanded(to: target.array) }

  /// Axes `start...end` merged into one.
  public func flattened(from start: Int = 0, to end: Int = -1) -> Tensor {
    if rank == 0 { return reshaped([1]) }
    let s = normalizedAxis(start, op: "flattened")
    let e = normalizedAxis(end, op: "flattened")
    check(s <= e, "flattened: start axis \(start) is after end axis \(end) for \(_signature)")
    var dims: [Int] = []
    for i in 0..<s { dims.append(shape[i]) }
    var merged = 1
    for i in s...e { merged *= shape[i] }
    dims.append(merged)
    for i in (e + 1)..<rank { dims.append(shape[i]) }
    return reshaped(dims)
  }

  /// A tensor with the same values in a fresh contiguous buffer (self when already contiguous
  /// and starting at its storage's beginning).
  public func contiguous() -> Tensor {
    if layout.isContiguous { return self }
    let out = _empty(shape, as: Element.self)
    B.copy(storage, layout, into: out.storage, out.layout, dtype: Element.dtype)
    return out
  }

  /// A copy of the values in a new buffer that no other tensor shares.
  public func copied() -> Tensor {
    let out = _empty(shape, as: Element.self)
    B.copy(storage, layout, into: out.storage, out.layout, dtype: Element.dtype)
    return out
  }

  /// The values converted to another element type (see ``TensorElement`` for the rules).
  ///
  /// ```swift
  /// let h = Tensor<Float, CPU>([1.5, 70000]).cast(to: Float16.self)  // [1.5, inf]
  /// ```
  public func cast<E: TensorElement>(to: E.Type) -> Tensor<E, B> {
    if E.self == Element.self { return unsafeBitCast(self, to: Tensor<E, B>.self) }
    let out = _empty(shape, as: E.self)
    B.cast(storage, layout, from: Element.dtype, into: out.storage, to: E.dtype)
    return out
  }
}

// MARK: - Joining and splitting

extension Tensor {
  /// Joins tensors along an existing axis; all other dimensions must match.
  ///
  /// ```swift
  /// let c = Tensor.cat([a, b], axis: 0)
  /// ```
  public static func cat(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
    check(!tensors.isEmpty, "cat: no tensors given")
    let first = tensors[0]
    let a = first.normalizedAxis(axis, op: "cat")
    var total = 0
    for (i, t) in tensors.enumerated() {
      check(t.rank == first.rank, "cat: tensor \(i) is \(t._signature), tensor 0 is \(first._signature); ranks differ")
      for d in 0..<first.rank where d != a {
        check(
          t.shape[d] == first.shape[d],
          "cat: tensor \(i) is \(t._signature), tensor 0 is \(first._signature); axis \(d) differs")
      }
      total += t.shape[a]
    }
    var shape = first.shape
    shape[a] = total
    let out = first._empty(shape, as: Element.self)
    var start = 0
    for t in tensors where t.shape[a] > 0 {
      var dst = out.layout
      dst.shape[a] = t.shape[a]
      dst.offset = start * out.layout.strides[a]
      B.copy(t.storage, t.layout, into: out.storage, dst, dtype: Element.dtype)
      start += t.shape[a]
    }
    return out
  }

  /// Joins tensors of the same shape along a new axis.
  public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
    check(!tensors.isEmpty, "stack: no tensors given")
    let r = tensors[0].rank
    let a = axis < 0 ? axis + r + 1 : axis
    check(a >= 0 && a <= r, "stack: axis \(axis) out of range for tensors of rank \(r)")
    for (i, t) in tensors.enumerated() {
      check(t.shape == tensors[0].shape, "stack: tensor \(i) is \(t._signature), tensor 0 is \(tensors[0]._signature)")
    }
    return cat(tensors.map { $0.unsqueezed(axis: a) }, axis: a)
  }

  /// Views of consecutive pieces along `axis` with the given sizes (which must add up to the
  /// axis' size).
  public func split(sizes: [Int], axis: Int = 0) -> [Tensor] {
    let a = normalizedAxis(axis, op: "split")
    check(
      sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) == shape[a],
      "split: sizes \(sizes) do not add up to axis \(axis) of \(_signature)")
    var start = 0
    return sizes.map { n in
      defer { start += n }
      return narrowed(axis: a, start: start, length: n)
    }
  }

  /// Views of pieces of `size` along `axis` (the last may be smaller).
  public func split(size: Int, axis: Int = 0) -> [Tensor] {
    check(size > 0, "split: piece size \(size) must be positive")
    let a = normalizedAxis(axis, op: "split")
    let n = shape[a]
    var sizes: [Int] = []
    var s = 0
    while s < n {
      sizes.append(Swift.min(size, n - s))
      s += size
    }
    return split(sizes: sizes, axis: a)
  }

  /// Views of `chunks` nearly equal pieces along `axis` (PyTorch's rule: pieces of
  /// ceil(n / chunks), so fewer pieces may come back).
  public func chunked(_ chunks: Int, axis: Int = 0) -> [Tensor] {
    check(chunks > 0, "chunked: chunk count \(chunks) must be positive")
    let a = normalizedAxis(axis, op: "chunked")
    let n = shape[a]
    if n == 0 { return [self] }
    return split(size: (n + chunks - 1) / chunks, axis: a)
  }

  /// A view of `length` entries along `axis` starting at `start`.
  public func narrowed(axis: Int, start: Int, length: Int) -> Tensor {
    let a = normalizedAxis(axis, op: "narrowed")
    check(
      start >= 0 && length >= 0 && start + length <= shape[a],
      "narrowed: range \(start)..<\(start + length) out of bounds for axis \(axis) of \(_signature)")
    var l = layout
    l.shape[a] = length
    if length > 0 { l.offset += start * l.strides[a] }
    return Tensor(storage: storage, layout: l)
  }
}

// MARK: - Padding and repetition

/// How `padded` fills the border.
public enum PaddingMode: Sendable, Hashable {
  /// A constant value.
  case constant
  /// Mirror without repeating the edge: [1, 2, 3] padded by 2 → [3, 2, 1, 2, 3, 2, 1].
  case reflect
  /// Repeat the edge value.
  case replicate
}

extension Tensor {
  /// Pads each axis by (before, after) amounts, listed from the first axis on; axes without an
  /// entry are not padded. (PyTorch's `F.pad` lists the last axis first; this lists the first.)
  ///
  /// ```swift
  /// x.padded([(0, 0), (1, 1)], mode: .reflect)
  /// ```
  public func padded(
    _ amounts: [(Int, Int)], mode: PaddingMode = .constant, value: Element = Element(bornConverting: 0)
  ) -> Tensor {
    check(amounts.count <= rank, "padded: \(amounts.count) (before, after) pairs for \(_signature)")
    var pads = amounts
    while pads.count < rank { pads.append((0, 0)) }
    for (i, p) in pads.enumerated() {
      check(p.0 >= 0 && p.1 >= 0, "padded: negative padding \(p) on axis \(i) of \(_signature)")
      if mode == .reflect && (p.0 > 0 || p.1 > 0) {
        check(
          p.0 < shape[i] && p.1 < shape[i],
          "padded: reflect padding \(p) must be smaller than axis \(i) of \(_signature)")
      }
      if mode == .replicate && (p.0 > 0 || p.1 > 0) {
        check(shape[i] > 0, "padded: cannot replicate-pad empty axis \(i) of \(_signature)")
      }
    }
    var outShape = shape
    for i in 0..<rank { outShape[i] += pads[i].0 + pads[i].1 }
    switch mode {
    case .constant:
      let out = Tensor.full(outShape, value, on: device)
      if count > 0 {
        var dst = out.layout
        dst.shape = shape
        dst.offset = 0
        for i in 0..<rank { dst.offset += pads[i].0 * out.layout.strides[i] }
        B.copy(storage, layout, into: out.storage, dst, dtype: Element.dtype)
      }
      return out
    case .reflect, .replicate:
      var result = self
      for i in 0..<rank where pads[i].0 > 0 || pads[i].1 > 0 {
        let n = shape[i]
        let idx = (-pads[i].0..<(n + pads[i].1)).map { j -> Int64 in
          if mode == .replicate { return Int64(Swift.min(Swift.max(j, 0), n - 1)) }
          var k = j
          if k < 0 { k = -k }
          if k >= n { k = 2 * (n - 1) - k }
          return Int64(k)
        }
        result = result.indexSelect(axis: i, Tensor<Int64, B>(idx, on: device))
      }
      return result
    }
  }

  /// Repeats the whole tensor `counts[i]` times along axis i (PyTorch's `repeat`; leading
  /// counts beyond the rank add axes).
  public func repeated(_ counts: [Int]) -> Tensor {
    check(counts.count >= rank, "repeated: \(counts.count) counts for \(_signature)")
    check(counts.allSatisfy { $0 >= 0 }, "repeated: negative count in \(counts)")
    let lead = counts.count - rank
    var x = self
    for _ in 0..<lead { x = x.unsqueezed(axis: 0) }
    // One axis at a time: a stride-0 axis in front of axis i, copied, then merged into it.
    for i in 0..<counts.count where counts[i] != 1 {
      var target = x.shape.array
      target.insert(counts[i], at: i)
      var merged = x.shape.array
      merged[i] *= counts[i]
      x = x.unsqueezed(axis: i).expanded(to: target).contiguous().reshaped(merged)
    }
    return x.layout.isContiguous && x.storage !== storage ? x : x.copied()
  }

  /// NumPy's `tile`: like `repeated`, but fewer counts than axes repeat the last axes.
  public func tiled(_ counts: [Int]) -> Tensor {
    var c = counts
    while c.count < rank { c.insert(1, at: 0) }
    return repeated(c)
  }
}
