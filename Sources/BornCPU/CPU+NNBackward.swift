import BornCore
import CBornKernels

extension CPU {
  public static func conv2dBackwardInput(
    _ gradOut: CPUStorage, _ gradOutShape: Shape, _ w: CPUStorage, _ wLayout: Layout, params: Conv2DParams,
    into out: CPUStorage, inputShape: Shape, dtype: DType
  ) {
    switch dtype {
    case .f32:
      convBackwardInput(
        gradOut.const(Float.self), gradOutShape, w, wLayout, params, out.typed(Float.self), inputShape, 4
      ) {
        born_sgemm($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12)
      }
    case .f64:
      convBackwardInput(
        gradOut.const(Double.self), gradOutShape, w, wLayout, params, out.typed(Double.self), inputShape, 8
      ) {
        born_dgemm($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12)
      }
    case .f16, .bf16:
      let (wg, lg) = HalfStaging.widen(gradOut, Layout(contiguous: gradOutShape), dtype)
      let (ww, lw) = HalfStaging.widen(w, wLayout, dtype)
      let tmp = CPUStorage(byteCount: inputShape.elementCount * 4)
      precondition(lg.isContiguous)
      conv2dBackwardInput(wg, gradOutShape, ww, lw, params: params, into: tmp, inputShape: inputShape, dtype: .f32)
      HalfStaging.narrow(tmp.const(Float.self), out.raw, inputShape.elementCount, dtype)
    default: preconditionFailure("conv2d backward: needs a floating-point tensor, got \(dtype)")
    }
  }

  /// dx = col2im(Wᵀ · dy) per image and group.
  static func convBackwardInput<T: BinaryFloatingPoint>(
    _ g: UnsafePointer<T>, _ gShape: Shape, _ wStorage: CPUStorage, _ wl: Layout, _ p: Conv2DParams,
    _ dx: UnsafeMutablePointer<T>, _ xShape: Shape, _ elementSize: Int, _ gemm: GemmKernel<T>
  ) {
    let (batch, c, h, w) = (xShape[0], xShape[1], xShape[2], xShape[3])
    let (o, cg, kh, kw) = (wl.shape[0], wl.shape[1], wl.shape[2], wl.shape[3])
    let (oh, ow) = (gShape[2], gShape[3])
    let og = o / p.groups
    let kdim = cg * kh * kw
    let spatial = oh * ow
    let (wStore, wOffset) = contiguousStorage(wStorage, wl, elementSize: elementSize)
    defer { withExtendedLifetime(wStore) {} }
    let wp = wStore.const(T.self) + wOffset
    dx.initialize(repeating: 0, count: xShape.elementCount)
    let threads = Int(born_gemm_threads(kdim, spatial, og, Int32(cpuThreadCount)))
    let parallelImages = batch >= cpuThreadCount && threads < cpuThreadCount * 2
    func image(_ n: Int, _ cols: UnsafeMutablePointer<T>, _ threads: Int) {
      for gi in 0..<p.groups {
        let aPtr = wp + gi * og * kdim  // Wᵀ: element (i, o) at w[o * kdim + i]
        let bPtr = g + n * o * spatial + gi * og * spatial
        parallelThreads(threads) { t in
          gemm(kdim, spatial, og, aPtr, 1, kdim, bPtr, spatial, 1, cols, spatial, Int32(t), Int32(threads))
        }
        col2imAdd(cols, dx + n * c * h * w + gi * cg * h * w, cg, h, w, kh, kw, oh, ow, p)
      }
    }
    if parallelImages {
      parallelFor(batch, grain: 1) { r in
        let cols = UnsafeMutablePointer<T>.allocate(capacity: kdim * spatial)
        defer { cols.deallocate() }
        for n in r { image(n, cols, 1) }
      }
    } else {
      let cols = UnsafeMutablePointer<T>.allocate(capacity: kdim * spatial)
      defer { cols.deallocate() }
      for n in 0..<batch { image(n, cols, threads) }
    }
  }

