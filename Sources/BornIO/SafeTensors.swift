import BornCore
import BornNN
import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// Errors reading or writing model files; each names the file and the field or tensor.
public enum ModelFileError: Error, CustomStringConvertible, Equatable {
  case unreadable(path: String, reason: String)
  case unwritable(path: String, reason: String)
  case malformed(path: String, field: String, reason: String)
  case unsupportedDType(path: String, tensor: String, dtype: String)
  case stateMismatch(path: String, missing: [String], unexpected: [String], misshaped: [String])

  public var description: String {
    switch self {
    case .unreadable(let p, let r): "\(p): cannot read (\(r))"
    case .unwritable(let p, let r): "\(p): cannot write (\(r))"
    case .malformed(let p, let f, let r): "\(p): \(f): \(r)"
    case .unsupportedDType(let p, let t, let d): "\(p): tensor \(t) has dtype \(d), which this model cannot use"
    case .stateMismatch(let p, let m, let u, let s):
      "\(p): the file does not match the model"
        + (m.isEmpty ? "" : "; missing: \(m.joined(separator: ", "))")
        + (u.isEmpty ? "" : "; unexpected: \(u.joined(separator: ", "))")
        + (s.isEmpty ? "" : "; wrong shape: \(s.joined(separator: ", "))")
    }
  }
}

/// One tensor read from a file: dtype, shape and raw little-endian bytes.
public struct StoredTensor: Sendable, Equatable {
  public var dtype: DType
  public var shape: [Int]
  public var bytes: [UInt8]

  public init(dtype: DType, shape: [Int], bytes: [UInt8]) {
    self.dtype = dtype
    self.shape = shape
    self.bytes = bytes
  }

  /// The bytes of a tensor (any layout; copied to row-major order).
  public init<E: TensorElement, B: Backend>(_ t: Tensor<E, B>) {
    dtype = E.dtype
    shape = t.shape.array
    bytes = t.toArray().withUnsafeBytes { Array($0) }
  }

  /// The tensor on backend `B` (the dtype must be `E`'s).
  public func tensor<E: TensorElement, B: Backend>(_: E.Type, on device: B.Device = B.defaultDevice) -> Tensor<E, B> {
    precondition(dtype == E.dtype, "StoredTensor: stored \(dtype) read as \(E.dtype)")
    let storage = bytes.withUnsafeBytes { B.upload($0, dtype: dtype, on: device) }
    return Tensor(storage: storage, layout: Layout(contiguous: Shape(shape)))
  }
}

/// The safetensors format: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the data.
///
/// ```swift
/// try SafeTensors.write(["w": StoredTensor(w)], metadata: ["format": "born"], to: "model.safetensors")
/// let (tensors, metadata) = try SafeTensors.read("model.safetensors")
/// ```
public enum SafeTensors {
  static let dtypeNames: [DType: String] = [
    .f32: "F32", .f64: "F64", .f16: "F16", .bf16: "BF16", .i8: "I8", .i32: "I32", .i64: "I64", .u8: "U8", .bool: "BOOL",
  ]

  /// Writes tensors (sorted by name, as the reference library does) atomically: a temporary
  /// file in the same directory, flushed to disk, then renamed over `path`.
  public static func write(_ tensors: [String: StoredTensor], metadata: [String: String] = [:], to path: String) throws
  {
    var header = "{"
    var parts: [String] = []
    if !metadata.isEmpty {
      let m = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
      parts.append("\"__metadata__\":{" + m.joined(separator: ",") + "}")
    }
    var offset = 0
    let names = tensors.keys.sorted()
    for name in names {
      let t = tensors[name]!
      let shape = "[" + t.shape.map(String.init).joined(separator: ",") + "]"
      parts.append(
        "\(jsonString(name)):{\"dtype\":\"\(dtypeNames[t.dtype]!)\",\"shape\":\(shape),\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}"
      )
      offset += t.bytes.count
    }
    header += parts.joined(separator: ",") + "}"
    var headerBytes = Array(header.utf8)
    while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
    var file: [UInt8] = []
    file.reserveCapacity(8 + headerBytes.count + offset)
    var n = UInt64(headerBytes.count).littleEndian
    withUnsafeBytes(of: &n) { file.append(contentsOf: $0) }
    file += headerBytes
    for name in names { file += tensors[name]!.bytes }
    try AtomicFile.write(file, to: path)
  }

