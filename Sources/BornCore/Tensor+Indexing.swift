// Gather, scatter, index selection, one-hot, embedding lookup, sorting and top-k.

extension Tensor where Element == Int64 {
  /// Stops unless every index lies in 0..<bound.
  func _checkIndices(below bound: Int, op: String, context: String) {
    if count == 0 { return }
    let values = contiguous().toArray()
    var lo = Int64.max
    var hi = Int64.min
    for v in values {
      lo = Swift.min(lo, v)
      hi = Swift.max(hi, v)
    }
    check(lo >= 0 && hi < Int64(bound), "\(op): index \(lo < 0 ? lo : hi) is out of range 0..<\(bound) for \(context)")
  }
}

extension Tensor {
  /// out[i][j][k] = self[index[i][j][k]][j][k] (for axis 0; likewise for other axes).
  /// `index` has the rank of `self`; its other axes may be shorter than this tensor's.
  ///
  /// ```swift
  /// let x = Tensor<Float, CPU>([[1, 2], [3, 4]])
  /// x.gather(axis: 1, index: Tensor<Int64, CPU>([[0, 0], [1, 0]]))  // [[1, 1], [4, 3]]
  /// ```
  public func gather(axis: Int, index: Tensor<Int64, B>) -> Tensor {
    let a = normalizedAxis(axis, op: "gather")
    check(index.rank == rank, "gather: index \(index._signature) must have the rank of \(_signature)")
    var src = layout
    for d in 0..<rank where d != a {
      check(index.shape[d] <= shape[d], "gather: index \(index._signature) is larger than \(_signature) on axis \(d)")
      src.shape[d] = index.shape[d]
    }
    index._checkIndices(below: shape[a], op: "gather", context: "axis \(axis) of \(_signature)")
    let out = _empty(index.shape, as: Element.self)
    B.gather(storage, src, axis: a, index: index.storage, index.layout, into: out.storage, dtype: Element.dtype)
    return out
  }

  /// A copy with `source` values written at the positions `index` names along `axis`:
  /// out[index[i][j]][j] = source[i][j] (for axis 0). With duplicate indices the last write wins.
  public func scatter(axis: Int, index: Tensor<Int64, B>, source: Tensor) -> Tensor {
    _scatter(.assign, axis, index, source, "scatter")
  }

  /// Like `scatter`, but adds: out[index[i][j]][j] += source[i][j]; duplicates accumulate.
  public func scatterAdd(axis: Int, index: Tensor<Int64, B>, source: Tensor) -> Tensor {
    check(Element.dtype != .bool, "scatterAdd: needs a numeric tensor, got \(_signature)")
    return _scatter(.add, axis, index, source, "scatterAdd")
  }

  func _scatter(_ mode: ScatterMode, _ axis: Int, _ index: Tensor<Int64, B>, _ source: Tensor, _ op: String) -> Tensor {
    let a = normalizedAxis(axis, op: op)
    check(
      index.rank == rank && source.rank == rank,
      "\(op): index \(index._signature) and source \(source._signature) must have the rank of \(_signature)")
    var srcLayout = source.layout
    for d in 0..<rank {
      check(
        index.shape[d] <= source.shape[d],
        "\(op): index \(index._signature) is larger than source \(source._signature) on axis \(d)")
      if d != a {
        check(index.shape[d] <= shape[d], "\(op): index \(index._signature) is larger than \(_signature) on axis \(d)")
      }
      srcLayout.shape[d] = index.shape[d]
    }
    index._checkIndices(below: shape[a], op: op, context: "axis \(axis) of \(_signature)")
    let out = copied()
    B.scatter(
      mode, into: out.storage, out.layout, axis: a, index: index.storage, index.layout, source: source.storage,
      srcLayout, dtype: Element.dtype)
    return out
  }