  /// Adds the [C·KH·KW, OH·OW] patch matrix back into one image (the adjoint of im2col).
  @inline(__always)
  static func col2imAdd<T: BinaryFloatingPoint>(
    _ cols: UnsafePointer<T>, _ x: UnsafeMutablePointer<T>, _ channels: Int, _ h: Int, _ w: Int, _ kh: Int, _ kw: Int,
    _ oh: Int, _ ow: Int, _ p: Conv2DParams
  ) {
    if T.self == Float.self {
      var g = window(h, w, kh, kw, oh, ow, p)
      born_col2im_add_f32(
        UnsafeRawPointer(cols).assumingMemoryBound(to: Float.self), channels, &g,
        UnsafeMutableRawPointer(x).assumingMemoryBound(to: Float.self))
      return
    }
    var row = 0
    for ci in 0..<channels {
      for ki in 0..<kh {
        for kj in 0..<kw {
          let src = cols + row * oh * ow
          for oi in 0..<oh {
            let hi = oi * p.stride.0 - p.padding.0 + ki * p.dilation.0
            if hi < 0 || hi >= h { continue }
            let line = x + (ci * h + hi) * w
            for oj in 0..<ow {
              let wi = oj * p.stride.1 - p.padding.1 + kj * p.dilation.1
              if wi >= 0 && wi < w { line[wi] += src[oi * ow + oj] }
            }
          }
          row += 1
        }
      }
    }
  }

  /// The elements of `l` as a contiguous run: the storage itself and the offset when they
  /// already are, a packed copy otherwise. Keep the storage alive while using the pointer.
  static func contiguousStorage(_ s: CPUStorage, _ l: Layout, elementSize: Int) -> (CPUStorage, Int) {
    if l.isContiguous { return (s, l.offset) }
    let copy = CPUStorage(byteCount: l.elementCount * elementSize)
    copyElements(from: s.raw, l, to: copy.raw, Layout(contiguous: l.shape), elementSize: elementSize)
    return (copy, 0)
  }

