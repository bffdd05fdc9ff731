import BornCore
import Synchronization

/// Zeroes each element with probability `p` in training mode and scales the rest by 1/(1-p);
/// the identity in evaluation mode. Masks come from the layer's own seeded generator.
public struct Dropout<Element: FloatElement, B: Backend>: Layer {
  public var p: Double
  let generator: GeneratorBox

  final class GeneratorBox: Sendable {
    let g: Mutex<RandomGenerator>
    init(_ seed: UInt64) { g = Mutex(RandomGenerator(seed: seed)) }
  }

  public init(p: Double = 0.5, seed: UInt64 = 0xD80F) {
    precondition(p >= 0 && p < 1, "Dropout: probability \(p) must be in [0, 1)")
    self.p = p
    generator = GeneratorBox(seed)
  }

  public mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>) {}

  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> {
    guard ModelMode.isTraining, p > 0 else { return x }
    let keep = 1 - p
    let mask = generator.g.withLock { Tensor<Element, B>.bernoulli(x.shape, p: keep, using: &$0, on: x.device) }
    return x * (mask * Element(bornConverting: 1 / keep))
  }
}

/// A lookup table of `count` vectors of size `dim`, indexed by Int64 ids; N(0, 1) initialization.
public struct Embedding<Element: FloatElement, B: Backend>: Layer {
  public var weight: Tensor<Element, B>

  public init(weight: Tensor<Element, B>) {
    precondition(weight.rank == 2, "Embedding: weight must be [count, dim], got \(weight._signature)")
    self.weight = weight
  }

  public init(count: Int, dim: Int, using g: inout RandomGenerator, on device: B.Device = B.defaultDevice) {
    weight = Initializer.normal([count, dim], using: &g, on: device)
  }

  public mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>) {
    visit(prefix + "weight", &weight)
  }

  public func callAsFunction(_ ids: Tensor<Int64, B>) -> Tensor<Element, B> { weight.embedding(ids) }
}
