import BornCore
import CBornKernels

extension CPU {
  public static func conv2d(
    _ x: CPUStorage, _ xLayout: Layout, _ w: CPUStorage, _ wLayout: Layout, params: Conv2DParams, into out: CPUStorage,
    _ outShape: Shape, dtype: DType
  ) {
    switch dtype {
    case .f32:
      conv2dTyped(x.const(Float.self), xLayout, w, wLayout, params, out.typed(Float.self), outShape, elementSize: 4) {
        born_sgemm($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12)
      }
    case .f64:
      conv2dTyped(x.const(Double.self), xLayout, w, wLayout, params, out.typed(Double.self), outShape, elementSize: 8) {
        born_dgemm($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12)
      }
    case .f16, .bf16:
      let (wx, lx) = HalfStaging.widen(x, xLayout, dtype)
      let (ww, lw) = HalfStaging.widen(w, wLayout, dtype)
      let tmp = CPUStorage(byteCount: outShape.elementCount * 4)
      conv2d(wx, lx, ww, lw, params: params, into: tmp, outShape, dtype: .f32)
      HalfStaging.narrow(tmp.const(Float.self), out.raw, outShape.elementCount, dtype)
    default:
      preconditionFailure("conv2d: needs a floating-point tensor, got \(dtype)")
    }
  }

  /// Convolution as im2col + GEMM per image and group: out[g] = W[g] · cols.
  static func conv2dTyped<T: BinaryFloatingPoint>(
    _ x: UnsafePointer<T>, _ xl: Layout, _ wStorage: CPUStorage, _ wl: Layout, _ p: Conv2DParams,
    _ out: UnsafeMutablePointer<T>, _ outShape: Shape, elementSize: Int, _ gemm: GemmKernel<T>
  ) {
    let (batch, h, wd) = (xl.shape[0], xl.shape[2], xl.shape[3])
    let (o, cg, kh, kw) = (wl.shape[0], wl.shape[1], wl.shape[2], wl.shape[3])
    let (oh, ow) = (outShape[2], outShape[3])
    let g = p.groups
    let og = o / g
    let kdim = cg * kh * kw
    let spatial = oh * ow
    // Weights as a contiguous [O, C/g·KH·KW] matrix.
    let (wStore, wOffset) = contiguousStorage(wStorage, wl, elementSize: elementSize)
    defer { withExtendedLifetime(wStore) {} }
    let wp = wStore.const(T.self) + wOffset
    let direct =
      kh == 1 && kw == 1 && p.stride == (1, 1) && p.padding == (0, 0)
      && xl.strides[3] == 1 && xl.strides[2] == wd
    let threadsPerGemm = Int(born_gemm_threads(og, spatial, kdim, Int32(cpuThreadCount)))
    let parallelImages = batch >= cpuThreadCount && threadsPerGemm < cpuThreadCount * 2
    func image(_ n: Int, _ cols: UnsafeMutablePointer<T>, _ threads: Int) {
      for gi in 0..<g {
        let xBase = x + xl.offset + n * xl.strides[0] + gi * cg * xl.strides[1]
        var bPtr = UnsafePointer(cols)
        var rsb = spatial
        if direct {
          bPtr = xBase
          rsb = xl.strides[1]
        } else {
          im2col(xBase, xl, cg, h, wd, kh, kw, oh, ow, p, cols)
        }
        let aPtr = wp + gi * og * kdim
        let cPtr = out + n * o * spatial + gi * og * spatial
        parallelThreads(threads) { t in
          gemm(og, spatial, kdim, aPtr, kdim, 1, bPtr, rsb, 1, cPtr, spatial, Int32(t), Int32(threads))
        }
      }
    }
    let colCount = direct ? 1 : kdim * spatial
    if parallelImages {
      parallelFor(batch, grain: 1) { r in
        let cols = UnsafeMutablePointer<T>.allocate(capacity: colCount)
        defer { cols.deallocate() }
        for n in r { image(n, cols, 1) }
      }
    } else {
      let cols = UnsafeMutablePointer<T>.allocate(capacity: colCount)
      defer { cols.deallocate() }
      for n in 0..<batch { image(n, cols, threadsPerGemm) }
    }
  }

