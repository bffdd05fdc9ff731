import BornCore

#if canImport(Glibc)
  import Glibc
#endif

/// Errors reading or writing model files; each names the file and the field or tensor.
public enum ModelFileError: Error, CustomStringConvertible, Equatable {
  /// The file could not be opened or read.
  case unreadable(path: String, reason: String)
  /// The file could not be written.
  case unwritable(path: String, reason: String)
  /// A field of the file is invalid: `field` names it (`"header length"`, `"tensor w: shape"`),
  /// `offset` is the byte offset in the file where the problem is.
  case malformed(path: String, field: String, offset: Int, reason: String)
  /// A tensor has a dtype this reader does not know, or the caller cannot use.
  case unsupportedDType(path: String, tensor: String, dtype: String)
  /// The SHA-256 of the file's contents differs from the one its prefix records.
  case checksumMismatch(path: String, expected: String, actual: String)
  /// A state dict does not match the model it is loaded into.
  case stateMismatch(path: String, missing: [String], unexpected: [String], misshaped: [String])

  public var description: String {
    switch self {
    case .unreadable(let p, let r): "\(p): cannot read (\(r))"
    case .unwritable(let p, let r): "\(p): cannot write (\(r))"
    case .malformed(let p, let f, let o, let r): "\(p): \(f) (byte \(o)): \(r)"
    case .unsupportedDType(let p, let t, let d): "\(p): tensor \(t) has dtype \(d), which cannot be used here"
    case .checksumMismatch(let p, let e, let a):
      "\(p): checksum mismatch: the file records SHA-256 \(e) but its contents hash to \(a) (corrupted file?)"
    case .stateMismatch(let p, let m, let u, let s):
      "\(p): the file does not match the model"
        + (m.isEmpty ? "" : "; missing: \(m.joined(separator: ", "))")
        + (u.isEmpty ? "" : "; unexpected: \(u.joined(separator: ", "))")
        + (s.isEmpty ? "" : "; wrong shape: \(s.joined(separator: ", "))")
    }
  }

  /// The field a `.malformed` error names (nil for other errors).
  public var field: String? {
    if case .malformed(_, let f, _, _) = self { return f }
    return nil
  }
}

/// The element type of a stored tensor: a dense ``DType`` or a block-quantized format (GGML's
/// layouts: each block of `blockElements` values takes `blockBytes` bytes).
public enum StoredDType: String, CaseIterable, Sendable, CustomStringConvertible {
  case f32, f64, f16, bf16, i8, i32, i64, u8, bool
  case q4_0, q4_1, q5_0, q5_1, q8_0
  case q2_K, q3_K, q4_K, q5_K, q6_K, q8_K

  /// The stored dtype of a dense element type.
  public init(_ dtype: DType) { self = StoredDType(rawValue: dtype.description)! }

  /// The dense element type, or nil for quantized blocks.
  public var dense: DType? { DType.allCases.first { $0.description == rawValue } }

  /// Values per block (1 for dense types).
  public var blockElements: Int {
    switch self {
    case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: 32
    case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K: 256
    default: 1
    }
  }

  /// Bytes per block (the element size for dense types).
  public var blockBytes: Int {
    switch self {
    case .q4_0: 18
    case .q4_1: 20
    case .q5_0: 22
    case .q5_1: 24
    case .q8_0: 34
    case .q2_K: 84
    case .q3_K: 110
    case .q4_K: 144
    case .q5_K: 176
    case .q6_K: 210
    case .q8_K: 292
    default: dense!.byteSize
    }
  }

  public var description: String { rawValue }

  /// The bytes a tensor of `shape` takes, or why it cannot be stored: a negative dimension, an
  /// element count or byte size that overflows, or a last dimension that is not a whole number
  /// of blocks.
  public func byteCount(shape: [Int]) -> Result<Int, ShapeProblem> {
    var count = 1
    for d in shape {
      guard d >= 0 else { return .failure(.negativeDimension(d)) }
      let (p, overflow) = count.multipliedReportingOverflow(by: d)
      guard !overflow else { return .failure(.overflow) }
      count = p
    }
    if blockElements > 1 {
      guard let last = shape.last, last % blockElements == 0 else { return .failure(.partialBlock(blockElements)) }
    }
    let (bytes, overflow) = (count / blockElements).multipliedReportingOverflow(by: blockBytes)
    return overflow ? .failure(.overflow) : .success(bytes)
  }

  /// Why a shape cannot be stored with a dtype.
  public enum ShapeProblem: Error, CustomStringConvertible {
    case negativeDimension(Int)
    case overflow
    case partialBlock(Int)

    public var description: String {
      switch self {
      case .negativeDimension(let d): "negative dimension \(d)"
      case .overflow: "the element count or byte size overflows a 64-bit integer"
      case .partialBlock(let b): "the last dimension must be a multiple of the block size \(b)"
      }
    }
  }
}

/// A file's bytes in memory: mapped with `mmap` (private, copy-on-write, so tensors made from
/// it may be modified without touching the file) or read into a buffer of the file's size.
public final class FileBytes: @unchecked Sendable {
  /// The file's path (or a name for bytes that came from memory).
  public let path: String
  /// The bytes.
  public let buffer: UnsafeMutableRawBufferPointer
  /// Whether `buffer` is a mapping (of the file or anonymous memory) to unmap, not an allocation.
  let mapped: Bool

