import BornCore

extension CPU {
  /// The offset in a contiguous tensor of `shape` of the first element of line `lineIndex`
  /// along `axis` (lines numbered in row-major order over the other axes).
  @inline(__always)
  static func lineOffset(_ lineIndex: Int, _ shape: Shape, _ strides: Shape, axis: Int) -> Int {
    var rem = lineIndex
    var off = 0
    var i = shape.count - 1
    while i >= 0 {
      if i != axis {
        off += (rem % shape[i]) * strides[i]
        rem /= shape[i]
      }
      i -= 1
    }
    return off
  }

  public static func gather(
    _ x: CPUStorage, _ layout: Layout, axis: Int, index: CPUStorage, _ indexLayout: Layout, into out: CPUStorage,
    dtype: DType
  ) {
    var xl = layout
    let axisStride = layout.strides[axis]
    xl.shape[axis] = indexLayout.shape[axis]
    xl.strides[axis] = 0
    let idx = index.const(Int64.self)
    func run<T>(_: T.Type) {
      let src = x.const(T.self)
      let dst = out.typed(T.self)
      let plan = StridedPlan(Layout(contiguous: indexLayout.shape), xl, indexLayout)
      plan.forEachRow(grain: 1 << 15) { off, n, st in
        for i in 0..<n { dst[off[0] + i] = src[off[1] + i * st[1] + Int(idx[off[2] + i * st[2]]) * axisStride] }
      }
    }
    switch dtype.byteSize {
    case 1: run(UInt8.self)
    case 2: run(UInt16.self)
    case 4: run(UInt32.self)
    default: run(UInt64.self)
    }
  }

  public static func scatter(
    _ mode: ScatterMode, into dst: CPUStorage, _ dstLayout: Layout, axis: Int, index: CPUStorage, _ indexLayout: Layout,
    source: CPUStorage, _ sourceLayout: Layout, dtype: DType
  ) {
    var dl = dstLayout
    let axisStride = dstLayout.strides[axis]
    dl.shape = indexLayout.shape
    dl.strides[axis] = 0
    let idx = index.const(Int64.self)
    let plan = StridedPlan(dl, indexLayout, sourceLayout)
    func run<T>(_: T.Type, _ f: (T, T) -> T) {
      let d = dst.typed(T.self)
      let s = source.const(T.self)
      plan.forEachRow(grain: Int.max) { off, n, st in
        for i in 0..<n {
          let p = off[0] + i * st[0] + Int(idx[off[1] + i * st[1]]) * axisStride
          d[p] = f(d[p], s[off[2] + i * st[2]])
        }
      }
    }
    if mode == .assign {
      switch dtype.byteSize {
      case 1: run(UInt8.self) { $1 }
      case 2: run(UInt16.self) { $1 }
      case 4: run(UInt32.self) { $1 }
      default: run(UInt64.self) { $1 }
      }
      return
    }
    switch dtype {
    case .f32: run(Float.self, +)
    case .f64: run(Double.self, +)
    case .f16: run(Float16.self) { Float16(Float($0) + Float($1)) }
    case .bf16: run(BFloat16.self) { BFloat16(Float($0) + Float($1)) }
    case .i8: run(Int8.self, &+)
    case .i32: run(Int32.self, &+)
    case .i64: run(Int64.self, &+)
    case .u8: run(UInt8.self, &+)
    case .bool: run(Bool.self) { $0 || $1 }
    }
  }

  public static func indexSelect(
    _ x: CPUStorage, _ layout: Layout, axis: Int, indices: CPUStorage, _ indicesLayout: Layout, into out: CPUStorage,
    dtype: DType
  ) {
    let count = indicesLayout.elementCount
    var outShape = layout.shape
    outShape[axis] = count
    let outLayout = Layout(contiguous: outShape)
    var srcSlice = layout
    srcSlice.shape.remove(at: axis)
    srcSlice.strides.remove(at: axis)
    var dstSlice = outLayout
    dstSlice.shape.remove(at: axis)
    dstSlice.strides.remove(at: axis)
    let idx = indices.const(Int64.self) + indicesLayout.offset
    let idxStride = indicesLayout.rank == 1 ? indicesLayout.strides[0] : 1
    let sliceCount = srcSlice.elementCount
    if sliceCount == 0 { return }
    let size = dtype.byteSize
    parallelFor(count, grain: Swift.max(1, (1 << 14) / sliceCount)) { r in
      for j in r {
        var s = srcSlice
        s.offset += Int(idx[j * idxStride]) * layout.strides[axis]
        var d = dstSlice
        d.offset = j * outLayout.strides[axis]
        copyElementsSerial(from: x.raw, s, to: out.raw, d, elementSize: size)
      }
    }
  }

