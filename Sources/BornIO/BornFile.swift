import BornCore
import Crypto

/// Born's model file format (byte-level spec: `docs/formats/born.md`).
///
/// A 64-byte prefix (magic, version, flags, header length, data length, SHA-256 of everything
/// after the prefix), a JSON header padded with spaces to a multiple of 64 bytes, then the
/// tensors' data, each tensor starting at a multiple of 64 bytes. Every dtype Born has is
/// stored, plus GGML's quantized block types.
///
/// ```swift
/// try BornFile.write(["w": StoredTensor(w)], metadata: ["model": "mlp"], to: "model.born")
/// let file = try BornFile.read("model.born", mapped: true)  // checksum verified
/// let w: Tensor<Float, CPU> = try file.tensors["w"]!.tensor(Float.self)
/// ```
public enum BornFile {
  /// The first eight bytes of every `.born` file.
  public static let magic: [UInt8] = [0x89, 0x42, 0x4F, 0x52, 0x4E, 0x0D, 0x0A, 0x1A]
  /// The format version this code writes and reads.
  public static let version: UInt32 = 1
  /// Flag bit: the prefix holds a SHA-256 of the header and data.
  static let checksumFlag: UInt32 = 1
  static let prefixBytes = 64
  static let alignment = 64
  /// The largest header accepted.
  public static let maximumHeaderBytes = 100_000_000

  // MARK: Writing

  struct Plan {
    var prefix: [UInt8]
    var header: [UInt8]
    /// Tensors in file order with their offsets in the data section.
    var order: [(name: String, offset: Int)]
    var dataBytes: Int
  }

  static func plan(_ tensors: [String: StoredTensor], metadata: [String: String], path: String)
    throws(ModelFileError) -> Plan
  {
    var order: [(name: String, offset: Int)] = []
    var entries: [String] = []
    var end = 0
    for name in tensors.keys.sorted() {
      let t = tensors[name]!
      guard !name.isEmpty else { throw .malformed(path: path, field: "tensor name", offset: 0, reason: "empty name") }
      try SafeTensors.checkSize(t, name: name, path: path)
      let offset = align(end)
      order.append((name, offset))
      entries.append(
        "{\"name\":\(JSON.quote(name)),\"dtype\":\"\(t.dtype)\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"offset\":\(offset),\"length\":\(t.byteCount)}"
      )
      end = offset + t.byteCount
    }
    let meta = metadata.sorted { $0.key < $1.key }.map { "\(JSON.quote($0.key)):\(JSON.quote($0.value))" }
    var header = Array(
      "{\"tensors\":[\(entries.joined(separator: ","))],\"metadata\":{\(meta.joined(separator: ","))}}".utf8)
    header += [UInt8](repeating: 0x20, count: align(header.count) - header.count)

    var hasher = SHA256()
    header.withUnsafeBytes { hasher.update(bufferPointer: $0) }
    var position = 0
    for (name, offset) in order {
      hashZeros(&hasher, offset - position)
      tensors[name]!.withUnsafeBytes { hasher.update(bufferPointer: $0) }
      position = offset + tensors[name]!.byteCount
    }
    var prefix = magic
    appendLE(&prefix, UInt64(version), width: 4)
    appendLE(&prefix, UInt64(checksumFlag), width: 4)
    appendLE(&prefix, UInt64(header.count), width: 8)
    appendLE(&prefix, UInt64(end), width: 8)
    prefix += Array(hasher.finalize())
    return Plan(prefix: prefix, header: header, order: order, dataBytes: end)
  }

  /// Writes tensors (in name order) and metadata atomically (``AtomicFile``).
  public static func write(_ tensors: [String: StoredTensor], metadata: [String: String] = [:], to path: String)
    throws(ModelFileError)
  {
    let plan = try plan(tensors, metadata: metadata, path: path)
    try AtomicFile.write(to: path) { (sink: inout AtomicFile.Sink) throws(ModelFileError) in
      sink.write(plan.prefix + plan.header)
      let dataStart = sink.count
      for (name, offset) in plan.order {
        sink.write([UInt8](repeating: 0, count: dataStart + offset - sink.count))
        tensors[name]!.withUnsafeBytes { sink.write($0) }
      }
    }
  }