  public static func conv2dBackwardWeight(
    _ x: CPUStorage, _ xLayout: Layout, _ gradOut: CPUStorage, _ gradOutShape: Shape, params: Conv2DParams,
    into out: CPUStorage, weightShape: Shape, dtype: DType
  ) {
    switch dtype {
    case .f32:
      convBackwardWeight(
        x.const(Float.self), xLayout, gradOut.const(Float.self), gradOutShape, params, out.typed(Float.self),
        weightShape
      ) {
        born_sgemm($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
      }
    case .f64:
      convBackwardWeight(
        x.const(Double.self), xLayout, gradOut.const(Double.self), gradOutShape, params, out.typed(Double.self),
        weightShape
      ) {
        born_dgemm($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
      }
    case .f16, .bf16:
      let (wx, lx) = HalfStaging.widen(x, xLayout, dtype)
      let (wg, _) = HalfStaging.widen(gradOut, Layout(contiguous: gradOutShape), dtype)
      let tmp = CPUStorage(byteCount: weightShape.elementCount * 4)
      conv2dBackwardWeight(wx, lx, wg, gradOutShape, params: params, into: tmp, weightShape: weightShape, dtype: .f32)
      HalfStaging.narrow(tmp.const(Float.self), out.raw, weightShape.elementCount, dtype)
    default: preconditionFailure("conv2d backward: needs a floating-point tensor, got \(dtype)")
    }
  }

  typealias GemmAccumulateKernel<T> = (
    Int, Int, Int, UnsafePointer<T>, Int, Int, UnsafePointer<T>, Int, Int, UnsafeMutablePointer<T>, Int, Int32, Int32,
    Int32
  ) -> Void

  /// dW[g] = Σₙ dy[n, g] · colsₙᵀ, with per-thread partial sums when images run in parallel.
  static func convBackwardWeight<T: BinaryFloatingPoint>(
    _ x: UnsafePointer<T>, _ xl: Layout, _ g: UnsafePointer<T>, _ gShape: Shape, _ p: Conv2DParams,
    _ dw: UnsafeMutablePointer<T>, _ wShape: Shape, _ gemm: GemmAccumulateKernel<T>
  ) {
    let (batch, h, w) = (xl.shape[0], xl.shape[2], xl.shape[3])
    let (o, cg, kh, kw) = (wShape[0], wShape[1], wShape[2], wShape[3])
    let (oh, ow) = (gShape[2], gShape[3])
    let og = o / p.groups
    let kdim = cg * kh * kw
    let spatial = oh * ow
    let total = wShape.elementCount
    dw.initialize(repeating: 0, count: total)
    let threads = Int(born_gemm_threads(og, kdim, spatial, Int32(cpuThreadCount)))
    let useDotRows = T.self == Float.self && og * kdim <= 1024 && spatial >= 256
    func image(_ n: Int, _ cols: UnsafeMutablePointer<T>, _ acc: UnsafeMutablePointer<T>, _ threads: Int) {
      for gi in 0..<p.groups {
        let xBase = x + xl.offset + n * xl.strides[0] + gi * cg * xl.strides[1]
        im2col(xBase, xl, cg, h, w, kh, kw, oh, ow, p, cols)
        let aPtr = g + n * o * spatial + gi * og * spatial
        let cPtr = acc + gi * og * kdim
        if useDotRows {
          // Few outputs, long reduction: dot products of rows beat packing for the GEMM.
          born_dot_rows_f32(
            og, kdim, spatial, UnsafeRawPointer(aPtr).assumingMemoryBound(to: Float.self), spatial,
            UnsafeRawPointer(cols).assumingMemoryBound(to: Float.self), spatial,
            UnsafeMutableRawPointer(cPtr).assumingMemoryBound(to: Float.self), kdim)
          continue
        }
        parallelThreads(threads) { t in
          // B = colsᵀ: element (s, j) at cols[j * spatial + s].
          gemm(og, kdim, spatial, aPtr, spatial, 1, cols, 1, spatial, cPtr, kdim, 1, Int32(t), Int32(threads))
        }
      }
    }
    let workers = Swift.min(cpuThreadCount, batch)
    if workers > 1 && threads < cpuThreadCount * 2 {
      let partial = UnsafeMutablePointer<T>.allocate(capacity: total * workers)
      partial.initialize(repeating: 0, count: total * workers)
      defer { partial.deallocate() }
      parallelThreads(workers) { t in
        let cols = UnsafeMutablePointer<T>.allocate(capacity: kdim * spatial)
        defer { cols.deallocate() }
        for n in stride(from: t, to: batch, by: workers) { image(n, cols, partial + t * total, 1) }
      }
      for t in 0..<workers {
        let src = partial + t * total
        for i in 0..<total { dw[i] += src[i] }
      }
    } else {
      let cols = UnsafeMutablePointer<T>.allocate(capacity: kdim * spatial)
      defer { cols.deallocate() }
      for n in 0..<batch { image(n, cols, dw, threads) }
    }
  }

  public static func pool2dBackward(
    _ kind: PoolKind, _ x: CPUStorage, _ xLayout: Layout, _ gradOut: CPUStorage, _ gradOutShape: Shape,
    params: Pool2DParams, into out: CPUStorage, dtype: DType
  ) {
    switch dtype {
    case .f32:
      let (c, h, w) = (xLayout.shape[1], xLayout.shape[2], xLayout.shape[3])
      let (oh, ow) = (gradOutShape[2], gradOutShape[3])
      let g = window(h, w, oh, ow, params)
      let (px, pg, pd) = (x.const(Float.self), gradOut.const(Float.self), out.typed(Float.self))
      let l = xLayout
      // The kernels write whole planes, zeros included.
      let grain = Swift.max(1, (1 << 15) / Swift.max(oh * ow * params.kernel.0 * params.kernel.1, 1))
      parallelFor(l.shape[0] * c, grain: grain) { r in
        withUnsafePointer(to: g) { gp in
          for plane in r {
            let src = px + l.offset + (plane / c) * l.strides[0] + (plane % c) * l.strides[1]
            if kind == .max {
              born_maxpool_backward_f32(src, l.strides[2], l.strides[3], gp, pg + plane * oh * ow, pd + plane * h * w)
            } else {
              born_avgpool_backward_f32(gp, params.countIncludePad ? 1 : 0, pg + plane * oh * ow, pd + plane * h * w)
            }
          }
        }
      }
    case .f64:
      poolBackward(
        kind, x.const(Double.self), xLayout, gradOut.const(Double.self), gradOutShape, params, out.typed(Double.self))
    case .f16, .bf16:
      let (wx, lx) = HalfStaging.widen(x, xLayout, dtype)
      let (wg, _) = HalfStaging.widen(gradOut, Layout(contiguous: gradOutShape), dtype)
      let tmp = CPUStorage(byteCount: xLayout.elementCount * 4)
      pool2dBackward(kind, wx, lx, wg, gradOutShape, params: params, into: tmp, dtype: .f32)
      HalfStaging.narrow(tmp.const(Float.self), out.raw, xLayout.elementCount, dtype)
    default: preconditionFailure("pool2d backward: needs a floating-point tensor, got \(dtype)")
    }
  }

  static func poolBackward<T: BinaryFloatingPoint>(
    _ kind: PoolKind, _ x: UnsafePointer<T>, _ xl: Layout, _ g: UnsafePointer<T>, _ gShape: Shape, _ p: Pool2DParams,
    _ dx: UnsafeMutablePointer<T>
  ) {
    let (c, h, w) = (xl.shape[1], xl.shape[2], xl.shape[3])
    let (oh, ow) = (gShape[2], gShape[3])
    let (sh, sw) = (xl.strides[2], xl.strides[3])
    let planes = xl.shape[0] * c
    dx.initialize(repeating: 0, count: xl.elementCount)
    parallelFor(planes, grain: Swift.max(1, (1 << 14) / Swift.max(oh * ow * p.kernel.0 * p.kernel.1, 1))) { r in
      for plane in r {
        let (n, ci) = (plane / c, plane % c)
        let src = x + xl.offset + n * xl.strides[0] + ci * xl.strides[1]
        let gp = g + plane * oh * ow
        let dst = dx + plane * h * w
        for oi in 0..<oh {
          for oj in 0..<ow {
            let h0 = oi * p.stride.0 - p.padding.0
            let w0 = oj * p.stride.1 - p.padding.1
            let gv = gp[oi * ow + oj]
            if kind == .max {
              var best = -1
              var m = -T.infinity
              search: for ki in 0..<p.kernel.0 {
                let hi = h0 + ki * p.dilation.0
                if hi < 0 || hi >= h { continue }
                for kj in 0..<p.kernel.1 {
                  let wi = w0 + kj * p.dilation.1
                  if wi < 0 || wi >= w { continue }
                  let v = src[hi * sh + wi * sw]
                  if v > m || best < 0 || v.isNaN {
                    m = v
                    best = hi * w + wi
                    if v.isNaN { break search }
                  }
                }
              }
              if best >= 0 { dst[best] += gv }
            } else {
              let h1 = Swift.min(h0 + p.kernel.0, h + p.padding.0)
              let w1 = Swift.min(w0 + p.kernel.1, w + p.padding.1)
              let padded = (h1 - h0) * (w1 - w0)
              let (ha, hb) = (Swift.max(h0, 0), Swift.min(h1, h))
              let (wa, wb) = (Swift.max(w0, 0), Swift.min(w1, w))
              let divisor = p.countIncludePad ? padded : (hb - ha) * (wb - wa)
              let share = gv / T(Swift.max(divisor, 1))
              for hi in ha..<Swift.max(hb, ha) {
                for wi in wa..<Swift.max(wb, wa) { dst[hi * w + wi] += share }
              }
            }
          }
        }
      }
    }
  }
}
