import BornCore
import CBornKernels

// Typed loops over strided plans. `out` is always contiguous with the plan's shape.

/// A function applied to each element. Kernels take these as generic parameters (not
/// closures) so that the call is resolved statically inside threaded loops and the loop
/// vectorizes; a closure captured by a closure that runs on another thread stays an indirect
/// call per element.
protocol ElementMap1 {
  associatedtype Input
  associatedtype Output
  func callAsFunction(_ x: Input) -> Output
}

/// A function of two elements (see ``ElementMap1``).
protocol ElementMap2 {
  associatedtype Input
  associatedtype Output
  func callAsFunction(_ a: Input, _ b: Input) -> Output
}

/// Wraps a closure; loops over these run on one thread, where the closure inlines.
struct ClosureMap1<Input, Output>: ElementMap1 {
  let body: (Input) -> Output
  @inline(__always) func callAsFunction(_ x: Input) -> Output { body(x) }
}

struct ClosureMap2<Input, Output>: ElementMap2 {
  let body: (Input, Input) -> Output
  @inline(__always) func callAsFunction(_ a: Input, _ b: Input) -> Output { body(a, b) }
}

/// out[i] = f(x[i]), threaded above `grain` elements per thread.
@inline(__always)
func map1<F: ElementMap1>(
  _ x: UnsafePointer<F.Input>, _ xl: Layout, _ out: UnsafeMutablePointer<F.Output>, grain: Int = 1 << 15, _ f: F
) {
  let plan = StridedPlan(Layout(contiguous: xl.shape), xl)
  plan.forEachRow(grain: grain) { off, n, st in
    let o = out + off[0]
    let s = x + off[1]
    let ss = st[1]
    if ss == 1 {
      for i in 0..<n { o[i] = f(s[i]) }
    } else if ss == 0 {
      let v = f(s[0])
      for i in 0..<n { o[i] = v }
    } else {
      for i in 0..<n { o[i] = f(s[i * ss]) }
    }
  }
}

/// out[i] = f(x[i]) for a closure, on one thread.
@inline(__always)
func map1<S, D>(_ x: UnsafePointer<S>, _ xl: Layout, _ out: UnsafeMutablePointer<D>, _ f: @escaping (S) -> D) {
  map1(x, xl, out, grain: Int.max, ClosureMap1(body: f))
}

/// out[i] = f(a[i], b[i]), threaded above `grain` elements per thread.
@inline(__always)
func map2<F: ElementMap2>(
  _ a: UnsafePointer<F.Input>, _ al: Layout, _ b: UnsafePointer<F.Input>, _ bl: Layout,
  _ out: UnsafeMutablePointer<F.Output>, grain: Int = 1 << 15, _ f: F
) {
  let plan = StridedPlan(Layout(contiguous: al.shape), al, bl)
  plan.forEachRow(grain: grain) { off, n, st in
    let o = out + off[0]
    let pa = a + off[1]
    let pb = b + off[2]
    let sa = st[1]
    let sb = st[2]
    if sa == 1 && sb == 1 {
      for i in 0..<n { o[i] = f(pa[i], pb[i]) }
    } else if sa == 1 && sb == 0 {
      let v = pb[0]
      for i in 0..<n { o[i] = f(pa[i], v) }
    } else if sa == 0 && sb == 1 {
      let v = pa[0]
      for i in 0..<n { o[i] = f(v, pb[i]) }
    } else {
      for i in 0..<n { o[i] = f(pa[i * sa], pb[i * sb]) }
    }
  }
}

/// out[i] = f(a[i], b[i]) for a closure, on one thread.
@inline(__always)
func map2<S, D>(
  _ a: UnsafePointer<S>, _ al: Layout, _ b: UnsafePointer<S>, _ bl: Layout, _ out: UnsafeMutablePointer<D>,
  _ f: @escaping (S, S) -> D
) {
  map2(a, al, b, bl, out, grain: Int.max, ClosureMap2(body: f))
}

