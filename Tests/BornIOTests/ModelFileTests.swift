import Born
import Foundation
import Testing

@testable import BornIO

/// Tensors of every dense dtype (with special values), a scalar, an empty tensor and quantized blocks.
func sampleTensors() -> [String: StoredTensor] {
  var out: [String: StoredTensor] = [:]
  let f: Tensor<Float, CPU> = Tensor([1, -0.0, .nan, .infinity, -.infinity, Float(bitPattern: 1)], shape: [2, 3])
  out["f32"] = StoredTensor(f)
  out["f64"] = StoredTensor(Tensor<Double, CPU>([1.5, -2.25, .pi], shape: [3]))
  out["f16"] = StoredTensor(Tensor<Float16, CPU>([1, 65504, -0.5], shape: [3, 1]))
  out["bf16"] = StoredTensor(Tensor<BFloat16, CPU>([1.0, 2.5, -3.0, 4.0].map { BFloat16(Float($0)) }, shape: [2, 2]))
  out["i8"] = StoredTensor(Tensor<Int8, CPU>([-128, 127], shape: [2]))
  out["i32"] = StoredTensor(Tensor<Int32, CPU>([.min, .max, 0], shape: [3]))
  out["i64"] = StoredTensor(Tensor<Int64, CPU>([.min, .max], shape: [2]))
  out["u8"] = StoredTensor(Tensor<UInt8, CPU>([0, 255, 7], shape: [1, 3]))
  out["bool"] = StoredTensor(Tensor<Bool, CPU>([true, false], shape: [2]))
  out["scalar"] = StoredTensor(Tensor<Float, CPU>(3.5))
  out["empty"] = StoredTensor(Tensor<Float, CPU>.zeros([0, 4]))
  out["q4_0"] = StoredTensor(dtype: .q4_0, shape: [2, 64], bytes: (0..<(4 * 18)).map { UInt8($0 % 251) })
  out["q6_K"] = StoredTensor(dtype: .q6_K, shape: [256], bytes: (0..<210).map { UInt8(($0 * 7) % 256) })
  return out
}

@Suite("Model files: .born and safetensors")
struct ModelFileTests {
  @Test func bornRoundTripsEveryDtypeAndMetadata() throws {
    let dir = try scratchDirectory("born-roundtrip")
    let tensors = sampleTensors()
    let metadata = ["model": "test", "note": "quotes \" and\nnewlines, é, \u{1}"]
    try BornFile.write(tensors, metadata: metadata, to: dir + "/a.born")
    #expect(try readBytes(dir + "/a.born") == BornFile.serialize(tensors, metadata: metadata))
    for mapped in [false, true] {
      let file = try BornFile.read(dir + "/a.born", mapped: mapped)
      #expect(file.format == .born)
      #expect(file.tensors == tensors)
      #expect(file.metadata == metadata)
      #expect(file.names == tensors.keys.sorted())
      guard case .verified = file.checksum else {
        Issue.record("checksum not verified: \(file.checksum)")
        continue
      }
      // Every tensor's data is 64-byte aligned in the file.
      for (_, t) in file.tensors {
        if case .file(_, let range) = t.source { #expect(range.lowerBound % 64 == 0) }
      }
    }
  }

  @Test func safetensorsRoundTripsDenseDtypes() throws {
    let dir = try scratchDirectory("st-roundtrip")
    let tensors = sampleTensors().filter { $0.value.dtype.dense != nil }
    try SafeTensors.write(tensors, metadata: ["format": "pt"], to: dir + "/a.safetensors")
    for mapped in [false, true] {
      let file = try SafeTensors.read(dir + "/a.safetensors", mapped: mapped)
      #expect(file.tensors == tensors)
      #expect(file.metadata == ["format": "pt"])
      #expect(file.checksum == .absent)
    }
    #expect(throws: ModelFileError.self) {
      try SafeTensors.write(["q": sampleTensors()["q4_0"]!], to: dir + "/q.safetensors")
    }
  }