  /// Opens `path` and maps it (`mapped: true`) or reads it whole.
  public init(path: String, mapped: Bool) throws(ModelFileError) {
    self.path = path
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
    guard (st.st_mode & S_IFMT) == S_IFREG else { throw .unreadable(path: path, reason: "not a regular file") }
    let size = Int(st.st_size)
    if size == 0 {
      buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
      self.mapped = false
      return
    }
    if mapped {
      guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
        throw .unreadable(path: path, reason: "mmap: " + String(cString: strerror(errno)))
      }
      buffer = UnsafeMutableRawBufferPointer(start: p, count: size)
      self.mapped = true
    } else {
      // Anonymous memory with transparent huge pages: touching 1 GB of fresh 4 KiB pages costs
      // more than reading the file.
      guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
        throw .unreadable(path: path, reason: "cannot allocate \(size) bytes: " + String(cString: strerror(errno)))
      }
      if size >= FileBytes.hugePageBytes { madvise(p, size, MADV_HUGEPAGE) }
      var done = 0
      while done < size {
        let n = read(fd, p + done, size - done)
        if n < 0, errno == EINTR { continue }
        guard n > 0 else {
          let reason = n == 0 ? "the file shrank while reading" : String(cString: strerror(errno))
          munmap(p, size)
          throw .unreadable(path: path, reason: reason)
        }
        done += n
      }
      buffer = UnsafeMutableRawBufferPointer(start: p, count: size)
      self.mapped = true
    }
  }

  static let hugePageBytes = 2 << 20

  /// A copy of `bytes`, named `path` in errors (for parsing files already in memory).
  public init(bytes: [UInt8], path: String = "<memory>") {
    self.path = path
    let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
    bytes.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: $0.count) } }
    buffer = UnsafeMutableRawBufferPointer(start: p, count: bytes.count)
    mapped = false
  }

  deinit {
    guard let base = buffer.baseAddress else { return }
    if mapped { munmap(base, buffer.count) } else { base.deallocate() }
  }

  var count: Int { buffer.count }

  /// A little-endian unsigned integer of `width` bytes at `offset` (the caller checked bounds).
  func uint(at offset: Int, width: Int) -> UInt64 {
    var v: UInt64 = 0
    for k in 0..<width { v |= UInt64(buffer[offset + k]) << (8 * UInt64(k)) }
    return v
  }
}

/// One tensor of a model file: dtype, shape and little-endian bytes, either owned or a range of
/// a ``FileBytes`` (then making a CPU tensor from it copies nothing).
public struct StoredTensor: Sendable, Equatable {
  public var dtype: StoredDType
  public var shape: [Int]
  var source: Source

  enum Source: Sendable {
    case array([UInt8])
    case file(FileBytes, Range<Int>)
  }

  /// A tensor from its dtype, shape and bytes (as many as the shape needs).
  public init(dtype: StoredDType, shape: [Int], bytes: [UInt8]) {
    self.dtype = dtype
    self.shape = shape
    source = .array(bytes)
  }

  init(dtype: StoredDType, shape: [Int], file: FileBytes, range: Range<Int>) {
    self.dtype = dtype
    self.shape = shape
    source = .file(file, range)
  }

  /// The bytes of a tensor (any layout; copied to row-major order).
  public init<E: TensorElement, B: Backend>(_ t: Tensor<E, B>) {
    dtype = StoredDType(E.dtype)
    shape = t.shape.array
    source = .array(t.toArray().withUnsafeBytes { Array($0) })
  }

  /// The number of bytes.
  public var byteCount: Int {
    switch source {
    case .array(let a): a.count
    case .file(_, let r): r.count
    }
  }

  /// A copy of the bytes.
  public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

  /// Calls `body` with the bytes.
  public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    switch source {
    case .array(let a): return try a.withUnsafeBytes(body)
    case .file(let f, let r): return try body(UnsafeRawBufferPointer(rebasing: f.buffer[r]))
    }
  }

  public static func == (a: StoredTensor, b: StoredTensor) -> Bool {
    a.dtype == b.dtype && a.shape == b.shape
      && a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.elementsEqual(y) } }
  }

  /// The tensor on backend `B`; its dtype must be `E`'s. A tensor read from a file becomes CPU
  /// storage over the file's memory when suitably aligned (no copy).
  public func tensor<E: TensorElement, B: Backend>(_: E.Type, on device: B.Device = B.defaultDevice)
    throws(ModelFileError) -> Tensor<E, B>
  {
    guard dtype.dense == E.dtype else {
      let path = if case .file(let f, _) = source { f.path } else { "<memory>" }
      throw .unsupportedDType(path: path, tensor: "\(shape)", dtype: "\(dtype) (read as \(E.dtype))")
    }
    let layout = Layout(contiguous: Shape(shape))
    switch source {
    case .array(let a):
      return Tensor(storage: a.withUnsafeBytes { B.upload($0, dtype: E.dtype, on: device) }, layout: layout)
    case .file(let f, let r):
      return Tensor(
        storage: B.upload(
          borrowing: UnsafeMutableRawBufferPointer(rebasing: f.buffer[r]), owner: f, dtype: E.dtype, on: device),
        layout: layout)
    }
  }
}
