import BornCore

/// The safetensors format: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the data.
///
/// Reading applies the reference library's rules (header at most 100 MB, data ranges that tile
/// the data section exactly with no gap, overlap or trailing bytes) and is stricter than it in a
/// few places: duplicate JSON keys, unknown entry fields, a null `__metadata__`, whitespace
/// before the header's `{`, nesting deeper than 32, rank above 8, and dtypes Born lacks (I16,
/// U16, U32, U64, F8) are errors. Writing produces the same bytes as Python's `safetensors` for the same tensors:
/// tensors ordered by dtype (widest first) then name, `__metadata__` first, spaces padding the
/// header to a multiple of 8 bytes.
///
/// ```swift
/// try SafeTensors.write(["w": StoredTensor(w)], metadata: ["format": "pt"], to: "model.safetensors")
/// let file = try SafeTensors.read("model.safetensors", mapped: true)
/// let w: Tensor<Float, CPU> = try file.tensors["w"]!.tensor(Float.self)
/// ```
public enum SafeTensors {
  /// The reference library's limit on the header size.
  public static let maximumHeaderBytes = 100_000_000

  static let dtypeNames: [(StoredDType, String)] = [
    (.f64, "F64"), (.f32, "F32"), (.f16, "F16"), (.bf16, "BF16"), (.i64, "I64"), (.i32, "I32"), (.i8, "I8"),
    (.u8, "U8"), (.bool, "BOOL"),
  ]

  static func name(of dtype: StoredDType) -> String? { dtypeNames.first { $0.0 == dtype }?.1 }

  /// The reference library's dtype order (the order of its Rust enum), which sorts the data.
  static func rank(_ d: StoredDType) -> Int {
    switch d {
    case .bool: 0
    case .u8: 1
    case .i8: 2
    case .f16: 3
    case .bf16: 4
    case .i32: 5
    case .f32: 6
    case .f64: 7
    case .i64: 8
    default: -1
    }
  }

  /// The file's bytes for `tensors` and `metadata`.
  static func header(_ tensors: [String: StoredTensor], metadata: [String: String], path: String)
    throws(ModelFileError) -> (header: [UInt8], order: [String])
  {
    let order = tensors.keys.sorted { a, b in
      let ra = rank(tensors[a]!.dtype)
      let rb = rank(tensors[b]!.dtype)
      return ra != rb ? ra > rb : a < b
    }
    var parts: [String] = []
    if !metadata.isEmpty {
      let m = metadata.sorted { $0.key < $1.key }.map { "\(JSON.quote($0.key)):\(JSON.quote($0.value))" }
      parts.append("\"__metadata__\":{" + m.joined(separator: ",") + "}")
    }
    var offset = 0
    for name in order {
      let t = tensors[name]!
      guard let dtypeName = self.name(of: t.dtype) else {
        throw .unsupportedDType(path: path, tensor: name, dtype: "\(t.dtype) (safetensors has no such dtype)")
      }
      try checkSize(t, name: name, path: path)
      let shape = "[" + t.shape.map(String.init).joined(separator: ",") + "]"
      parts.append(
        "\(JSON.quote(name)):{\"dtype\":\"\(dtypeName)\",\"shape\":\(shape),\"data_offsets\":[\(offset),\(offset + t.byteCount)]}"
      )
      offset += t.byteCount
    }
    var headerBytes = Array(("{" + parts.joined(separator: ",") + "}").utf8)
    while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
    var out: [UInt8] = []
    withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
    return (out + headerBytes, order)
  }

  /// Writes tensors atomically (``AtomicFile``).
  public static func write(_ tensors: [String: StoredTensor], metadata: [String: String] = [:], to path: String)
    throws(ModelFileError)
  {
    let (head, order) = try header(tensors, metadata: metadata, path: path)
    try AtomicFile.write(to: path) { (sink: inout AtomicFile.Sink) throws(ModelFileError) in
      sink.write(head)
      for name in order { tensors[name]!.withUnsafeBytes { sink.write($0) } }
    }
  }

  /// The bytes of a safetensors file holding `tensors`.
  public static func serialize(_ tensors: [String: StoredTensor], metadata: [String: String] = [:])
    throws(ModelFileError) -> [UInt8]
  {
    var (out, order) = try header(tensors, metadata: metadata, path: "<memory>")
    for name in order { out += tensors[name]!.bytes }
    return out
  }

  /// Reads and validates a file; `mapped` maps it instead of reading it.
  public static func read(_ path: String, mapped: Bool = false) throws(ModelFileError) -> ModelFileContents {
    try parse(FileBytes(path: path, mapped: mapped))
  }

