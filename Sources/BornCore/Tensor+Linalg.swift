// Matrix products.

extension Tensor where Element: NumericElement {
  /// Matrix product with NumPy's `matmul` rules: 1-D operands are promoted to matrices (and
  /// the added axis removed), leading batch axes broadcast. Transposed views are read in place.
  ///
  /// ```swift
  /// let y = x.matmul(w.T)  // [batch, in] · [in, out]
  /// ```
  public func matmul(_ other: Tensor) -> Tensor {
    check(
      rank >= 1 && other.rank >= 1, "matmul: operands must have rank ≥ 1, got \(_signature) and \(other._signature)")
    var a = self
    var b = other
    let aVector = a.rank == 1
    let bVector = b.rank == 1
    if aVector { a = a.unsqueezed(axis: 0) }
    if bVector { b = b.unsqueezed(axis: 1) }
    let m = a.shape[a.rank - 2]
    let k = a.shape[a.rank - 1]
    let k2 = b.shape[b.rank - 2]
    let n = b.shape[b.rank - 1]
    check(k == k2, "matmul: inner dimensions differ: \(_signature) · \(other._signature) (\(k) vs \(k2))")
    var aBatch = a.shape
    aBatch.remove(at: aBatch.count - 1)
    aBatch.remove(at: aBatch.count - 1)
    var bBatch = b.shape
    bBatch.remove(at: bBatch.count - 1)
    bBatch.remove(at: bBatch.count - 1)
    guard let batch = broadcastShapes(aBatch, bBatch) else {
      preconditionFailure("matmul: batch dimensions of \(_signature) and \(other._signature) cannot be broadcast")
    }
    var aTarget = batch
    aTarget.append(m)
    aTarget.append(k)
    var bTarget = batch
    bTarget.append(k)
    bTarget.append(n)
    var outShape = batch
    outShape.append(m)
    outShape.append(n)
    let out = a._empty(outShape, as: Element.self)
    B.matmul(
      a.storage, a.layout.broadcast(to: aTarget)!, b.storage, b.layout.broadcast(to: bTarget)!, into: out.storage,
      dtype: Element.dtype)
    var result = out
    if aVector { result = result.squeezed(axis: -2) }
    if bVector { result = result.squeezed(axis: -1) }
    return result
  }

  /// Outer product of two vectors: [m] ⊗ [n] → [m, n].
  public func outer(_ other: Tensor) -> Tensor {
    check(rank == 1 && other.rank == 1, "outer: needs two vectors, got \(_signature) and \(other._signature)")
    return unsqueezed(axis: 1) * other.unsqueezed(axis: 0)
  }

  /// Dot product of two vectors of the same length (a rank-0 tensor).
  public func dot(_ other: Tensor) -> Tensor {
    check(
      rank == 1 && other.rank == 1 && count == other.count,
      "dot: needs two vectors of one length, got \(_signature) and \(other._signature)")
    return matmul(other)
  }
}
