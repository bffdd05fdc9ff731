import BornCore
import CBornKernels

#if canImport(Glibc)
  import Glibc
#endif

/// A layout split into the axes kept by a reduction and the reduced ones.
struct ReductionSplit {
  /// Layout over the kept axes (reduced axes removed) into the input.
  var kept: Layout
  /// Layout over the reduced axes only (offset 0).
  var reduced: Layout

  init(_ layout: Layout, _ axes: AxisSet) {
    kept = Layout(shape: Shape(), strides: Shape(), offset: layout.offset)
    reduced = Layout(shape: Shape(), strides: Shape(), offset: 0)
    for i in 0..<layout.rank {
      if axes.contains(i) {
        reduced.shape.append(layout.shape[i])
        reduced.strides.append(layout.strides[i])
      } else {
        kept.shape.append(layout.shape[i])
        kept.strides.append(layout.strides[i])
      }
    }
  }

  /// The reduced axes as one run (length, stride), when they form one.
  var run: (count: Int, stride: Int)? {
    let n = reduced.elementCount
    if n <= 1 { return (n, 1) }
    let plan = StridedPlan(reduced)
    return plan.rank == 1 ? (n, plan.strides[0]) : nil
  }
}

extension CPU {
  public static func reduce(
    _ op: ReduceOp, _ x: CPUStorage, _ layout: Layout, axes: AxisSet, into out: CPUStorage, dtype: DType
  ) {
    switch dtype {
    case .f32: reduceFloat(op, x.const(Float.self), layout, axes, out.typed(Float.self))
    case .f64: reduceFloat(op, x.const(Double.self), layout, axes, out.typed(Double.self))
    case .f16, .bf16:
      let (wide, wl) = HalfStaging.widen(x, layout, dtype)
      let n = ReductionSplit(layout, axes).kept.elementCount
      let tmp = CPUStorage(byteCount: Swift.max(n, 1) * 4)
      reduceFloat(op, wide.const(Float.self), wl, axes, tmp.typed(Float.self))
      HalfStaging.narrow(tmp.const(Float.self), out.raw, n, dtype)
    case .i8: reduceInt(op, x.const(Int8.self), layout, axes, out.typed(Int8.self))
    case .i32: reduceInt(op, x.const(Int32.self), layout, axes, out.typed(Int32.self))
    case .i64: reduceInt(op, x.const(Int64.self), layout, axes, out.typed(Int64.self))
    case .u8: reduceInt(op, x.const(UInt8.self), layout, axes, out.typed(UInt8.self))
    case .bool:
      let p = x.const(Bool.self)
      let o = out.typed(Bool.self)
      switch op {
      case .all: reduceGeneric(p, layout, axes, o, identity: true, combine: AndOp(), run: nil)
      case .any: reduceGeneric(p, layout, axes, o, identity: false, combine: OrOp(), run: nil)
      default: preconditionFailure("reduce: \(op) is not defined for bool tensors")
      }
    }
  }

  static func reduceFloat<T: BinaryFloatingPoint>(
    _ op: ReduceOp, _ x: UnsafePointer<T>, _ layout: Layout, _ axes: AxisSet, _ out: UnsafeMutablePointer<T>
  ) {
    let isF32 = T.self == Float.self
    switch op {
    case .sum, .mean:
      let sumRun: ((UnsafePointer<T>, Int) -> T)? =
        isF32
        ? { p, n in T(born_sum_f32(UnsafeRawPointer(p).assumingMemoryBound(to: Float.self), n)) }
        : { p, n in sumPairwise(p, n) }
      reduceGeneric(x, layout, axes, out, identity: 0, combine: AddOp<T>(), run: sumRun)
      if op == .mean {
        let split = ReductionSplit(layout, axes)
        let scale = T(1) / T(split.reduced.elementCount)
        let n = split.kept.elementCount
        for i in 0..<n { out[i] *= scale }
        if split.reduced.elementCount == 0 { for i in 0..<n { out[i] = .nan } }
      }
    case .prod:
      reduceGeneric(x, layout, axes, out, identity: 1, combine: MulOp<T>(), run: nil)
    case .max:
      let maxRun: ((UnsafePointer<T>, Int) -> T)? =
        isF32 ? { p, n in T(born_max_f32(UnsafeRawPointer(p).assumingMemoryBound(to: Float.self), n)) } : nil
      reduceGeneric(x, layout, axes, out, identity: -.infinity, combine: MaxOp<T>(), run: maxRun)
    case .min:
      reduceGeneric(x, layout, axes, out, identity: .infinity, combine: MinOp<T>(), run: nil)
    default:
      preconditionFailure("reduce: \(op) is not defined for floating-point tensors")
    }
  }

