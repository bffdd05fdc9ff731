import BornCore

/// Iteration over up to four operands of one shape, each with its own strides and offset.
///
/// Adjacent axes that are contiguous for every operand are merged, so most elementwise work
/// runs as a few long rows. `forEachRow` hands the body an offset per operand, a row length,
/// and each operand's stride along the row.
struct StridedPlan {
  var operands: Int
  var rank: Int
  var dims: InlineArray<8, Int>
  var strides: InlineArray<32, Int>  // [operand * 8 + axis]
  var offsets: InlineArray<4, Int>
  var count: Int

  /// A plan over one to four operands (no array is allocated: plans are built per op).
  init(_ a: Layout, _ b: Layout? = nil, _ c: Layout? = nil, _ d: Layout? = nil) {
    var layouts = InlineArray<4, Layout>(repeating: a)
    var n = 1
    if let b {
      layouts[1] = b
      n = 2
      if let c {
        layouts[2] = c
        n = 3
        if let d {
          layouts[3] = d
          n = 4
        }
      }
    }
    operands = n
    let shape = a.shape
    dims = InlineArray(repeating: 1)
    strides = InlineArray(repeating: 0)
    offsets = InlineArray(repeating: 0)
    count = shape.elementCount
    for k in 0..<n { offsets[k] = layouts[k].offset }
    // Drop size-1 axes, then merge axis i into i+1 when every operand allows it.
    var r = 0
    for i in 0..<shape.count where shape[i] != 1 {
      var mergeable = r > 0
      if mergeable {
        for k in 0..<n where strides[k * 8 + r - 1] != layouts[k].strides[i] * shape[i] {
          mergeable = false
        }
      }
      if mergeable {
        dims[r - 1] *= shape[i]
        for k in 0..<n { strides[k * 8 + r - 1] = layouts[k].strides[i] }
      } else {
        dims[r] = shape[i]
        for k in 0..<n { strides[k * 8 + r] = layouts[k].strides[i] }
        r += 1
      }
    }
    if r == 0 {
      // A single element: one row of length 1.
      dims[0] = 1
      r = 1
    }
    rank = r
  }

  /// Whether every operand is a plain contiguous run (one row, stride 1).
  var isContiguous: Bool {
    rank == 1 && (0..<operands).allSatisfy { strides[$0 * 8] == 1 }
  }

  /// Calls `body(offsets, n, rowStrides)` for every row, splitting rows across threads when
  /// the plan has at least `grain` elements per thread. Operand 0 must be the only one written
  /// when running in parallel (rows never overlap in a contiguous output).
  @inline(__always)
  func forEachRow(grain: Int, _ body: (InlineArray<4, Int>, Int, InlineArray<4, Int>) -> Void) {
    if count == 0 { return }
    let inner = dims[rank - 1]
    var rowStrides = InlineArray<4, Int>(repeating: 0)
    for k in 0..<operands { rowStrides[k] = strides[k * 8 + rank - 1] }
    if rank == 1 {
      // One long row: split it into pieces.
      parallelFor(inner, grain: grain) { range in
        var off = offsets
        for k in 0..<operands { off[k] += range.lowerBound * rowStrides[k] }
        body(off, range.count, rowStrides)
      }
      return
    }
    let rows = count / inner
    let rowsGrain = Swift.max(1, grain / Swift.max(inner, 1))
    parallelFor(rows, grain: rowsGrain) { range in
      // Coordinates of the first row of this range over axes 0..<rank-1.
      var coord = InlineArray<8, Int>(repeating: 0)
      var rem = range.lowerBound
      var a = rank - 2
      while a >= 0 {
        coord[a] = rem % dims[a]
        rem /= dims[a]
        a -= 1
      }
      var off = offsets
      for k in 0..<operands {
        for a in 0..<(rank - 1) { off[k] += coord[a] * strides[k * 8 + a] }
      }
      for _ in range {
        body(off, inner, rowStrides)
        // Advance the odometer.
        var a = rank - 2
        while a >= 0 {
          coord[a] += 1
          for k in 0..<operands { off[k] += strides[k * 8 + a] }
          if coord[a] < dims[a] { break }
          for k in 0..<operands { off[k] -= strides[k * 8 + a] * dims[a] }
          coord[a] = 0
          a -= 1
        }
      }
    }
  }
}

/// Element-size-generic strided copy (dtype-agnostic moves).
func copyElements(
  from src: UnsafeRawPointer, _ srcLayout: Layout, to dst: UnsafeMutableRawPointer, _ dstLayout: Layout,
  elementSize: Int
) {
  let plan = StridedPlan(dstLayout, srcLayout)
  if plan.count == 0 { return }
  if plan.isContiguous {
    let n = plan.count * elementSize
    parallelFor(n, grain: 1 << 20) { r in
      (dst + plan.offsets[0] * elementSize + r.lowerBound).copyMemory(
        from: src + plan.offsets[1] * elementSize + r.lowerBound, byteCount: r.count)
    }
    return
  }
  func run<T>(_: T.Type) {
    let d = dst.assumingMemoryBound(to: T.self)
    let s = src.assumingMemoryBound(to: T.self)
    plan.forEachRow(grain: 1 << 16) { off, n, st in
      let dp = d + off[0]
      let sp = s + off[1]
      let ds = st[0]
      let ss = st[1]
      if ds == 1 && ss == 1 {
        dp.update(from: sp, count: n)
      } else {
        for i in 0..<n { dp[i * ds] = sp[i * ss] }
      }
    }
  }
  switch elementSize {
  case 1: run(UInt8.self)
  case 2: run(UInt16.self)
  case 4: run(UInt32.self)
  default: run(UInt64.self)
  }
}
