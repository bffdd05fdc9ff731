import BornCore
import CBornKernels

extension CPU {
  public static func matmul(
    _ a: CPUStorage, _ aLayout: Layout, _ b: CPUStorage, _ bLayout: Layout, into out: CPUStorage, dtype: DType
  ) {
    let r = aLayout.rank
    let m = aLayout.shape[r - 2]
    let k = aLayout.shape[r - 1]
    let n = bLayout.shape[r - 1]
    let batchCount = outBatchCount(aLayout)
    if batchCount == 0 || m == 0 || n == 0 { return }
    switch dtype {
    case .f32:
      gemmBatched(
        a.const(Float.self), aLayout, b.const(Float.self), bLayout, out.typed(Float.self), m, n, k, batchCount
      ) {
        born_sgemm($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12)
      }
    case .f64:
      gemmBatched(
        a.const(Double.self), aLayout, b.const(Double.self), bLayout, out.typed(Double.self), m, n, k, batchCount
      ) {
        born_dgemm($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12)
      }
    case .f16, .bf16:
      let (wa, la) = HalfStaging.widen(a, aLayout, dtype)
      let (wb, lb) = HalfStaging.widen(b, bLayout, dtype)
      let total = batchCount * m * n
      let tmp = CPUStorage(byteCount: total * 4)
      matmul(wa, la, wb, lb, into: tmp, dtype: .f32)
      HalfStaging.narrow(tmp.const(Float.self), out.raw, total, dtype)
    case .i8:
      gemmNaive(a.const(Int8.self), aLayout, b.const(Int8.self), bLayout, out.typed(Int8.self), m, n, k, batchCount)
    case .i32:
      gemmNaive(a.const(Int32.self), aLayout, b.const(Int32.self), bLayout, out.typed(Int32.self), m, n, k, batchCount)
    case .i64:
      gemmNaive(a.const(Int64.self), aLayout, b.const(Int64.self), bLayout, out.typed(Int64.self), m, n, k, batchCount)
    case .u8:
      gemmNaive(a.const(UInt8.self), aLayout, b.const(UInt8.self), bLayout, out.typed(UInt8.self), m, n, k, batchCount)
    case .bool: preconditionFailure("matmul: not defined for bool tensors")
    }
  }

  static func outBatchCount(_ l: Layout) -> Int {
    var c = 1
    for i in 0..<(l.rank - 2) { c *= l.shape[i] }
    return c
  }

  /// Offset of batch `index` for a layout whose first rank-2 axes are batch axes.
  @inline(__always)
  static func batchOffset(_ l: Layout, _ index: Int) -> Int {
    var off = l.offset
    var rem = index
    var i = l.rank - 3
    while i >= 0 {
      off += (rem % l.shape[i]) * l.strides[i]
      rem /= l.shape[i]
      i -= 1
    }
    return off
  }

  typealias GemmKernel<T> = (
    Int, Int, Int, UnsafePointer<T>, Int, Int, UnsafePointer<T>, Int, Int, UnsafeMutablePointer<T>, Int, Int32, Int32
  ) -> Void

  @inline(__always)
  static func gemmBatched<T>(
    _ a: UnsafePointer<T>, _ al: Layout, _ b: UnsafePointer<T>, _ bl: Layout, _ out: UnsafeMutablePointer<T>, _ m: Int,
    _ n: Int, _ k: Int, _ batches: Int, _ kernel: GemmKernel<T>
  ) {
    let r = al.rank
    let (rsa, csa) = (al.strides[r - 2], al.strides[r - 1])
    let (rsb, csb) = (bl.strides[r - 2], bl.strides[r - 1])
    let threads = Int(born_gemm_threads(m, n, k, Int32(cpuThreadCount)))
    if batches >= cpuThreadCount && threads < cpuThreadCount * 2 && batches > 1 {
      // Many small products: one per thread at a time.
      parallelFor(batches, grain: 1) { range in
        for bi in range {
          kernel(
            m, n, k, a + batchOffset(al, bi), rsa, csa, b + batchOffset(bl, bi), rsb, csb, out + bi * m * n, n, 0, 1)
        }
      }
      return
    }
    for bi in 0..<batches {
      let pa = a + batchOffset(al, bi)
      let pb = b + batchOffset(bl, bi)
      let po = out + bi * m * n
      parallelThreads(threads) { t in
        kernel(m, n, k, pa, rsa, csa, pb, rsb, csb, po, n, Int32(t), Int32(threads))
      }
    }
  }

  static func gemmNaive<T: FixedWidthInteger>(
    _ a: UnsafePointer<T>, _ al: Layout, _ b: UnsafePointer<T>, _ bl: Layout, _ out: UnsafeMutablePointer<T>, _ m: Int,
    _ n: Int, _ k: Int, _ batches: Int
  ) {
    let r = al.rank
    let (rsa, csa) = (al.strides[r - 2], al.strides[r - 1])
    let (rsb, csb) = (bl.strides[r - 2], bl.strides[r - 1])
    for bi in 0..<batches {
      let pa = a + batchOffset(al, bi)
      let pb = b + batchOffset(bl, bi)
      let po = out + bi * m * n
      for i in 0..<m {
        for j in 0..<n {
          var acc: T = 0
          for p in 0..<k { acc = acc &+ pa[i * rsa + p * csa] &* pb[p * rsb + j * csb] }
          po[i * n + j] = acc
        }
      }
    }
  }
}
