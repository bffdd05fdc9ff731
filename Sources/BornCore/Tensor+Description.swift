// Printing tensors: nested brackets like NumPy, truncated with "..." for large tensors.

extension Tensor: CustomStringConvertible {
  /// A NumPy-like rendering: `Tensor([[1, 2], [3, 4]], f32[2, 2] on cpu)`. Tensors of more
  /// than 1,000 elements show the first and last three entries of each axis.
  public var description: String {
    let summarize = count > 1000
    let values = summarize ? [] : contiguous().toArray()
    // For summaries, read only the elements shown.
    var cells: [[Int]: String] = [:]
    func text(_ v: Element) -> String {
      if let b = v as? Bool { return b ? "true" : "false" }
      if Element.dtype.isFloatingPoint {
        let d = v.bornDouble
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == d.rounded() && Swift.abs(d) < 1e16 { return String(Int64(d)) + "." }
        return Element.dtype == .f64 ? "\(d)" : "\(Float(d))"
      }
      return String(Int64(v.bornDouble))
    }
    func shownIndices(_ n: Int) -> [Int?] {
      if !summarize || n <= 6 { return (0..<n).map { $0 } }
      return [0, 1, 2, nil, n - 3, n - 2, n - 1]
    }
    if summarize {
      func collect(_ prefix: [Int]) {
        if prefix.count == rank {
          cells[prefix] = text(self._element(at: prefix))
          return
        }
        for i in shownIndices(shape[prefix.count]) {
          if let i { collect(prefix + [i]) }
        }
      }
      collect([])
    }
    func cell(_ index: [Int]) -> String {
      if summarize { return cells[index] ?? "?" }
      var flat = 0
      for (i, d) in index.enumerated() { flat = flat * shape[i] + d }
      return text(values[flat])
    }
    var width = 0
    if summarize {
      width = cells.values.map(\.count).max() ?? 0
    } else {
      for v in values { width = Swift.max(width, text(v).count) }
    }
    func render(_ prefix: [Int], indent: Int) -> String {
      if prefix.count == rank {
        let s = cell(prefix)
        return String(repeating: " ", count: Swift.max(0, width - s.count)) + s
      }
      let axis = prefix.count
      let parts = shownIndices(shape[axis]).map { i -> String in
        guard let i else { return "..." }
        return render(prefix + [i], indent: indent + 1)
      }
      let innermost = axis == rank - 1
      let separator =
        innermost
        ? ", " : "," + String(repeating: "\n", count: rank - axis - 1) + String(repeating: " ", count: indent + 1)
      return "[" + parts.joined(separator: separator) + "]"
    }
    let body = rank == 0 ? cell([]) : render([], indent: 7)
    return "Tensor(\(body), \(_signature))"
  }

  /// One element by its full index (for printing).
  func _element(at index: [Int]) -> Element {
    var l = Layout(shape: [], strides: [], offset: layout.offset)
    for (i, d) in index.enumerated() { l.offset += d * layout.strides[i] }
    return Tensor(storage: storage, layout: l).item()
  }
}
