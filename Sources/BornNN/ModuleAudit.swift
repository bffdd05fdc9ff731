import BornCore

/// A test helper that checks a module's hand-written parameter visitor against the tensors the
/// module actually stores.
public enum ModuleAudit {
  /// Paths (by stored property names, via `Mirror`) of tensors of the module's element type and
  /// backend that the visitor did not visit. Empty when the visitor is complete.
  ///
  /// ```swift
  /// #expect(ModuleAudit.forgottenParameters(in: model).isEmpty)
  /// ```
  public static func forgottenParameters<M: Module>(in module: M) -> [String] {
    var visited = Set<ObjectIdentifier>()
    var copy = module
    copy.visitParameters { _, p in visited.insert(ObjectIdentifier(p.storage as AnyObject)) }
    copy.visitBuffers(prefix: "") { _, p in visited.insert(ObjectIdentifier(p.storage as AnyObject)) }
    var missing: [String] = []
    func scan(_ value: Any, _ path: String, depth: Int) {
      if depth > 32 { return }
      if let t = value as? Tensor<M.Element, M.B> {
        if !visited.contains(ObjectIdentifier(t.storage as AnyObject)) { missing.append(path) }
        return
      }
      let mirror = Mirror(reflecting: value)
      if mirror.displayStyle == .optional {
        if let child = mirror.children.first { scan(child.value, path, depth: depth + 1) }
        return
      }
      for (i, child) in mirror.children.enumerated() {
        let name = child.label ?? "\(i)"
        scan(child.value, path.isEmpty ? name : path + "." + name, depth: depth + 1)
      }
    }
    scan(module, "", depth: 0)
    return missing
  }
}
