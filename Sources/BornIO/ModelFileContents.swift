import BornCore

/// The formats Born reads and writes model weights in.
public enum ModelFileFormat: String, Sendable, CustomStringConvertible {
  /// Born's own format (`docs/formats/born.md`): checksummed, 64-byte aligned data.
  case born
  /// Hugging Face's safetensors.
  case safetensors

  public var description: String { rawValue }

  /// The format of a file, from its first bytes (`.born` files start with a magic number; anything
  /// else is taken as safetensors, whose reader then validates it).
  public static func detect(_ bytes: UnsafeRawBufferPointer) -> ModelFileFormat {
    bytes.count >= 8 && bytes.prefix(8).elementsEqual(BornFile.magic) ? .born : .safetensors
  }
}

/// Whether a file's checksum was checked.
public enum ChecksumStatus: Sendable, Equatable, CustomStringConvertible {
  /// The SHA-256 of the contents matches the recorded one (its hex digest).
  case verified(String)
  /// The file records a checksum (its hex digest) that was not checked (`verify: false`).
  case unchecked(String)
  /// The format has no checksum (safetensors), or the writer recorded none.
  case absent

  public var description: String {
    switch self {
    case .verified(let h): "verified (SHA-256 \(h))"
    case .unchecked(let h): "not checked (SHA-256 \(h) recorded)"
    case .absent: "none recorded"
    }
  }
}

/// What a model file holds: tensors (by name and in file order) and string metadata.
///
/// ```swift
/// let file = try ModelFile.read("model.born")
/// for name in file.names { print(name, file.tensors[name]!.shape) }
/// ```
public struct ModelFileContents: Sendable {
  public var format: ModelFileFormat
  /// Tensor names in the order their data appears in the file.
  public var names: [String]
  public var tensors: [String: StoredTensor]
  public var metadata: [String: String]
  public var checksum: ChecksumStatus
}

/// Reading any supported model file.
public enum ModelFile {
  /// Reads a `.born` or safetensors file (told apart by their first bytes).
  ///
  /// - Parameters:
  ///   - mapped: map the file into memory instead of reading it; tensors then use the mapped
  ///     pages directly (copy-on-write), so loading touches only what is used.
  ///   - verify: check a `.born` file's SHA-256 (default); safetensors have no checksum.
  public static func read(_ path: String, mapped: Bool = false, verify: Bool = true) throws(ModelFileError)
    -> ModelFileContents
  {
    try parse(FileBytes(path: path, mapped: mapped), verify: verify)
  }

  /// Validates and reads bytes already in memory.
  public static func parse(_ file: FileBytes, verify: Bool = true) throws(ModelFileError) -> ModelFileContents {
    switch ModelFileFormat.detect(UnsafeRawBufferPointer(file.buffer)) {
    case .born: try BornFile.parse(file, verify: verify)
    case .safetensors: try SafeTensors.parse(file)
    }
  }

  /// Writes `tensors` in `format`, atomically.
  public static func write(
    _ tensors: [String: StoredTensor], metadata: [String: String] = [:], format: ModelFileFormat, to path: String
  ) throws(ModelFileError) {
    switch format {
    case .born: try BornFile.write(tensors, metadata: metadata, to: path)
    case .safetensors: try SafeTensors.write(tensors, metadata: metadata, to: path)
    }
  }

  /// The format a path's extension names: `.born` or safetensors (anything else).
  public static func format(forPath path: String) -> ModelFileFormat {
    path.hasSuffix(".born") ? .born : .safetensors
  }
}

/// Shared checks of header fields, each failure naming the field and its byte offset.
struct HeaderReader {
  let path: String
  /// Offset of the JSON header's first byte in the file.
  let base: Int

  func fail(_ field: String, _ json: JSON?, _ reason: String) -> ModelFileError {
    .malformed(path: path, field: field, offset: base + (json?.offset ?? 0), reason: reason)
  }

  func parse(_ bytes: UnsafeRawBufferPointer) throws(ModelFileError) -> JSON {
    do {
      return try JSON.parse(bytes)
    } catch {
      throw .malformed(
        path: path, field: "header", offset: base + error.offset, reason: "invalid JSON: \(error.reason)")
    }
  }

  func object(_ json: JSON, _ field: String) throws(ModelFileError) -> [(key: String, value: JSON)] {
    guard let o = json.object else { throw fail(field, json, "expected an object, found \(json.typeName)") }
    return o
  }

  func string(_ json: JSON, _ field: String) throws(ModelFileError) -> String {
    guard let s = json.string else { throw fail(field, json, "expected a string, found \(json.typeName)") }
    return s
  }

  func nonNegativeInt(_ json: JSON, _ field: String) throws(ModelFileError) -> Int {
    guard let v = json.int else {
      throw fail(field, json, "expected an integer that fits in 64 bits, found \(json.typeName) \(text(json))")
    }
    guard v >= 0 else { throw fail(field, json, "negative value \(v)") }
    return v
  }

  func shape(_ json: JSON, _ field: String) throws(ModelFileError) -> [Int] {
    guard let a = json.array else { throw fail(field, json, "expected an array, found \(json.typeName)") }
    guard a.count <= maxRank else { throw fail(field, json, "rank \(a.count) exceeds \(maxRank)") }
    var dims: [Int] = []
    for d in a { dims.append(try nonNegativeInt(d, field)) }
    return dims
  }

  func metadata(_ json: JSON, _ field: String) throws(ModelFileError) -> [String: String] {
    var out: [String: String] = [:]
    for (k, v) in try object(json, field) { out[k] = try string(v, "\(field).\(k)") }
    return out
  }

  func dtype(_ json: JSON, _ field: String, tensor: String, names: (String) -> StoredDType?) throws(ModelFileError)
    -> StoredDType
  {
    let name = try string(json, field)
    guard let d = names(name) else { throw .unsupportedDType(path: path, tensor: tensor, dtype: name) }
    return d
  }

  /// The byte size for `shape` of `dtype`, or an error naming the shape's problem.
  func byteCount(_ dtype: StoredDType, _ shape: [Int], _ field: String, _ json: JSON) throws(ModelFileError) -> Int {
    switch dtype.byteCount(shape: shape) {
    case .success(let n): return n
    case .failure(let problem): throw fail(field, json, "shape \(shape) of \(dtype): \(problem)")
    }
  }

  func text(_ json: JSON) -> String {
    if case .number(let t) = json.value { return t }
    return ""
  }
}
