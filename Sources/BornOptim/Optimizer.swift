import BornAutodiff
import BornCore
import BornNN

/// Updates a model's parameters from their gradients.
///
/// ```swift
/// var opt = Adam<Float, CPU>(learningRate: 1e-3)
/// let grads = loss.backward()
/// opt.step(&model, gradients: grads)
/// ```
public protocol Optimizer<Element, Base> {
  associatedtype Element: FloatElement
  associatedtype Base: Backend
  /// The learning rate of the default parameter group (schedulers set it).
  var learningRate: Double { get set }
  /// Applies one update to every parameter of `model` that has a gradient. Parameters come out
  /// as fresh leaves that require gradients.
  mutating func step<M: Module>(_ model: inout M, gradients: Gradients<Base>)
  where M.Element == Element, M.B == Autodiff<Base>
}