  /// The bytes of a `.born` file holding `tensors`.
  public static func serialize(_ tensors: [String: StoredTensor], metadata: [String: String] = [:])
    throws(ModelFileError) -> [UInt8]
  {
    let plan = try plan(tensors, metadata: metadata, path: "<memory>")
    var out = plan.prefix + plan.header
    let dataStart = out.count
    for (name, offset) in plan.order {
      out += [UInt8](repeating: 0, count: dataStart + offset - out.count)
      out += tensors[name]!.bytes
    }
    return out
  }

  // MARK: Reading

  /// Reads and validates a file. `mapped` maps it instead of reading it (tensors then use the
  /// mapped pages); `verify` checks the SHA-256 (on by default, for mapped files too).
  public static func read(_ path: String, mapped: Bool = false, verify: Bool = true) throws(ModelFileError)
    -> ModelFileContents
  {
    try parse(FileBytes(path: path, mapped: mapped), verify: verify)
  }

  /// Validates the bytes of a `.born` file and returns its tensors, which refer to `file`.
  public static func parse(_ file: FileBytes, verify: Bool = true) throws(ModelFileError) -> ModelFileContents {
    let path = file.path
    func fail(_ field: String, _ offset: Int, _ reason: String) -> ModelFileError {
      .malformed(path: path, field: field, offset: offset, reason: reason)
    }
    guard file.count >= prefixBytes else {
      throw fail("prefix", 0, "the file has \(file.count) bytes, fewer than the \(prefixBytes)-byte prefix")
    }
    guard file.buffer.prefix(8).elementsEqual(magic) else { throw fail("magic", 0, "not a .born file") }
    let version = file.uint(at: 8, width: 4)
    guard version == UInt64(self.version) else {
      throw fail("version", 8, "version \(version) is not supported (this reader knows version \(self.version))")
    }
    let flags = UInt32(file.uint(at: 12, width: 4))
    guard flags & ~checksumFlag == 0 else { throw fail("flags", 12, "unknown flag bits 0x\(String(flags, radix: 16))") }
    let headerLength = file.uint(at: 16, width: 8)
    let dataLength = file.uint(at: 24, width: 8)
    guard headerLength >= UInt64(alignment), headerLength <= UInt64(maximumHeaderBytes) else {
      throw fail("header length", 16, "\(headerLength) is outside \(alignment)...\(maximumHeaderBytes)")
    }
    guard headerLength % UInt64(alignment) == 0 else {
      throw fail("header length", 16, "\(headerLength) is not a multiple of \(alignment)")
    }
    let available = UInt64(file.count - prefixBytes)
    guard headerLength <= available else {
      throw fail(
        "header length", 16, "\(headerLength) runs past the end of the file (\(available) bytes follow the prefix)")
    }
    guard dataLength == available - headerLength else {
      throw fail(
        "data length", 24,
        "\(dataLength) does not match the file: \(available - headerLength) bytes follow the header")
    }
    let dataStart = prefixBytes + Int(headerLength)
    let dataSize = Int(dataLength)
    let reader = HeaderReader(path: path, base: prefixBytes)
    let root = try reader.parse(UnsafeRawBufferPointer(rebasing: file.buffer[prefixBytes..<dataStart]))
    var tensorList: JSON?
    var metadata: [String: String] = [:]
    for (key, value) in try reader.object(root, "header") {
      switch key {
      case "tensors": tensorList = value
      case "metadata": metadata = try reader.metadata(value, "metadata")
      default: throw reader.fail("header: \(key)", value, "unknown field")
      }
    }
    guard let tensorList, let list = tensorList.array else {
      throw reader.fail("tensors", tensorList ?? root, "expected an array of tensors")
    }
    var names: [String] = []
    var tensors: [String: StoredTensor] = [:]
    var end = 0
    for (index, entry) in list.enumerated() {
      var dtype: StoredDType?
      var shape: [Int]?
      var offset: Int?
      var length: Int?
      let members = try reader.object(entry, "tensor #\(index)")
      // The name first, so every later error can name the tensor.
      var name: String?
      for (key, v) in members where key == "name" { name = try reader.string(v, "tensor #\(index): name") }
      let field = name.map { "tensor \($0)" } ?? "tensor #\(index)"
      for (key, v) in members {
        let f = "\(field): \(key)"
        switch key {
        case "name": break
        case "dtype": dtype = try reader.dtype(v, f, tensor: name ?? "#\(index)") { StoredDType(rawValue: $0) }
        case "shape": shape = try reader.shape(v, f)
        case "offset": offset = try reader.nonNegativeInt(v, f)
        case "length": length = try reader.nonNegativeInt(v, f)
        default: throw reader.fail(f, v, "unknown field")
        }
      }
      guard let name, let dtype, let shape, let offset, let length else {
        let missing = [
          name == nil ? "name" : nil, dtype == nil ? "dtype" : nil, shape == nil ? "shape" : nil,
          offset == nil ? "offset" : nil, length == nil ? "length" : nil,
        ]
        throw reader.fail(field, entry, "lacks \(missing.compactMap { $0 }.joined(separator: ", "))")
      }
      let t = field
      guard !name.isEmpty else { throw reader.fail("tensor #\(index): name", entry, "empty name") }
      guard tensors[name] == nil else { throw reader.fail(t, entry, "duplicate tensor name") }
      let bytes = try reader.byteCount(dtype, shape, t + ": shape", entry)
      guard bytes == length else {
        throw reader.fail(t + ": length", entry, "shape \(shape) of \(dtype) needs \(bytes) bytes, length is \(length)")
      }
      guard offset == align(end) else {
        let what =
          offset < end
          ? "overlaps the tensor before it" : offset < align(end) ? "is not aligned to 64 bytes" : "leaves a gap"
        throw reader.fail(t + ": offset", entry, "offset \(offset) \(what) (expected \(align(end)))")
      }
      guard length <= dataSize - offset else {
        throw reader.fail(
          t + ": length", entry, "data \(offset)..<\(offset + length) runs past the data section (\(dataSize) bytes)")
      }
      end = offset + length
      names.append(name)
      tensors[name] = StoredTensor(
        dtype: dtype, shape: shape, file: file, range: (dataStart + offset)..<(dataStart + offset + length))
    }
    guard end == dataSize else {
      throw fail("data length", 24, "the tensors end at \(end) but the data section has \(dataSize) bytes")
    }
    let recorded = hex(file.buffer[32..<64])
    let checksum: ChecksumStatus
    if flags & checksumFlag == 0 {
      guard file.buffer[32..<64].allSatisfy({ $0 == 0 }) else {
        throw fail("checksum", 32, "no checksum flag, but the checksum field is not zero")
      }
      checksum = .absent
    } else if verify {
      var hasher = SHA256()
      hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: file.buffer[prefixBytes...]))
      let actual = hex(hasher.finalize())
      guard actual == recorded else { throw .checksumMismatch(path: path, expected: recorded, actual: actual) }
      checksum = .verified(actual)
    } else {
      checksum = .unchecked(recorded)
    }
    return ModelFileContents(format: .born, names: names, tensors: tensors, metadata: metadata, checksum: checksum)
  }

  // MARK: Helpers

  static func align(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

  static func appendLE(_ out: inout [UInt8], _ v: UInt64, width: Int) {
    for k in 0..<width { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) }
  }

  static let zeros = [UInt8](repeating: 0, count: alignment)

  static func hashZeros(_ hasher: inout SHA256, _ count: Int) {
    zeros.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
  }

  static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
    let digits = Array("0123456789abcdef")
    var s = ""
    for b in bytes {
      s.append(digits[Int(b >> 4)])
      s.append(digits[Int(b & 15)])
    }
    return s
  }

  /// The SHA-256 of `bytes` as lowercase hex.
  public static func sha256(_ bytes: UnsafeRawBufferPointer) -> String {
    var hasher = SHA256()
    hasher.update(bufferPointer: bytes)
    return hex(hasher.finalize())
  }
}
