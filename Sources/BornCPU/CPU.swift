import BornCore
import CBornKernels
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The CPU backend: storage in host memory, kernels in Swift and C (see `CBornKernels`),
/// threaded across the machine's cores above a size threshold.
///
/// ```swift
/// let x = Tensor<Float, CPU>.randn([64, 784])
/// ```
public enum CPU: Backend {
  public typealias Storage = CPUStorage

  /// The host CPU (there is one).
  public struct Device: Hashable, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "cpu" }
  }

  public static var name: String { "cpu" }
  public static var defaultDevice: Device { Device() }
  public static func device(of storage: CPUStorage) -> Device { Device() }

  /// The C kernel variant in use ("generic", "avx2", "avx512").
  public static var kernelVariant: String { String(cString: born_isa_name(born_isa_active())) }
}

/// Host memory for one tensor buffer, 64-byte aligned. Large buffers come from and go back to
/// a cache (``CPUAllocator``) so repeated ops do not pay for fresh pages.
public final class CPUStorage: @unchecked Sendable {
  /// The start of the buffer.
  public let raw: UnsafeMutableRawPointer
  /// Its size in bytes.
  public let byteCount: Int

  /// What keeps borrowed memory alive (nil when the allocator owns the buffer).
  let owner: AnyObject?

  /// A buffer of at least `byteCount` bytes, contents unspecified.
  public init(byteCount: Int) {
    self.byteCount = byteCount
    raw = CPUAllocator.allocate(byteCount)
    owner = nil
  }

  /// Storage over memory that `owner` keeps alive (a memory-mapped file); nothing is copied.
  public init(borrowing raw: UnsafeMutableRawPointer, byteCount: Int, owner: AnyObject) {
    self.raw = raw
    self.byteCount = byteCount
    self.owner = owner
  }

  deinit { if owner == nil { CPUAllocator.release(raw, byteCount) } }

}

/// A size-bucketed cache of large host buffers.
///
/// On Linux, glibc returns every block over 128 KiB to the kernel on free, and touching a fresh
/// page costs microseconds, so allocating per op is slow. Buffers of at least
/// ``minimumCachedBytes`` are kept on free (up to ``capacity`` bytes in all) and reused for the
/// next request of the same size class (sizes rounded up to 1/8 of their power of two).
public enum CPUAllocator {
  /// Smallest buffer that is cached.
  public static let minimumCachedBytes = 64 * 1024
  /// Upper bound of cached (free) bytes; `BORN_CPU_CACHE_MB` overrides the default 1024.
  public static let capacity: Int = {
    if let s = getenv("BORN_CPU_CACHE_MB"), let mb = Int(String(cString: s)), mb >= 0 { return mb << 20 }
    return 1 << 30
  }()

  struct State {
    var free: [Int: [UInt]] = [:]  // pointers as bit patterns
    var cachedBytes = 0
    var liveBytes = 0
    var peakBytes = 0
  }
  static let state = Mutex(State())

  /// Memory statistics: bytes held by live tensors, bytes cached for reuse, peak live bytes.
  public static var statistics: (live: Int, cached: Int, peak: Int) {
    state.withLock { ($0.liveBytes, $0.cachedBytes, $0.peakBytes) }
  }

  /// Frees every cached buffer.
  public static func emptyCache() {
    let blocks = state.withLock { s -> [UInt] in
      let all = s.free.values.flatMap { $0 }
      s.free = [:]
      s.cachedBytes = 0
      return all
    }
    for b in blocks { free(UnsafeMutableRawPointer(bitPattern: b)) }
  }

  @inline(__always) static func sizeClass(_ bytes: Int) -> Int {
    if bytes < minimumCachedBytes { return bytes }
    let top = Int.bitWidth - 1 - bytes.leadingZeroBitCount
    let step = 1 << (top - 3)
    return (bytes + step - 1) & ~(step - 1)
  }