  static func reduceInt<T: FixedWidthInteger>(
    _ op: ReduceOp, _ x: UnsafePointer<T>, _ layout: Layout, _ axes: AxisSet, _ out: UnsafeMutablePointer<T>
  ) {
    switch op {
    case .sum: reduceGeneric(x, layout, axes, out, identity: 0, combine: WrappingAddOp<T>(), run: nil)
    case .prod: reduceGeneric(x, layout, axes, out, identity: 1, combine: WrappingMulOp<T>(), run: nil)
    case .max: reduceGeneric(x, layout, axes, out, identity: T.min, combine: IntegerMaxOp<T>(), run: nil)
    case .min: reduceGeneric(x, layout, axes, out, identity: T.max, combine: IntegerMinOp<T>(), run: nil)
    case .mean:
      let split = ReductionSplit(layout, axes)
      let n = T(truncatingIfNeeded: split.reduced.elementCount)
      reduceGeneric(x, layout, axes, out, identity: 0, combine: WrappingAddOp<T>(), run: nil)
      for i in 0..<split.kept.elementCount { out[i] = n == 0 ? 0 : out[i] / n }
    default: preconditionFailure("reduce: \(op) is not defined for integer tensors")
    }
  }

  /// Reduces `axes` of `x` into contiguous `out` (kept axes in order).
  ///
  /// When the reduced axes form one run in memory, each output is reduced independently (in
  /// parallel across outputs, or across pieces of the run for a full reduction); otherwise
  /// the input is walked in memory order, accumulating into the outputs.
  @inline(__always)
  static func reduceGeneric<T, C: ElementMap2>(
    _ x: UnsafePointer<T>, _ layout: Layout, _ axes: AxisSet, _ out: UnsafeMutablePointer<T>, identity: T,
    combine: C, run: ((UnsafePointer<T>, Int) -> T)?
  ) where C.Input == T, C.Output == T {
    let split = ReductionSplit(layout, axes)
    let outCount = split.kept.elementCount
    if outCount == 0 { return }
    func reduceRun(_ p: UnsafePointer<T>, _ n: Int, _ stride: Int) -> T {
      if stride == 1, let run { return n == 0 ? identity : run(p, n) }
      var acc = identity
      for i in 0..<n { acc = combine(acc, p[i * stride]) }
      return acc
    }
    if let (n, stride) = split.run {
      if outCount == 1 && stride == 1 && n >= 1 << 18 && cpuThreadCount > 1 {
        // One big contiguous run: reduce pieces in parallel, then combine the partial results.
        let pieces = cpuThreadCount * 4
        var partial = [T](repeating: identity, count: pieces)
        partial.withUnsafeMutableBufferPointer { pp in
          let base = x + split.kept.offset
          parallelFor(pieces, grain: 1) { r in
            for t in r { pp[t] = reduceRun(base + n * t / pieces, n * (t + 1) / pieces - n * t / pieces, 1) }
          }
        }
        out[0] = partial.dropFirst().reduce(partial[0]) { combine($0, $1) }
        return
      }
      let plan = StridedPlan(Layout(contiguous: split.kept.shape), split.kept)
      plan.forEachRow(grain: Swift.max(1, (1 << 15) / Swift.max(n, 1))) { off, rows, st in
        let o = out + off[0]
        let base = x + off[1]
        if stride != 1 && st[1] == 1 {
          // Neighbouring outputs read neighbouring inputs (a column sum such as a bias
          // gradient): sweep the run a row of outputs at a time, which vectorizes. Each output
          // still combines its elements in run order, so results equal the per-output loop's.
          for i in 0..<rows { o[i] = identity }
          for k in 0..<n {
            let line = base + k * stride
            for i in 0..<rows { o[i] = combine(o[i], line[i]) }
          }
          return
        }
        for i in 0..<rows { o[i] = reduceRun(base + i * st[1], n, stride) }
      }
      return
    }
    // General case: walk the input, accumulating into outputs (stride 0 along reduced axes).
    for i in 0..<outCount { out[i] = identity }
    var outLayout = Layout(shape: layout.shape, strides: layout.shape, offset: 0)
    var s = 1
    var i = layout.rank - 1
    while i >= 0 {
      if axes.contains(i) {
        outLayout.strides[i] = 0
      } else {
        outLayout.strides[i] = s
        s *= layout.shape[i]
      }
      i -= 1
    }
    let plan = StridedPlan(outLayout, layout)
    plan.forEachRow(grain: Int.max) { off, n, st in
      let o = out + off[0]
      let p = x + off[1]
      if st[0] == 0 {
        if st[1] == 1, let run {
          o[0] = combine(o[0], run(p, n))
        } else {
          var acc = o[0]
          for j in 0..<n { acc = combine(acc, p[j * st[1]]) }
          o[0] = acc
        }
      } else {
        for j in 0..<n { o[j * st[0]] = combine(o[j * st[0]], p[j * st[1]]) }
      }
    }
  }