  /// Writes the [C·KH·KW, OH·OW] patch matrix of one image (zeros where the window is padding).
  @inline(__always)
  static func im2col<T: BinaryFloatingPoint>(
    _ x: UnsafePointer<T>, _ xl: Layout, _ channels: Int, _ h: Int, _ w: Int, _ kh: Int, _ kw: Int, _ oh: Int,
    _ ow: Int,
    _ p: Conv2DParams, _ cols: UnsafeMutablePointer<T>
  ) {
    let (sc, sh, sw) = (xl.strides[1], xl.strides[2], xl.strides[3])
    if T.self == Float.self {
      var g = window(h, w, kh, kw, oh, ow, p)
      born_im2col_f32(
        UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), sc, sh, sw, channels, &g,
        UnsafeMutableRawPointer(cols).assumingMemoryBound(to: Float.self))
      return
    }
    var row = 0
    for ci in 0..<channels {
      for ki in 0..<kh {
        for kj in 0..<kw {
          let dst = cols + row * oh * ow
          for oi in 0..<oh {
            let hi = oi * p.stride.0 - p.padding.0 + ki * p.dilation.0
            let line = dst + oi * ow
            if hi < 0 || hi >= h {
              line.initialize(repeating: 0, count: ow)
              continue
            }
            let src = x + ci * sc + hi * sh
            for oj in 0..<ow {
              let wi = oj * p.stride.1 - p.padding.1 + kj * p.dilation.1
              line[oj] = (wi >= 0 && wi < w) ? src[wi * sw] : 0
            }
          }
          row += 1
        }
      }
    }
  }

  /// The C kernels' description of a window.
  static func window(_ h: Int, _ w: Int, _ kh: Int, _ kw: Int, _ oh: Int, _ ow: Int, _ p: Conv2DParams) -> born_window {
    born_window(
      h: h, w: w, kh: kh, kw: kw, oh: oh, ow: ow, stride_h: p.stride.0, stride_w: p.stride.1, pad_h: p.padding.0,
      pad_w: p.padding.1, dil_h: p.dilation.0, dil_w: p.dilation.1)
  }

  static func window(_ h: Int, _ w: Int, _ oh: Int, _ ow: Int, _ p: Pool2DParams) -> born_window {
    born_window(
      h: h, w: w, kh: p.kernel.0, kw: p.kernel.1, oh: oh, ow: ow, stride_h: p.stride.0, stride_w: p.stride.1,
      pad_h: p.padding.0, pad_w: p.padding.1, dil_h: p.dilation.0, dil_w: p.dilation.1)
  }

  public static func pool2d(
    _ kind: PoolKind, _ x: CPUStorage, _ xLayout: Layout, params: Pool2DParams, into out: CPUStorage, _ outShape: Shape,
    dtype: DType
  ) {
    switch dtype {
    case .f32:
      let (c, h, w) = (xLayout.shape[1], xLayout.shape[2], xLayout.shape[3])
      let (oh, ow) = (outShape[2], outShape[3])
      let g = window(h, w, oh, ow, params)
      let (px, po) = (x.const(Float.self), out.typed(Float.self))
      let l = xLayout
      parallelFor(
        l.shape[0] * c, grain: Swift.max(1, (1 << 15) / Swift.max(oh * ow * params.kernel.0 * params.kernel.1, 1))
      ) { r in
        for plane in r {
          let src = px + l.offset + (plane / c) * l.strides[0] + (plane % c) * l.strides[1]
          withUnsafePointer(to: g) { gp in
            if kind == .max {
              born_maxpool_f32(src, l.strides[2], l.strides[3], gp, po + plane * oh * ow)
            } else {
              born_avgpool_f32(
                src, l.strides[2], l.strides[3], gp, params.countIncludePad ? 1 : 0, po + plane * oh * ow)
            }
          }
        }
      }
    case .f64: poolTyped(kind, x.const(Double.self), xLayout, params, out.typed(Double.self), outShape)
    case .f16, .bf16:
      let (wx, lx) = HalfStaging.widen(x, xLayout, dtype)
      let tmp = CPUStorage(byteCount: outShape.elementCount * 4)
      pool2d(kind, wx, lx, params: params, into: tmp, outShape, dtype: .f32)
      HalfStaging.narrow(tmp.const(Float.self), out.raw, outShape.elementCount, dtype)
    default:
      preconditionFailure("pool2d: needs a floating-point tensor, got \(dtype)")
    }
  }

  static func poolTyped<T: BinaryFloatingPoint>(
    _ kind: PoolKind, _ x: UnsafePointer<T>, _ xl: Layout, _ p: Pool2DParams, _ out: UnsafeMutablePointer<T>,
    _ outShape: Shape
  ) {
    let (c, h, w) = (xl.shape[1], xl.shape[2], xl.shape[3])
    let (oh, ow) = (outShape[2], outShape[3])
    let (sh, sw) = (xl.strides[2], xl.strides[3])
    let planes = xl.shape[0] * c
    parallelFor(planes, grain: Swift.max(1, (1 << 14) / Swift.max(oh * ow * p.kernel.0 * p.kernel.1, 1))) { r in
      for plane in r {
        let (n, ci) = (plane / c, plane % c)
        let src = x + xl.offset + n * xl.strides[0] + ci * xl.strides[1]
        let dst = out + plane * oh * ow
        for oi in 0..<oh {
          for oj in 0..<ow {
            let h0 = oi * p.stride.0 - p.padding.0
            let w0 = oj * p.stride.1 - p.padding.1
            if kind == .max {
              var m = -T.infinity
              for ki in 0..<p.kernel.0 {
                let hi = h0 + ki * p.dilation.0
                if hi < 0 || hi >= h { continue }
                for kj in 0..<p.kernel.1 {
                  let wi = w0 + kj * p.dilation.1
                  if wi < 0 || wi >= w { continue }
                  let v = src[hi * sh + wi * sw]
                  if v > m || v.isNaN { m = v }
                  if v.isNaN { break }
                }
                if m.isNaN { break }
              }
              dst[oi * ow + oj] = m
            } else {
              let h1 = Swift.min(h0 + p.kernel.0, h + p.padding.0)
              let w1 = Swift.min(w0 + p.kernel.1, w + p.padding.1)
              let padded = (h1 - h0) * (w1 - w0)
              let (ha, hb) = (Swift.max(h0, 0), Swift.min(h1, h))
              let (wa, wb) = (Swift.max(w0, 0), Swift.min(w1, w))
              var s: T = 0
              for hi in ha..<Swift.max(hb, ha) {
                for wi in wa..<Swift.max(wb, wa) { s += src[hi * sh + wi * sw] }
              }
              let divisor = p.countIncludePad ? padded : (hb - ha) * (wb - wa)
              dst[oi * ow + oj] = s / T(Swift.max(divisor, 1))
            }
          }
        }
      }
    }
  }
}