  static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
    let size = Swift.max(sizeClass(bytes), 64)
    if size >= minimumCachedBytes {
      let hit = state.withLock { s -> UInt? in
        s.liveBytes += size
        s.peakBytes = Swift.max(s.peakBytes, s.liveBytes)
        if var list = s.free[size], let p = list.popLast() {
          s.free[size] = list
          s.cachedBytes -= size
          return p
        }
        return nil
      }
      if let hit, let p = UnsafeMutableRawPointer(bitPattern: hit) { return p }
    }
    var p: UnsafeMutableRawPointer?
    let rc = posix_memalign(&p, 64, size)
    guard rc == 0, let p else { fatalError("CPU allocator: out of memory allocating \(size) bytes") }
    return p
  }

  static func release(_ p: UnsafeMutableRawPointer, _ bytes: Int) {
    let size = Swift.max(sizeClass(bytes), 64)
    if size >= minimumCachedBytes {
      let bits = UInt(bitPattern: p)
      let kept = state.withLock { s -> Bool in
        s.liveBytes -= size
        guard s.cachedBytes + size <= capacity else { return false }
        s.free[size, default: []].append(bits)
        s.cachedBytes += size
        return true
      }
      if kept { return }
    }
    free(p)
  }
}

// MARK: - Memory requirements

extension CPU {
  public static func allocate(_ count: Int, dtype: DType, on device: Device) -> CPUStorage {
    CPUStorage(byteCount: Swift.max(count, 0) * dtype.byteSize)
  }

  public static func upload(_ bytes: UnsafeRawBufferPointer, dtype: DType, on device: Device) -> CPUStorage {
    let s = CPUStorage(byteCount: bytes.count)
    if let base = bytes.baseAddress, bytes.count > 0 { s.raw.copyMemory(from: base, byteCount: bytes.count) }
    return s
  }

  /// Uses the memory in place when it is aligned for `dtype`; copies it otherwise.
  public static func upload(
    borrowing bytes: UnsafeMutableRawBufferPointer, owner: AnyObject, dtype: DType, on device: Device
  ) -> CPUStorage {
    guard let base = bytes.baseAddress, Int(bitPattern: base) % dtype.byteSize == 0 else {
      return upload(UnsafeRawBufferPointer(bytes), dtype: dtype, on: device)
    }
    return CPUStorage(borrowing: base, byteCount: bytes.count, owner: owner)
  }

  public static func download(
    _ storage: CPUStorage, _ layout: Layout, dtype: DType, into bytes: UnsafeMutableRawBufferPointer
  ) {
    guard let base = bytes.baseAddress, layout.elementCount > 0 else { return }
    copyElements(
      from: storage.raw, layout, to: base, Layout(contiguous: layout.shape), elementSize: dtype.byteSize)
  }

  public static func copy(
    _ src: CPUStorage, _ srcLayout: Layout, into dst: CPUStorage, _ dstLayout: Layout, dtype: DType
  ) {
    precondition(srcLayout.shape == dstLayout.shape, "copy: shapes \(srcLayout.shape) and \(dstLayout.shape) differ")
    copyElements(from: src.raw, srcLayout, to: dst.raw, dstLayout, elementSize: dtype.byteSize)
  }

  public static func fill(_ dst: CPUStorage, count: Int, value: Double, dtype: DType) {
    func run<T: TensorElement>(_: T.Type) {
      let v = T(bornConverting: value)
      let p = dst.typed(T.self)
      parallelFor(count, grain: 1 << 16) { r in
        (p + r.lowerBound).initialize(repeating: v, count: r.count)
      }
    }
    switch dtype {
    case .f32: run(Float.self)
    case .f64: run(Double.self)
    case .f16: run(Float16.self)
    case .bf16: run(BFloat16.self)
    case .i8: run(Int8.self)
    case .i32: run(Int32.self)
    case .i64: run(Int64.self)
    case .u8: run(UInt8.self)
    case .bool: run(Bool.self)
    }
  }

  public static func arange(into dst: CPUStorage, count: Int, start: Double, step: Double, dtype: DType) {
    func run<T: TensorElement>(_: T.Type) {
      let p = dst.typed(T.self)
      for i in 0..<count { p[i] = T(bornConverting: start + Double(i) * step) }
    }
    switch dtype {
    case .f32: run(Float.self)
    case .f64: run(Double.self)
    case .f16: run(Float16.self)
    case .bf16: run(BFloat16.self)
    case .i8: run(Int8.self)
    case .i32: run(Int32.self)
    case .i64: run(Int64.self)
    case .u8: run(UInt8.self)
    case .bool: run(Bool.self)
    }
  }
}