  /// Validates the bytes of a safetensors file and returns its tensors, which refer to `file`.
  public static func parse(_ file: FileBytes) throws(ModelFileError) -> ModelFileContents {
    let path = file.path
    guard file.count >= 8 else {
      throw .malformed(
        path: path, field: "header length", offset: 0, reason: "the file has \(file.count) bytes, fewer than 8")
    }
    let length = file.uint(at: 0, width: 8)
    guard length <= UInt64(maximumHeaderBytes) else {
      throw .malformed(
        path: path, field: "header length", offset: 0,
        reason: "\(length) exceeds the limit of \(maximumHeaderBytes) bytes")
    }
    guard length <= UInt64(file.count - 8) else {
      throw .malformed(
        path: path, field: "header length", offset: 0,
        reason: "\(length) runs past the end of the file (\(file.count - 8) bytes follow the length)")
    }
    let headerEnd = 8 + Int(length)
    let reader = HeaderReader(path: path, base: 8)
    guard length > 0, file.buffer[8] == UInt8(ascii: "{") else {
      throw reader.fail("header", nil, "does not start with '{'")
    }
    let root = try reader.parse(UnsafeRawBufferPointer(rebasing: file.buffer[8..<headerEnd]))
    let dataSize = file.count - headerEnd
    var metadata: [String: String] = [:]
    var entries: [(name: String, dtype: StoredDType, shape: [Int], range: Range<Int>, json: JSON)] = []
    for (name, value) in try reader.object(root, "header") {
      if name == "__metadata__" {
        metadata = try reader.metadata(value, "__metadata__")
        continue
      }
      let field = "tensor \(name)"
      var dtype: StoredDType?
      var shape: [Int]?
      var offsets: [Int]?
      for (key, v) in try reader.object(value, field) {
        switch key {
        case "dtype":
          dtype = try reader.dtype(v, "\(field): dtype", tensor: name) { n in dtypeNames.first { $0.1 == n }?.0 }
        case "shape": shape = try reader.shape(v, "\(field): shape")
        case "data_offsets":
          guard let a = v.array, a.count == 2 else {
            throw reader.fail("\(field): data_offsets", v, "expected an array of two integers")
          }
          offsets = [
            try reader.nonNegativeInt(a[0], "\(field): data_offsets"),
            try reader.nonNegativeInt(a[1], "\(field): data_offsets"),
          ]
        default: throw reader.fail("\(field): \(key)", v, "unknown field")
        }
      }
      guard let dtype, let shape, let offsets else {
        let missing = [
          dtype == nil ? "dtype" : nil, shape == nil ? "shape" : nil, offsets == nil ? "data_offsets" : nil,
        ]
        throw reader.fail(field, value, "lacks \(missing.compactMap { $0 }.joined(separator: ", "))")
      }
      guard offsets[0] <= offsets[1] else {
        throw reader.fail("\(field): data_offsets", value, "begin \(offsets[0]) is after end \(offsets[1])")
      }
      guard offsets[1] <= dataSize else {
        throw reader.fail(
          "\(field): data_offsets", value, "end \(offsets[1]) is past the data section (\(dataSize) bytes)")
      }
      let bytes = try reader.byteCount(dtype, shape, "\(field): shape", value)
      guard bytes == offsets[1] - offsets[0] else {
        throw reader.fail(
          "\(field): data_offsets", value,
          "shape \(shape) of \(dtype) needs \(bytes) bytes, the offsets give \(offsets[1] - offsets[0])")
      }
      entries.append((name, dtype, shape, offsets[0]..<offsets[1], value))
    }
    entries.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
    var end = 0
    for e in entries {
      guard e.range.lowerBound == end else {
        let what = e.range.lowerBound < end ? "overlaps the tensor before it" : "leaves a gap after byte \(end)"
        throw reader.fail("tensor \(e.name): data_offsets", e.json, "data starting at \(e.range.lowerBound) \(what)")
      }
      end = e.range.upperBound
    }
    guard end == dataSize else {
      throw .malformed(
        path: path, field: "data", offset: headerEnd + end,
        reason: "the tensors cover \(end) bytes but the data section has \(dataSize)")
    }
    var tensors: [String: StoredTensor] = [:]
    for e in entries {
      tensors[e.name] = StoredTensor(
        dtype: e.dtype, shape: e.shape, file: file,
        range: (headerEnd + e.range.lowerBound)..<(headerEnd + e.range.upperBound))
    }
    return ModelFileContents(
      format: .safetensors, names: entries.map(\.name), tensors: tensors, metadata: metadata, checksum: .absent)
  }

  static func checkSize(_ t: StoredTensor, name: String, path: String) throws(ModelFileError) {
    guard case .success(let n) = t.dtype.byteCount(shape: t.shape), n == t.byteCount else {
      throw .malformed(
        path: path, field: "tensor \(name)", offset: 0,
        reason: "shape \(t.shape) of \(t.dtype) does not match its \(t.byteCount) bytes")
    }
  }
}