  /// Pairwise sum with 4 accumulators per block (error grows like log n).
  static func sumPairwise<T: BinaryFloatingPoint>(_ p: UnsafePointer<T>, _ n: Int) -> T {
    if n <= 256 {
      var a0: T = 0
      var a1: T = 0
      var a2: T = 0
      var a3: T = 0
      var i = 0
      while i + 4 <= n {
        a0 += p[i]
        a1 += p[i + 1]
        a2 += p[i + 2]
        a3 += p[i + 3]
        i += 4
      }
      while i < n {
        a0 += p[i]
        i += 1
      }
      return (a0 + a1) + (a2 + a3)
    }
    let half = (n / 2) & ~3
    return sumPairwise(p, half) + sumPairwise(p + half, n - half)
  }

  // MARK: Arg-reductions

  public static func argReduce(
    _ op: ArgReduceOp, _ x: CPUStorage, _ layout: Layout, axis: Int, into out: CPUStorage, dtype: DType
  ) {
    let o = out.typed(Int64.self)
    switch dtype {
    case .f32: argFloat(op, x.const(Float.self), layout, axis, o)
    case .f64: argFloat(op, x.const(Double.self), layout, axis, o)
    case .f16, .bf16:
      let (w, wl) = HalfStaging.widen(x, layout, dtype)
      argFloat(op, w.const(Float.self), wl, axis, o)
    case .i8: argOrdered(op, x.const(Int8.self), layout, axis, o)
    case .i32: argOrdered(op, x.const(Int32.self), layout, axis, o)
    case .i64: argOrdered(op, x.const(Int64.self), layout, axis, o)
    case .u8: argOrdered(op, x.const(UInt8.self), layout, axis, o)
    case .bool: argOrdered(op, x.const(UInt8.self), layout, axis, o)
    }
  }

  /// Calls `body(base, n, stride, outIndex)` for every position of the kept axes.
  @inline(__always)
  static func forEachLine<T>(
    _ x: UnsafePointer<T>, _ layout: Layout, axis: Int, parallel: Bool = true,
    _ body: (UnsafePointer<T>, Int, Int, Int) -> Void
  ) {
    var axes = AxisSet()
    axes.insert(axis)
    let split = ReductionSplit(layout, axes)
    let n = layout.shape[axis]
    let stride = layout.strides[axis]
    let plan = StridedPlan(Layout(contiguous: split.kept.shape), split.kept)
    plan.forEachRow(grain: parallel ? Swift.max(1, (1 << 14) / Swift.max(n, 1)) : Int.max) { off, rows, st in
      for i in 0..<rows { body(x + off[1] + i * st[1], n, stride, off[0] + i) }
    }
  }

  static func argFloat<T: BinaryFloatingPoint>(
    _ op: ArgReduceOp, _ x: UnsafePointer<T>, _ layout: Layout, _ axis: Int, _ out: UnsafeMutablePointer<Int64>
  ) {
    let wantMax = op == .argmax
    forEachLine(x, layout, axis: axis) { p, n, s, o in
      var best = 0
      var v = p[0]
      if !v.isNaN {
        for j in 1..<Swift.max(n, 1) {
          let c = p[j * s]
          if c.isNaN {
            best = j
            break
          }
          if wantMax ? c > v : c < v {
            v = c
            best = j
          }
        }
      }
      out[o] = Int64(best)
    }
  }

  static func argOrdered<T: Comparable>(
    _ op: ArgReduceOp, _ x: UnsafePointer<T>, _ layout: Layout, _ axis: Int, _ out: UnsafeMutablePointer<Int64>
  ) {
    let wantMax = op == .argmax
    forEachLine(x, layout, axis: axis) { p, n, s, o in
      var best = 0
      var v = p[0]
      for j in 1..<Swift.max(n, 1) {
        let c = p[j * s]
        if wantMax ? c > v : c < v {
          v = c
          best = j
        }
      }
      out[o] = Int64(best)
    }
  }

  // MARK: Scans