  // MARK: Sorting

  public static func sort(
    _ x: CPUStorage, _ layout: Layout, axis: Int, descending: Bool, values: CPUStorage, indices: CPUStorage,
    dtype: DType
  ) {
    let n = layout.shape[axis]
    sortLines(x, layout, axis: axis, keep: n, largestFirst: descending, values: values, indices: indices, dtype: dtype)
  }

  public static func topK(
    _ x: CPUStorage, _ layout: Layout, axis: Int, k: Int, largest: Bool, values: CPUStorage, indices: CPUStorage,
    dtype: DType
  ) {
    sortLines(x, layout, axis: axis, keep: k, largestFirst: largest, values: values, indices: indices, dtype: dtype)
  }

  static func sortLines(
    _ x: CPUStorage, _ layout: Layout, axis: Int, keep: Int, largestFirst: Bool, values: CPUStorage,
    indices: CPUStorage,
    dtype: DType
  ) {
    var outShape = layout.shape
    outShape[axis] = keep
    let outLayout = Layout(contiguous: outShape)
    let outStride = outLayout.strides[axis]
    func run<T: TensorElement>(_ p: UnsafePointer<T>, _ l: Layout, _ key: @escaping (T) -> Double) {
      let vo = values.typed(T.self)
      let io = indices.typed(Int64.self)
      forEachLine(p, l, axis: axis) { base, n, s, line in
        let off = lineOffset(line, outShape, outLayout.strides, axis: axis)
        var order = Array(0..<n)
        // NaN ranks above everything (first when descending, last when ascending); ties keep
        // their original order.
        order.sort { i, j in
          let a = key(base[i * s])
          let b = key(base[j * s])
          if a.isNaN || b.isNaN {
            if a.isNaN && b.isNaN { return i < j }
            return largestFirst ? a.isNaN : b.isNaN
          }
          if a != b { return largestFirst ? a > b : a < b }
          return i < j
        }
        for j in 0..<keep {
          vo[off + j * outStride] = base[order[j] * s]
          io[off + j * outStride] = Int64(order[j])
        }
      }
    }
    switch dtype {
    case .f32: run(x.const(Float.self), layout) { Double($0) }
    case .f64: run(x.const(Double.self), layout) { $0 }
    case .f16: run(x.const(Float16.self), layout) { Double($0) }
    case .bf16: run(x.const(BFloat16.self), layout) { Double($0) }
    case .i8: run(x.const(Int8.self), layout) { Double($0) }
    case .i32: run(x.const(Int32.self), layout) { Double($0) }
    case .i64:
      // Doubles cannot order all Int64 values; sort on the integers directly.
      let vo = values.typed(Int64.self)
      let io = indices.typed(Int64.self)
      forEachLine(x.const(Int64.self), layout, axis: axis) { base, n, s, line in
        let off = lineOffset(line, outShape, outLayout.strides, axis: axis)
        var order = Array(0..<n)
        order.sort { i, j in
          let (a, b) = (base[i * s], base[j * s])
          if a != b { return largestFirst ? a > b : a < b }
          return i < j
        }
        for j in 0..<keep {
          vo[off + j * outStride] = base[order[j] * s]
          io[off + j * outStride] = Int64(order[j])
        }
      }
    case .u8: run(x.const(UInt8.self), layout) { Double($0) }
    case .bool: run(x.const(Bool.self), layout) { $0 ? 1 : 0 }
    }
  }
}

/// `copyElements` without threading (for callers already running in parallel).
func copyElementsSerial(
  from src: UnsafeRawPointer, _ srcLayout: Layout, to dst: UnsafeMutableRawPointer, _ dstLayout: Layout,
  elementSize: Int
) {
  if srcLayout.isContiguous && dstLayout.isContiguous {
    (dst + dstLayout.offset * elementSize).copyMemory(
      from: src + srcLayout.offset * elementSize, byteCount: srcLayout.elementCount * elementSize)
    return
  }
  let plan = StridedPlan(dstLayout, srcLayout)
  func run<T>(_: T.Type) {
    let d = dst.assumingMemoryBound(to: T.self)
    let s = src.assumingMemoryBound(to: T.self)
    plan.forEachRow(grain: Int.max) { off, n, st in
      for i in 0..<n { d[off[0] + i * st[0]] = s[off[1] + i * st[1]] }
    }
  }
  switch elementSize {
  case 1: run(UInt8.self)
  case 2: run(UInt16.self)
  case 4: run(UInt32.self)
  default: run(UInt64.self)
  }
}
