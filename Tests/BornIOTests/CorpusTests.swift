import Born
import Foundation
import Testing

/// A fixture's expected tensors: dtype name, shape and raw bytes (hex), plus `__metadata__`.
struct ExpectedFile {
  var tensors: [String: (dtype: String, shape: [Int], bytes: [UInt8])] = [:]
  var metadata: [String: String] = [:]

  init(json path: String) throws {
    let object = try JSONSerialization.jsonObject(with: Data(readBytes(path))) as! [String: Any]
    for (name, value) in object {
      if name == "__metadata__" {
        metadata = value as! [String: String]
        continue
      }
      let entry = value as! [String: Any]
      tensors[name] = (entry["dtype"] as! String, entry["shape"] as! [Int], hexBytes(entry["hex"] as! String))
    }
  }

  /// Born's dtype name for a safetensors one.
  static func dtype(_ name: String) -> StoredDType? {
    [
      "F64": .f64, "F32": .f32, "F16": .f16, "BF16": .bf16, "I64": .i64, "I32": .i32, "I8": .i8, "U8": .u8,
      "BOOL": .bool,
    ][
      name] ?? StoredDType(rawValue: name)
  }

  func check(_ contents: ModelFileContents, _ label: String) {
    #expect(contents.metadata == metadata, "\(label): metadata")
    #expect(Set(contents.tensors.keys) == Set(tensors.keys), "\(label): names")
    for (name, e) in tensors {
      guard let t = contents.tensors[name] else { continue }
      #expect(t.dtype == ExpectedFile.dtype(e.dtype), "\(label): \(name) dtype")
      #expect(t.shape == e.shape, "\(label): \(name) shape")
      #expect(t.bytes == e.bytes, "\(label): \(name) bytes")
    }
  }

  /// The expected tensors as Born stored tensors.
  var storedTensors: [String: StoredTensor] {
    tensors.mapValues { StoredTensor(dtype: ExpectedFile.dtype($0.dtype)!, shape: $0.shape, bytes: $0.bytes) }
  }
}

@Suite("Files from and for Python's safetensors, and the malformed corpus")
struct CorpusTests {
  /// Files the reference library wrote read back exactly, and Born writes the same bytes.
  @Test(arguments: ["reference", "nometa", "empty"])
  func pythonWrittenFilesReadAndReserializeByteForByte(_ name: String) throws {
    let path = "\(ioFixtures)/python/\(name).safetensors"
    let expected = try ExpectedFile(json: "\(ioFixtures)/python/\(name).json")
    for mapped in [false, true] {
      expected.check(try SafeTensors.read(path, mapped: mapped), name)
    }
    // Python's metadata dict has one key order; Born sorts keys, which matches for these files.
    #expect(try SafeTensors.serialize(expected.storedTensors, metadata: expected.metadata) == readBytes(path))
  }

  /// Files Born writes for `Tests/Fixtures/io/check_born_written.py`, which loads them with
  /// Python's safetensors; the test keeps the committed copies equal to what Born writes now.
  @Test func bornWrittenFilesForPythonAreCurrent() throws {
    let dir = "\(ioFixtures)/born-written"
    for name in ["reference", "nometa"] {
      let expected = try ExpectedFile(json: "\(ioFixtures)/python/\(name).json")
      let bytes = try SafeTensors.serialize(expected.storedTensors, metadata: expected.metadata)
      if ProcessInfo.processInfo.environment["BORN_REGENERATE_FIXTURES"] != nil {
        try writeBytes(bytes, "\(dir)/\(name).safetensors")
        try writeBytes(try readBytes("\(ioFixtures)/python/\(name).json"), "\(dir)/\(name).json")
      }
      #expect(try readBytes("\(dir)/\(name).safetensors") == bytes, "\(name): rerun with BORN_REGENERATE_FIXTURES=1")
    }
  }

  @Test func everyMalformedFileIsRejectedWithTheExpectedError() throws {
    let manifest =
      try JSONSerialization.jsonObject(with: Data(readBytes("\(ioFixtures)/malformed/manifest.json")))
      as! [String: [String: String]]
    var counts = ["born": 0, "safetensors": 0]
    for (file, expectation) in manifest.sorted(by: { $0.key < $1.key }) {
      let path = "\(ioFixtures)/malformed/\(file)"
      counts[String(file.prefix { $0 != "/" }), default: 0] += 1
      do {
        let contents = try ModelFile.read(path)
        Issue.record("\(file) was accepted (\(contents.names.count) tensors): \(expectation["why"] ?? "")")
      } catch {
        let kind: String
        switch error {
        case .malformed(let p, let field, _, _):
          kind = "malformed"
          #expect(field.contains(expectation["field"] ?? ""), "\(file): field '\(field)' (\(error))")
          #expect(p == path)
        case .unsupportedDType(_, let tensor, _):
          kind = "unsupportedDType"
          #expect(tensor.contains(expectation["field"] ?? ""), "\(file): \(error)")
        case .checksumMismatch: kind = "checksumMismatch"
        default: kind = "\(error)"
        }
        #expect(kind == expectation["error"], "\(file): expected \(expectation["error"] ?? "?"), got \(error)")
      }
      // The same bytes from memory, mapped, and unverified never crash either.
      _ = try? ModelFile.read(path, mapped: true)
      _ = try? ModelFile.read(path, verify: false)
    }
    #expect(counts["born"]! >= 30 && counts["safetensors"]! >= 40, "\(counts)")
  }

  /// Every proper prefix of a valid file is rejected (and never crashes); the whole file reads.
  @Test(arguments: ["small.born", "small.safetensors"])
  func truncationAtEveryByteIsRejected(_ name: String) throws {
    let bytes = try readBytes("\(ioFixtures)/valid/\(name)")
    let expected = try ExpectedFile(json: "\(ioFixtures)/valid/small.json")
    expected.check(try ModelFile.parse(FileBytes(bytes: bytes)), name)
    for n in 0..<bytes.count {
      #expect(throws: ModelFileError.self, "\(name) cut to \(n) bytes") {
        try ModelFile.parse(FileBytes(bytes: Array(bytes[..<n]), path: "\(name)[..<\(n)]"))
      }
    }
  }
}