/// out[i] = cond[i] ? a[i] : b[i], on raw element bits. Branch-free (a mask from the Bool
/// byte), since masks from data are unpredictable: a branch per element measured 1.6 ns.
@inline(__always)
func select3<T: FixedWidthInteger>(
  _ c: UnsafePointer<Bool>, _ cl: Layout, _ a: UnsafePointer<T>, _ al: Layout, _ b: UnsafePointer<T>, _ bl: Layout,
  _ out: UnsafeMutablePointer<T>
) {
  let cond = UnsafeRawPointer(c).assumingMemoryBound(to: UInt8.self)
  @inline(__always) func pick(_ flag: UInt8, _ x: T, _ y: T) -> T {
    let m = T(0) &- T(truncatingIfNeeded: flag & 1)
    return (x & m) | (y & ~m)
  }
  let plan = StridedPlan(Layout(contiguous: al.shape), cl, al, bl)
  plan.forEachRow(grain: 1 << 15) { off, n, st in
    let o = out + off[0]
    let pc = cond + off[1]
    let pa = a + off[2]
    let pb = b + off[3]
    let (sc, sa, sb) = (st[1], st[2], st[3])
    if sc == 1 && sa == 1 && sb == 1 {
      for i in 0..<n { o[i] = pick(pc[i], pa[i], pb[i]) }
    } else if sc == 1 && sa == 1 && sb == 0 {
      let v = pb[0]
      for i in 0..<n { o[i] = pick(pc[i], pa[i], v) }
    } else if sc == 1 && sa == 0 && sb == 1 {
      let v = pa[0]
      for i in 0..<n { o[i] = pick(pc[i], v, pb[i]) }
    } else {
      for i in 0..<n { o[i] = pick(pc[i * sc], pa[i * sa], pb[i * sb]) }
    }
  }
}

extension CPUStorage {
  @inline(__always) func typed<T>(_: T.Type) -> UnsafeMutablePointer<T> { raw.assumingMemoryBound(to: T.self) }
  @inline(__always) func const<T>(_: T.Type) -> UnsafePointer<T> { UnsafePointer(raw.assumingMemoryBound(to: T.self)) }
}

// MARK: - Half-precision staging

/// f16 and bf16 kernels compute in f32: inputs are widened into f32 buffers (keeping their
/// layouts where that is cheap) and the f32 result is rounded back into the output.
enum HalfStaging {
  /// An f32 copy of the elements `layout` reaches, with a layout into the copy.
  static func widen(_ s: CPUStorage, _ layout: Layout, _ dtype: DType) -> (CPUStorage, Layout) {
    let count = layout.elementCount
    let start = layout.offset
    let extent = layout.storageExtent
    let span = extent - start
    if count > 0 && span <= 4 * count + 1024 {
      // Widen the touched storage range and keep the strides (cheap for broadcasts and views).
      let wide = CPUStorage(byteCount: Swift.max(span, 1) * 4)
      convertToF32(s.raw + start * 2, wide.typed(Float.self), span, dtype)
      var l = layout
      l.offset = 0
      return (wide, l)
    }
    let wide = CPUStorage(byteCount: Swift.max(count, 1) * 4)
    let packed = CPUStorage(byteCount: Swift.max(count, 1) * 2)
    copyElements(from: s.raw, layout, to: packed.raw, Layout(contiguous: layout.shape), elementSize: 2)
    convertToF32(packed.raw, wide.typed(Float.self), count, dtype)
    return (wide, Layout(contiguous: layout.shape))
  }

  /// Rounds `count` contiguous f32 values into `dst` as `dtype` (f16 or bf16).
  static func narrow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int, _ dtype: DType) {
    parallelFor(count, grain: 1 << 16) { r in
      let d = dst.assumingMemoryBound(to: UInt16.self) + r.lowerBound
      if dtype == .f16 {
        born_f32_to_f16(src + r.lowerBound, d, r.count)
      } else {
        born_f32_to_bf16(src + r.lowerBound, d, r.count)
      }
    }
  }

  static func convertToF32(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int, _ dtype: DType) {
    parallelFor(count, grain: 1 << 16) { r in
      let s = src.assumingMemoryBound(to: UInt16.self) + r.lowerBound
      if dtype == .f16 {
        born_f16_to_f32(s, dst + r.lowerBound, r.count)
      } else {
        born_bf16_to_f32(s, dst + r.lowerBound, r.count)
      }
    }
  }
}