  @Test func checksumCatchesAnyFlippedByte() throws {
    let bytes = try BornFile.serialize(
      ["w": StoredTensor(Tensor<Float, CPU>([1, 2, 3], shape: [3]))], metadata: ["k": "v"])
    // A flipped bit in the data, and one in the header padding (still valid JSON).
    let headerEnd = 64 + Int(bytes[16]) + Int(bytes[17]) << 8
    for position in [bytes.count - 1, headerEnd - 1] {
      var corrupt = bytes
      corrupt[position] ^= position == bytes.count - 1 ? 0x01 : 0x00
      if position == headerEnd - 1 { corrupt[position] = 0x09 }  // a tab instead of a space
      #expect {
        try BornFile.parse(FileBytes(bytes: corrupt))
      } throws: { e in
        if case .checksumMismatch = e as? ModelFileError { return true }
        return false
      }
      // Skipping verification reads the (corrupt) file and says so.
      #expect(try BornFile.parse(FileBytes(bytes: corrupt), verify: false).checksum != .absent)
    }
  }

  @Test func mappedTensorsUseTheFilePagesWithoutCopying() throws {
    let dir = try scratchDirectory("mmap")
    let w = Tensor<Float, CPU>.arange(Float(1000)).reshaped([10, 100])
    try BornFile.write(["w": StoredTensor(w)], to: dir + "/w.born")
    let file = try BornFile.read(dir + "/w.born", mapped: true)
    let stored = file.tensors["w"]!
    guard case .file(let bytes, let range) = stored.source else {
      Issue.record("not backed by the file")
      return
    }
    var t: Tensor<Float, CPU> = try stored.tensor(Float.self)
    #expect(t.storage.raw == UnsafeMutableRawPointer(bytes.buffer.baseAddress! + range.lowerBound))
    #expect(t.toArray() == w.toArray())
    // Writing to the tensor (copy-on-write private mapping) leaves the file untouched.
    t[0, 0] = Tensor(42)
    #expect(t[0, 0].item() == 42)
    #expect(try BornFile.read(dir + "/w.born").tensors["w"] == StoredTensor(w))
  }

  @Test func detectsTheFormatFromTheBytes() throws {
    let dir = try scratchDirectory("detect")
    let t = ["x": StoredTensor(Tensor<Float, CPU>([1, 2], shape: [2]))]
    try ModelFile.write(t, format: .born, to: dir + "/x.weights")
    try ModelFile.write(t, format: .safetensors, to: dir + "/y.weights")
    #expect(try ModelFile.read(dir + "/x.weights").format == .born)
    #expect(try ModelFile.read(dir + "/y.weights").format == .safetensors)
    #expect(ModelFile.format(forPath: "a.born") == .born)
    #expect(ModelFile.format(forPath: "a.safetensors") == .safetensors)
  }

  @Test func missingAndNonRegularFilesAreUnreadable() {
    for path in ["/nonexistent/born.born", "/tmp"] {
      #expect {
        try ModelFile.read(path)
      } throws: { e in
        if case .unreadable(let p, _) = e as? ModelFileError { return p == path }
        return false
      }
    }
  }

  @Test func atomicWriteLeavesNoTemporaryAndCleansStaleOnes() throws {
    let dir = try scratchDirectory("atomic")
    let path = dir + "/m.born"
    // A temporary left by a process that no longer exists (pid 2^22 + 1 is above Linux's limit).
    try writeBytes([1, 2, 3], path + ".tmp-4194305")
    try writeBytes([1, 2, 3], dir + "/other.born.tmp-4194305")
    try BornFile.write(["a": StoredTensor(Tensor<Float, CPU>([1], shape: [1]))], to: path)
    let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    #expect(names == ["m.born", "other.born.tmp-4194305"])
  }

  @Test func jsonParserEdgeCases() throws {
    func parse(_ s: String) throws -> JSON {
      try Array(s.utf8).withUnsafeBytes { try JSON.parse($0) }
    }
    #expect(try parse(#"  {"a": [1, -2, 3.5e2, true, false, null], "b": "\u00e9\ud83d\ude00\n"} "#).object?.count == 2)
    #expect(try parse(#""\ud83d\ude00""#).string == "😀")
    #expect(try parse("9223372036854775807").int == Int.max)
    #expect(try parse("9223372036854775808").int == nil)
    #expect(try parse(String(repeating: "[", count: 32) + String(repeating: "]", count: 32)).array != nil)
    #expect(throws: JSON.ParseError.self) {
      try parse(String(repeating: "[", count: 33) + String(repeating: "]", count: 33))
    }
    for bad in [
      "", "{", "[1,]", "{\"a\":1,}", "{\"a\":1,\"a\":2}", "01", "1.", "-", "\"\\x\"", "\"a", "\"\u{1}\"", "tru",
      "\"\\ud800\"", "[1] 2", String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
    ] {
      #expect(throws: JSON.ParseError.self, "\(bad)") { try parse(bad) }
    }
    #expect(throws: JSON.ParseError.self) {
      try [UInt8]([0x22, 0xFF, 0x22]).withUnsafeBytes { try JSON.parse($0) }
    }
  }
}

