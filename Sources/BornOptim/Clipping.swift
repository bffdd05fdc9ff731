import BornAutodiff
import BornCore
import BornNN

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Gradient clipping over a model's parameters, as `torch.nn.utils.clip_grad_norm_` and
/// `clip_grad_value_` do.
///
/// The model names the parameters whose gradients are clipped. Clipping rebuilds the
/// gradients from the clipped values, so afterwards they hold only the gradients of `model`'s
/// parameters (gradients of other leaves, such as inputs that required gradients, are dropped).
///
/// ```swift
/// var grads = loss.backward()
/// let norm = grads.clipGlobalNorm(of: model, to: 1.0)
/// opt.step(&model, gradients: grads)
/// ```
extension Gradients {
  /// The norm of all of `model`'s parameter gradients taken together, as one vector:
  /// `(Σ ‖gᵢ‖ₚᵖ)^(1/p)`, or the largest magnitude when `normType` is infinite.
  public func globalNorm<M: Module>(of model: M, normType: Double = 2) -> Double where M.B == Autodiff<Base> {
    precondition(normType > 0, "globalNorm: norm type must be positive, got \(normType)")
    let norms = model.parameters.compactMap { entry in self[entry.value].map { Self.norm($0, normType) } }
    if normType == .infinity { return norms.max() ?? 0 }
    let total = norms.reduce(0) { $0 + pow($1, normType) }
    return normType == 2 ? total.squareRoot() : pow(total, 1 / normType)
  }

  /// Scales `model`'s parameter gradients so that their global norm is at most `maxNorm` and
  /// returns the norm before clipping.
  ///
  /// As in PyTorch the factor is `maxNorm / (norm + 1e-6)`, applied only when it is below 1; a
  /// non-finite norm makes every gradient non-finite.
  @discardableResult
  public mutating func clipGlobalNorm<M: Module>(of model: M, to maxNorm: Double, normType: Double = 2) -> Double
  where M.B == Autodiff<Base> {
    let norm = globalNorm(of: model, normType: normType)
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient >= 1 { return norm }
    let factor = M.Element(bornConverting: coefficient)
    rebuild(over: model) { $0 * factor }
    return norm
  }

  /// Clamps every element of `model`'s parameter gradients to `[-limit, limit]`.
  public mutating func clipValues<M: Module>(of model: M, to limit: Double) where M.B == Autodiff<Base> {
    precondition(limit >= 0, "clipValues: limit must not be negative, got \(limit)")
    let bound = M.Element(bornConverting: limit)
    let lower = M.Element(bornConverting: -limit)
    rebuild(over: model) { $0.clamped(min: lower, max: bound) }
  }

  /// The p-norm of one gradient, accumulated in the gradient's element type.
  private static func norm<E: FloatElement>(_ g: Tensor<E, Base>, _ p: Double) -> Double {
    switch p {
    case .infinity: g.abs().max().item().bornDouble
    case 1: g.abs().sum().item().bornDouble
    case 2: g.square().sum().item().bornDouble.squareRoot()
    default: pow(g.abs().pow(E(bornConverting: p)).sum().item().bornDouble, 1 / p)
    }
  }

  /// Replaces these gradients with `transform` applied to the gradient of each of `model`'s
  /// parameters. Each new gradient is the result of a backward pass seeded with the new value
  /// at the parameter itself, which gives that value exactly.
  private mutating func rebuild<M: Module>(
    over model: M, _ transform: (Tensor<M.Element, Base>) -> Tensor<M.Element, Base>
  ) where M.B == Autodiff<Base> {
    var result = Gradients()
    var seen = Set<ObjectIdentifier>()
    for (_, parameter) in model.parameters {
      guard let g = self[parameter], seen.insert(ObjectIdentifier(parameter.storage)).inserted else { continue }
      result.accumulate(parameter.backward(seed: transform(g)))
    }
    self = result
  }
}
