import BornCore

/// Two layers applied one after the other. ``Sequential`` builds chains of these.
public struct Chain<First: Layer, Second: Layer>: Layer
where First.Output == Second.Input, First.Element == Second.Element, First.B == Second.B {
  public typealias Element = First.Element
  public typealias B = First.B
  public var first: First
  public var second: Second

  public init(_ first: First, _ second: Second) {
    self.first = first
    self.second = second
  }

  public func callAsFunction(_ x: First.Input) -> Second.Output { second(first(x)) }

  public mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>) {
    _ = visitAsSequenceEntry(index: 0, prefix: prefix, .parameters, visit)
  }

  public mutating func visitBuffers(prefix: String, _ visit: ParameterVisitor<Element, B>) {
    _ = visitAsSequenceEntry(index: 0, prefix: prefix, .buffers, visit)
  }

  /// Numbers the chain's members consecutively from `index`.
  public mutating func visitAsSequenceEntry(
    index: Int, prefix: String, _ kind: VisitKind, _ visit: ParameterVisitor<Element, B>
  ) -> Int {
    let next = first.visitAsSequenceEntry(index: index, prefix: prefix, kind, visit)
    return second.visitAsSequenceEntry(index: next, prefix: prefix, kind, visit)
  }
}

/// Builds a ``Chain`` of layers from a list.
@resultBuilder
public enum LayerBuilder {
  public static func buildPartialBlock<L: Layer>(first: L) -> L { first }

  public static func buildPartialBlock<L1: Layer, L2: Layer>(accumulated: L1, next: L2) -> Chain<L1, L2>
  where L1.Output == L2.Input, L1.Element == L2.Element, L1.B == L2.B {
    Chain(accumulated, next)
  }
}

/// Layers applied in order, with parameter keys `layers.<index>.<name>` (index counts every
/// layer, parameterless ones included, as in PyTorch's `nn.Sequential`).
///
/// ```swift
/// typealias AD = Autodiff<CPU>
/// var g = RandomGenerator(seed: 0)
/// let mlp = Sequential {
///   Linear<Float, AD>(784, 128, using: &g)
///   ReLU<Float, AD>()
///   Linear<Float, AD>(128, 10, using: &g)
/// }
/// print(mlp.parameterCount)  // 101770
/// ```
public struct Sequential<Body: Layer>: Layer {
  public typealias Element = Body.Element
  public typealias B = Body.B
  public var layers: Body

  public init(@LayerBuilder _ content: () -> Body) { layers = content() }

  public func callAsFunction(_ x: Body.Input) -> Body.Output { layers(x) }

  public mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>) {
    _ = layers.visitAsSequenceEntry(index: 0, prefix: prefix + "layers.", .parameters, visit)
  }

  public mutating func visitBuffers(prefix: String, _ visit: ParameterVisitor<Element, B>) {
    _ = layers.visitAsSequenceEntry(index: 0, prefix: prefix + "layers.", .buffers, visit)
  }
}