  /// The slices at `indices` (a vector) along `axis`, in that order.
  public func indexSelect(axis: Int, _ indices: Tensor<Int64, B>) -> Tensor {
    let a = normalizedAxis(axis, op: "indexSelect")
    check(indices.rank == 1, "indexSelect: indices must be a vector, got \(indices._signature)")
    indices._checkIndices(below: shape[a], op: "indexSelect", context: "axis \(axis) of \(_signature)")
    var outShape = shape
    outShape[a] = indices.count
    let out = _empty(outShape, as: Element.self)
    B.indexSelect(
      storage, layout, axis: a, indices: indices.storage, indices.layout, into: out.storage, dtype: Element.dtype)
    return out
  }

  /// The slices at `indices` along `axis`.
  public func indexSelect(axis: Int, _ indices: [Int]) -> Tensor {
    indexSelect(axis: axis, Tensor<Int64, B>(indices.map { Int64($0) }, on: device))
  }

  /// Rows of this [vocabulary, dim] table for each id: result shape ids.shape + [dim].
  ///
  /// ```swift
  /// let vectors = table.embedding(ids)  // ids: Tensor<Int64, CPU> of shape [batch, seq]
  /// ```
  public func embedding(_ ids: Tensor<Int64, B>) -> Tensor {
    check(rank == 2, "embedding: the table must be [vocabulary, dim], got \(_signature)")
    let rows = indexSelect(axis: 0, ids.reshaped([ids.count]))
    var dims = ids.shape.array
    dims.append(shape[1])
    return rows.reshaped(dims)
  }
}

extension Tensor where Element == Int64 {
  /// One-hot encoding: shape + [classes], 1 at each index and 0 elsewhere.
  public func oneHot<E: NumericElement>(classes: Int, as: E.Type = Float.self) -> Tensor<E, B> {
    check(classes > 0, "oneHot: class count \(classes) must be positive")
    _checkIndices(below: classes, op: "oneHot", context: "\(classes) classes")
    let positions = Tensor<Int64, B>.arange(0, Int64(classes), on: device)
    return (unsqueezed(axis: -1) .== positions).cast(to: E.self)
  }
}

extension Tensor where Element: NumericElement {
  /// Values sorted along `axis` and the positions they came from (stable; NaN sorts last
  /// ascending and first descending, as in NumPy/PyTorch).
  public func sorted(axis: Int = -1, descending: Bool = false) -> (values: Tensor, indices: Tensor<Int64, B>) {
    let a = normalizedAxis(axis, op: "sorted")
    let values = _empty(shape, as: Element.self)
    let indices = _empty(shape, as: Int64.self)
    if count > 0 {
      B.sort(
        storage, layout, axis: a, descending: descending, values: values.storage, indices: indices.storage,
        dtype: Element.dtype)
    }
    return (values, indices)
  }

  /// The positions that sort this tensor along `axis`.
  public func argsort(axis: Int = -1, descending: Bool = false) -> Tensor<Int64, B> {
    sorted(axis: axis, descending: descending).indices
  }

  /// The `k` largest (or smallest) values along `axis` and their positions, in sorted order
  /// (descending for largest, ascending for smallest).
  ///
  /// ```swift
  /// let (v, i) = logits.topK(5)
  /// ```
  public func topK(_ k: Int, axis: Int = -1, largest: Bool = true) -> (values: Tensor, indices: Tensor<Int64, B>) {
    let a = normalizedAxis(axis, op: "topK")
    check(k >= 0 && k <= shape[a], "topK: k = \(k) is out of range for axis \(axis) of \(_signature)")
    var outShape = shape
    outShape[a] = k
    let values = _empty(outShape, as: Element.self)
    let indices = _empty(outShape, as: Int64.self)
    if outShape.elementCount > 0 {
      B.topK(
        storage, layout, axis: a, k: k, largest: largest, values: values.storage, indices: indices.storage,
        dtype: Element.dtype)
    }
    return (values, indices)
  }
}