  /// Reads every tensor and the metadata, validating the header against the file's size.
  public static func read(_ path: String) throws -> (tensors: [String: StoredTensor], metadata: [String: String]) {
    let data: [UInt8]
    do {
      data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      throw ModelFileError.unreadable(path: path, reason: "\(error)")
    }
    guard data.count >= 8 else {
      throw ModelFileError.malformed(path: path, field: "header length", reason: "file has \(data.count) bytes")
    }
    var length: UInt64 = 0
    for i in 0..<8 { length |= UInt64(data[i]) << (8 * UInt64(i)) }
    guard length <= UInt64(data.count - 8), length <= 100_000_000 else {
      throw ModelFileError.malformed(
        path: path, field: "header length", reason: "\(length) exceeds the file (\(data.count) bytes)")
    }
    let headerEnd = 8 + Int(length)
    let entries: [String: HeaderEntry]
    do {
      entries = try JSONDecoder().decode([String: HeaderEntry].self, from: Data(data[8..<headerEnd]))
    } catch {
      throw ModelFileError.malformed(path: path, field: "header", reason: "invalid JSON (\(error))")
    }
    let dataSize = data.count - headerEnd
    var tensors: [String: StoredTensor] = [:]
    var metadata: [String: String] = [:]
    var ranges: [(Int, Int, String)] = []
    for (name, entry) in entries {
      switch entry {
      case .metadata(let m):
        guard name == "__metadata__" else {
          throw ModelFileError.malformed(path: path, field: name, reason: "not a tensor entry")
        }
        metadata = m
      case .tensor(let dtypeName, let shape, let offsets):
        guard let dtype = dtypeNames.first(where: { $0.value == dtypeName })?.key else {
          throw ModelFileError.unsupportedDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize else {
          throw ModelFileError.malformed(
            path: path, field: name, reason: "data_offsets \(offsets) outside the data (\(dataSize) bytes)")
        }
        var count = 1
        for d in shape {
          let (p, overflow) = count.multipliedReportingOverflow(by: d)
          guard d >= 0, !overflow else {
            throw ModelFileError.malformed(path: path, field: name, reason: "shape \(shape) overflows")
          }
          count = p
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, bytes == offsets[1] - offsets[0] else {
          throw ModelFileError.malformed(
            path: path, field: name,
            reason:
              "shape \(shape) of \(dtypeName) needs \(count * dtype.byteSize) bytes, offsets give \(offsets[1] - offsets[0])"
          )
        }
        ranges.append((offsets[0], offsets[1], name))
        tensors[name] = StoredTensor(
          dtype: dtype, shape: shape, bytes: Array(data[(headerEnd + offsets[0])..<(headerEnd + offsets[1])]))
      }
    }
    ranges.sort { $0.0 < $1.0 }
    for i in 1..<max(ranges.count, 1) where ranges[i].0 < ranges[i - 1].1 {
      throw ModelFileError.malformed(path: path, field: ranges[i].2, reason: "data overlaps tensor \(ranges[i - 1].2)")
    }
    return (tensors, metadata)
  }

  enum HeaderEntry: Decodable {
    case tensor(dtype: String, shape: [Int], offsets: [Int])
    case metadata([String: String])

    enum Keys: String, CodingKey { case dtype, shape, data_offsets }

    init(from decoder: Decoder) throws {
      if let m = try? decoder.singleValueContainer().decode([String: String].self) {
        self = .metadata(m)
        return
      }
      let c = try decoder.container(keyedBy: Keys.self)
      self = .tensor(
        dtype: try c.decode(String.self, forKey: .dtype), shape: try c.decode([Int].self, forKey: .shape),
        offsets: try c.decode([Int].self, forKey: .data_offsets))
    }
  }

  static func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      default:
        if u.value < 0x20 {
          let hex = String(u.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out + "\""
  }
}

/// Writes files so a crash leaves either the old or the new contents, never a mix.
public enum AtomicFile {
  /// Writes `bytes` to a temporary file next to `path`, fsyncs it, renames it over `path` and
  /// fsyncs the directory.
  public static func write(_ bytes: [UInt8], to path: String) throws {
    let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
    let tmp = path + ".tmp-\(getpid())"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw ModelFileError.unwritable(path: path, reason: String(cString: strerror(errno))) }
    var written = 0
    let ok = bytes.withUnsafeBytes { buf -> Bool in
      while written < buf.count {
        let n = Glibc.write(fd, buf.baseAddress! + written, buf.count - written)
        if n <= 0 { return false }
        written += n
      }
      return fsync(fd) == 0
    }
    close(fd)
    guard ok else {
      unlink(tmp)
      throw ModelFileError.unwritable(path: path, reason: String(cString: strerror(errno)))
    }
    guard rename(tmp, path) == 0 else {
      unlink(tmp)
      throw ModelFileError.unwritable(path: path, reason: String(cString: strerror(errno)))
    }
    let dfd = open(dir.isEmpty ? "/" : dir, O_RDONLY)
    if dfd >= 0 {
      fsync(dfd)
      close(dfd)
    }
  }
}

extension Module {
  /// Every parameter and buffer by key, as stored tensors.
  public var stateDictionary: [String: StoredTensor] {
    var out: [String: StoredTensor] = [:]
    for (k, v) in parameters { out[k] = StoredTensor(v) }
    for (k, v) in buffers { out[k] = StoredTensor(v) }
    return out
  }

  /// Saves parameters and buffers as safetensors.
  public func save(to path: String, metadata: [String: String] = [:]) throws {
    try SafeTensors.write(stateDictionary, metadata: metadata, to: path)
  }

  /// Loads parameters and buffers from a safetensors file. Every key must match in name, dtype
  /// and shape; the error lists every missing, unexpected and mis-shaped key at once.
  public mutating func load(from path: String) throws {
    let (tensors, _) = try SafeTensors.read(path)
    var missing: [String] = []
    var misshaped: [String] = []
    var used = Set<String>()
    let visit: ParameterVisitor<Element, B> = { key, p in
      guard let t = tensors[key] else {
        missing.append(key)
        return
      }
      used.insert(key)
      guard t.dtype == Element.dtype, t.shape == p.shape.array else {
        misshaped.append("\(key) (file \(t.dtype)\(t.shape), model \(Element.dtype)\(p.shape))")
        return
      }
      p = t.tensor(Element.self, on: p.device)
    }
    var copy = self
    copy.visitParameters(prefix: "", visit)
    copy.visitBuffers(prefix: "", visit)
    let unexpected = tensors.keys.filter { !used.contains($0) }.sorted()
    guard missing.isEmpty, unexpected.isEmpty, misshaped.isEmpty else {
      throw ModelFileError.stateMismatch(path: path, missing: missing, unexpected: unexpected, misshaped: misshaped)
    }
    self = copy
  }
}
