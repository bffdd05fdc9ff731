import BornCore

/// One row of a model summary.
public struct LayerSummary: Sendable, Equatable {
  public var name: String
  public var outputShape: Shape?
  public var parameterCount: Int
}

/// Layers that can list themselves, with output shapes, for a printable summary.
public protocol Summarizable: Layer {
  /// Runs the layer on `input` and lists it (chains list their members).
  func summarize(_ input: Input) -> (Output, [LayerSummary])
}

extension Layer {
  /// The default row: the type's name, the output's shape when it is a tensor, and the
  /// parameter count.
  public func summaryRow(_ output: Output) -> LayerSummary {
    var name = String(describing: type(of: self))
    if let angle = name.firstIndex(of: "<") { name = String(name[..<angle]) }
    let shape = (output as? Tensor<Element, B>)?.shape
    return LayerSummary(name: name, outputShape: shape, parameterCount: parameterCount)
  }
}

extension Chain {
  func summarizeMembers(_ x: First.Input) -> (Second.Output, [LayerSummary]) {
    let (mid, rowsA) = summarizeAny(first, x)
    let (out, rowsB) = summarizeAny(second, mid)
    return (out, rowsA + rowsB)
  }
}

/// Lists a layer: chains recursively, other layers as one row.
func summarizeAny<L: Layer>(_ layer: L, _ input: L.Input) -> (L.Output, [LayerSummary]) {
  if let s = layer as? any SummarizableChain {
    return s.summarizeErased(input) as! (L.Output, [LayerSummary])
  }
  let out = layer(input)
  return (out, [layer.summaryRow(out)])
}

/// Chains, seen through an existential so `summarizeAny` can recurse.
protocol SummarizableChain {
  func summarizeErased(_ input: Any) -> Any
}

extension Chain: SummarizableChain {
  func summarizeErased(_ input: Any) -> Any { summarizeMembers(input as! First.Input) }
}

extension Sequential {
  /// A printable table of the layers, their output shapes for `input`, and parameter counts.
  ///
  /// ```swift
  /// print(model.summary(for: Tensor<Float, CPU>.zeros([1, 784])))
  /// ```
  public func summary(for input: Body.Input) -> String {
    let (_, rows) = summarizeAny(layers, input)
    var lines = [pad("Layer", 22) + pad("Output shape", 22) + "Parameters"]
    lines.append(String(repeating: "-", count: 56))
    for (i, r) in rows.enumerated() {
      lines.append(pad("\(i) \(r.name)", 22) + pad(r.outputShape?.description ?? "-", 22) + "\(r.parameterCount)")
    }
    lines.append(String(repeating: "-", count: 56))
    lines.append("Total parameters: \(parameterCount)")
    return lines.joined(separator: "\n")
  }

  /// The summary rows for `input`.
  public func summaryRows(for input: Body.Input) -> [LayerSummary] { summarizeAny(layers, input).1 }
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