@Suite("State dicts")
struct StateDictTests {
  func model(seed: UInt64) -> some Module<Float, CPU> {
    var g = RandomGenerator(seed: seed)
    return Sequential {
      Linear<Float, CPU>(4, 3, using: &g)
      ReLU<Float, CPU>()
      Linear<Float, CPU>(3, 2, using: &g)
    }
  }

  @Test func savesAndLoadsInBothFormats() throws {
    let dir = try scratchDirectory("state")
    let a = model(seed: 1)
    for (name, mapped) in [("m.born", false), ("m.born", true), ("m.safetensors", false), ("m.safetensors", true)] {
      try a.save(to: dir + "/" + name)
      var b = model(seed: 2)
      let report = try b.load(from: dir + "/" + name, mapped: mapped)
      #expect(report.loaded.sorted() == a.stateDictionary.keys.sorted())
      #expect(b.stateDictionary == a.stateDictionary)
    }
    #expect(try ModelFile.read(dir + "/m.born").format == .born)
  }

  @Test func strictLoadListsEveryProblemAtOnce() throws {
    var state = model(seed: 1).stateDictionary
    state["layers.0.weight"] = StoredTensor(Tensor<Float, CPU>.zeros([4, 3]))  // transposed shape
    state["layers.2.bias"] = nil
    state["extra"] = StoredTensor(Tensor<Float, CPU>.zeros([1]))
    var m = model(seed: 2)
    let before = m.stateDictionary
    #expect {
      try m.load(state, path: "state.born")
    } throws: { e in
      guard case .stateMismatch(_, let missing, let unexpected, let misshaped) = e as? ModelFileError else {
        return false
      }
      return missing == ["layers.2.bias"] && unexpected == ["extra"] && misshaped.count == 1
        && misshaped[0].hasPrefix("layers.0.weight")
    }
    #expect(m.stateDictionary == before)
    // Non-strict: missing and unexpected keys are reported, not fatal; shapes still must match.
    state["layers.0.weight"] = before["layers.0.weight"]
    let report = try m.load(state, strict: false)
    #expect(report.missing == ["layers.2.bias"] && report.unexpected == ["extra"])
    state["layers.0.weight"] = StoredTensor(Tensor<Float, CPU>.zeros([4, 3]))
    #expect(throws: ModelFileError.self) { try m.load(state, strict: false) }
  }

  @Test func remapHookRenamesKeys() throws {
    // PyTorch-style names ("fc1.weight") mapped onto Sequential keys ("layers.0.weight").
    let source = model(seed: 1).stateDictionary
    var torchNames: [String: StoredTensor] = [:]
    for (k, v) in source {
      torchNames[
        k.replacingOccurrences(of: "layers.0", with: "fc1").replacingOccurrences(of: "layers.2", with: "fc2")] = v
    }
    torchNames["num_batches_tracked"] = StoredTensor(Tensor<Int64, CPU>(0))
    var m = model(seed: 3)
    try m.load(torchNames) { key in
      key == "num_batches_tracked"
        ? nil : key.replacingOccurrences(of: "fc1", with: "layers.0").replacingOccurrences(of: "fc2", with: "layers.2")
    }
    #expect(m.stateDictionary == source)
  }
}