  public static func scan(
    _ op: ScanOp, _ x: CPUStorage, _ layout: Layout, axis: Int, into out: CPUStorage, dtype: DType
  ) {
    func run<T>(_ p: UnsafePointer<T>, _ l: Layout, _ o: UnsafeMutablePointer<T>, _ f: (T, T) -> T) {
      let outLayout = Layout(contiguous: l.shape)
      let outStride = outLayout.strides[axis]
      forEachLine(p, l, axis: axis, parallel: false) { base, n, s, lineIndex in
        let off = lineOffset(lineIndex, l.shape, outLayout.strides, axis: axis)
        if n == 0 { return }
        var acc = base[0]
        o[off] = acc
        for j in 1..<n {
          acc = f(acc, base[j * s])
          o[off + j * outStride] = acc
        }
      }
    }
    switch dtype {
    case .f32: run(x.const(Float.self), layout, out.typed(Float.self), op == .cumsum ? { $0 + $1 } : { $0 * $1 })
    case .f64: run(x.const(Double.self), layout, out.typed(Double.self), op == .cumsum ? { $0 + $1 } : { $0 * $1 })
    case .f16, .bf16:
      let (w, wl) = HalfStaging.widen(x, layout, dtype)
      let tmp = CPUStorage(byteCount: layout.elementCount * 4)
      run(w.const(Float.self), wl, tmp.typed(Float.self), op == .cumsum ? { $0 + $1 } : { $0 * $1 })
      HalfStaging.narrow(tmp.const(Float.self), out.raw, layout.elementCount, dtype)
    case .i8: run(x.const(Int8.self), layout, out.typed(Int8.self), op == .cumsum ? { $0 &+ $1 } : { $0 &* $1 })
    case .i32: run(x.const(Int32.self), layout, out.typed(Int32.self), op == .cumsum ? { $0 &+ $1 } : { $0 &* $1 })
    case .i64: run(x.const(Int64.self), layout, out.typed(Int64.self), op == .cumsum ? { $0 &+ $1 } : { $0 &* $1 })
    case .u8: run(x.const(UInt8.self), layout, out.typed(UInt8.self), op == .cumsum ? { $0 &+ $1 } : { $0 &* $1 })
    case .bool: preconditionFailure("scan: \(op) is not defined for bool tensors")
    }
  }

  // MARK: Softmax

  public static func softmax(
    _ x: CPUStorage, _ layout: Layout, axis: Int, log: Bool, into out: CPUStorage, dtype: DType
  ) {
    let n = layout.shape[axis]
    let total = layout.elementCount
    if total == 0 { return }
    switch dtype {
    case .f32:
      let p = x.const(Float.self)
      let o = out.typed(Float.self)
      if axis == layout.rank - 1 && layout.isContiguous {
        let rows = total / n
        parallelFor(rows, grain: Swift.max(1, (1 << 14) / n)) { r in
          born_softmax_rows_f32(p + layout.offset + r.lowerBound * n, o + r.lowerBound * n, r.count, n, log ? 1 : 0)
        }
        return
      }
      softmaxLines(p, layout, axis, o) { row, count in born_softmax_rows_f32(row, row, 1, count, log ? 1 : 0) }
    case .f64:
      softmaxLines(x.const(Double.self), layout, axis, out.typed(Double.self)) { row, count in
        var m = -Double.infinity
        for j in 0..<count where row[j] > m || row[j].isNaN { m = row[j] }
        var s = 0.0
        for j in 0..<count { s += Glibc.exp(row[j] - m) }
        if log {
          let ls = Glibc.log(s)
          for j in 0..<count { row[j] = row[j] - m - ls }
        } else {
          for j in 0..<count { row[j] = Glibc.exp(row[j] - m) / s }
        }
      }
    case .f16, .bf16:
      let (w, wl) = HalfStaging.widen(x, layout, dtype)
      let tmp = CPUStorage(byteCount: total * 4)
      softmax(w, wl, axis: axis, log: log, into: tmp, dtype: .f32)
      HalfStaging.narrow(tmp.const(Float.self), out.raw, total, dtype)
    default:
      preconditionFailure("softmax: needs a floating-point tensor, got \(dtype)")
    }
  }

  /// Softmax along a non-innermost or strided axis: each line is gathered into a scratch row,
  /// transformed in place, and written back to the contiguous output.
  static func softmaxLines<T>(
    _ x: UnsafePointer<T>, _ layout: Layout, _ axis: Int, _ out: UnsafeMutablePointer<T>,
    _ transform: (UnsafeMutablePointer<T>, Int) -> Void
  ) {
    let outLayout = Layout(contiguous: layout.shape)
    let outStride = outLayout.strides[axis]
    let n = layout.shape[axis]
    forEachLine(x, layout, axis: axis) { base, count, s, lineIndex in
      let off = lineOffset(lineIndex, layout.shape, outLayout.strides, axis: axis)
      withUnsafeTemporaryAllocation(of: T.self, capacity: n) { row in
        let r = row.baseAddress!
        for j in 0..<count { r[j] = base[j * s] }
        transform(r, count)
        for j in 0..<count { out[off + j * outStride] = r[j] }
      }
    }
  }
}
