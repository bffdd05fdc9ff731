import BornCore

extension Autodiff {
  public static func gather(
    _ x: Storage, _ layout: Layout, axis: Int, index: Storage, _ indexLayout: Layout, into out: Storage, dtype: DType
  ) {
    Base.gather(x.base, layout, axis: axis, index: index.base, indexLayout, into: out.base, dtype: dtype)
    guard tracking(dtype, x) else {
      out.node = nil
      return
    }
    let ibase = index.base
    let xShape = layout.shape
    record(out, "gather", dtype: dtype, inputs: [(x, layout)]) { gs in
      let g = Raw<Base>(gs, shape: indexLayout.shape, dtype)
      return [g.scatterAdd(into: xShape, axis: axis, index: Raw<Base>(ibase, indexLayout, .i64))]
    }
  }

  public static func scatter(
    _ mode: ScatterMode, into dst: Storage, _ dstLayout: Layout, axis: Int, index: Storage, _ indexLayout: Layout,
    source: Storage, _ sourceLayout: Layout, dtype: DType
  ) {
    Base.scatter(
      mode, into: dst.base, dstLayout, axis: axis, index: index.base, indexLayout, source: source.base, sourceLayout,
      dtype: dtype)
    guard tracking(dtype, dst, source) else { return }
    let ibase = index.base
    let count = dst.count
    let device = Base.device(of: dst.base)
    record(dst, "scatter", dtype: dtype, inputs: [(dst, Layout(contiguous: [count])), (source, sourceLayout)]) { gs in
      let idx = Raw<Base>(ibase, indexLayout, .i64)
      let g = Raw<Base>(gs, dstLayout, dtype)
      // The source gets the gradient at the positions it was written to.
      let gSource = Base.allocate(indexLayout.elementCount, dtype: dtype, on: device)
      Base.gather(
        gs, Self.narrowed(dstLayout, to: indexLayout.shape, except: axis), axis: axis, index: ibase, indexLayout,
        into: gSource, dtype: dtype)
      // Assigned positions lose their old values' gradient; added ones keep it.
      var gDst = Raw<Base>(gs, shape: [count], dtype)
      if mode == .assign {
        let masked = g.contiguous().copyIfShared(gs)
        let zeros = Raw<Base>.full(indexLayout.shape, 0, dtype, on: device)
        Base.scatter(
          .assign, into: masked.storage, masked.layout, axis: axis, index: idx.storage, idx.layout,
          source: zeros.storage,
          zeros.layout, dtype: dtype)
        gDst = Raw<Base>(masked.storage, shape: [count], dtype)
      }
      return [gDst, Raw<Base>(gSource, shape: indexLayout.shape, dtype)]
    }
  }

  /// `layout` with every axis but `axis` cut to `shape`.
  static func narrowed(_ layout: Layout, to shape: Shape, except axis: Int) -> Layout {
    var l = layout
    for d in 0..<l.rank where d != axis { l.shape[d] = shape[d] }
    return l
  }

  public static func indexSelect(
    _ x: Storage, _ layout: Layout, axis: Int, indices: Storage, _ indicesLayout: Layout, into out: Storage,
    dtype: DType
  ) {
    Base.indexSelect(x.base, layout, axis: axis, indices: indices.base, indicesLayout, into: out.base, dtype: dtype)
    guard tracking(dtype, x) else {
      out.node = nil
      return
    }
    let ibase = indices.base
    let xShape = layout.shape
    var outShape = xShape
    outShape[axis] = indicesLayout.elementCount
    record(out, "indexSelect", dtype: dtype, inputs: [(x, layout)]) { gs in
      // Scatter-add each selected slice back: the index vector broadcast along the other axes.
      var idxShape = Shape(repeating: 1, count: xShape.count)
      idxShape[axis] = indicesLayout.elementCount
      var l = indicesLayout
      l.shape = idxShape
      l.strides = Shape(repeating: 0, count: xShape.count)
      l.strides[axis] = indicesLayout.rank == 1 ? indicesLayout.strides[0] : 1
      let idx = Raw<Base>(ibase, l, .i64).expanded(to: outShape)
      let g = Raw<Base>(gs, shape: outShape, dtype)
      return [g.scatterAdd(into: xShape, axis: axis, index: idx)]
    }
  }

  public static func sort(
    _ x: Storage, _ layout: Layout, axis: Int, descending: Bool, values: Storage, indices: Storage, dtype: DType
  ) {
    Base.sort(
      x.base, layout, axis: axis, descending: descending, values: values.base, indices: indices.base, dtype: dtype)
    indices.node = nil
    recordSelection(
      x, layout, axis: axis, values: values, indices: indices, kept: layout.shape[axis], dtype: dtype, "sort")
  }

  public static func topK(
    _ x: Storage, _ layout: Layout, axis: Int, k: Int, largest: Bool, values: Storage, indices: Storage, dtype: DType
  ) {
    Base.topK(
      x.base, layout, axis: axis, k: k, largest: largest, values: values.base, indices: indices.base, dtype: dtype)
    indices.node = nil
    recordSelection(x, layout, axis: axis, values: values, indices: indices, kept: k, dtype: dtype, "topK")
  }

  /// Values picked by position along an axis: their gradient goes back to those positions.
  static func recordSelection(
    _ x: Storage, _ layout: Layout, axis: Int, values: Storage, indices: Storage, kept: Int, dtype: DType, _ op: String
  ) {
    guard tracking(dtype, x) else {
      values.node = nil
      return
    }
    let ibase = indices.base
    let xShape = layout.shape
    var outShape = xShape
    outShape[axis] = kept
    record(values, op, dtype: dtype, inputs: [(x, layout)]) { gs in
      let g = Raw<Base>(gs, shape: outShape, dtype)
      return [g.scatterAdd(into: xShape, axis: axis, index: Raw<Base>(ibase, shape: outShape, .i64))]
    }
  }
}
