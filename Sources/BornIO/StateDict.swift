import BornCore
import BornNN

/// What ``Module/load(_:strict:path:remap:)`` did: the keys it set, and (in non-strict mode) the
/// model keys the file lacked and the file keys the model does not have.
public struct StateLoadReport: Sendable, Equatable {
  public var loaded: [String]
  public var missing: [String]
  public var unexpected: [String]
}

extension Module {
  /// Every parameter and buffer by key, as stored tensors.
  public var stateDictionary: [String: StoredTensor] {
    var out: [String: StoredTensor] = [:]
    for (k, v) in parameters { out[k] = StoredTensor(v) }
    for (k, v) in buffers { out[k] = StoredTensor(v) }
    return out
  }

  /// Saves parameters and buffers, atomically, as `.born` when `path` ends in `.born` and as
  /// safetensors otherwise (or in `format`).
  public func save(to path: String, format: ModelFileFormat? = nil, metadata: [String: String] = [:])
    throws(ModelFileError)
  {
    try ModelFile.write(
      stateDictionary, metadata: metadata, format: format ?? ModelFile.format(forPath: path), to: path)
  }

  /// Loads parameters and buffers from a `.born` or safetensors file (see ``load(_:strict:path:remap:)``).
  /// `mapped` maps the file: on the CPU the parameters then use the file's pages directly.
  @discardableResult
  public mutating func load(
    from path: String, strict: Bool = true, mapped: Bool = false, remap: ((String) -> String?)? = nil
  ) throws(ModelFileError) -> StateLoadReport {
    try load(ModelFile.read(path, mapped: mapped).tensors, strict: strict, path: path, remap: remap)
  }

  /// Sets parameters and buffers from a state dict.
  ///
  /// - Parameters:
  ///   - strict: every model key must be in `tensors` and every key of `tensors` in the model
  ///     (PyTorch's `strict=True`). Otherwise keys on one side only are reported and skipped.
  ///     A dtype or shape mismatch is an error either way.
  ///   - path: names the source in errors.
  ///   - remap: maps each key of `tensors` to the model's key (nil drops it); for example, from
  ///     another framework's names to Born's.
  /// - Throws: ``ModelFileError/stateMismatch(path:missing:unexpected:misshaped:)`` listing every
  ///   problem key at once; the model is unchanged then.
  @discardableResult
  public mutating func load(
    _ tensors: [String: StoredTensor], strict: Bool = true, path: String = "<state dict>",
    remap: ((String) -> String?)? = nil
  ) throws(ModelFileError) -> StateLoadReport {
    var byKey: [String: StoredTensor] = [:]
    for (k, v) in tensors {
      guard let key = remap.map({ $0(k) }) ?? k else { continue }
      byKey[key] = v
    }
    var missing: [String] = []
    var misshaped: [String] = []
    var loaded: [String] = []
    var used = Set<String>()
    let visit: ParameterVisitor<Element, B> = { key, p in
      guard let t = byKey[key] else {
        missing.append(key)
        return
      }
      used.insert(key)
      guard t.dtype.dense == Element.dtype, t.shape == p.shape.array,
        let value = try? t.tensor(Element.self, on: p.device) as Tensor<Element, B>
      else {
        misshaped.append("\(key) (file \(t.dtype)\(t.shape), model \(Element.dtype)\(p.shape.array))")
        return
      }
      loaded.append(key)
      p = value
    }
    var copy = self
    copy.visitParameters(prefix: "", visit)
    copy.visitBuffers(prefix: "", visit)
    let unexpected = byKey.keys.filter { !used.contains($0) }.sorted()
    guard misshaped.isEmpty, !strict || (missing.isEmpty && unexpected.isEmpty) else {
      throw .stateMismatch(
        path: path, missing: missing, unexpected: strict ? unexpected : [], misshaped: misshaped)
    }
    self = copy
    return StateLoadReport(loaded: loaded, missing: missing, unexpected: unexpected)
  }
}
