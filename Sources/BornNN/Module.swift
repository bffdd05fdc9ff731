import BornAutodiff
import BornCore

/// A model or part of one that owns parameters.
///
/// `visitParameters` passes every parameter `inout` with its dotted key (`"layers.0.weight"`);
/// it is the one mechanism behind parameter counts, optimizer steps, saving and loading, and
/// moving between backends. Write it by hand: visit each stored parameter and each child module
/// with `prefix + "name."`. ``ModuleAudit/forgottenParameters(in:)`` (a test helper) finds
/// stored tensors the visitor misses.
///
/// ```swift
/// struct TwoLayer: Layer {
///   var fc1: Linear<Float, Autodiff<CPU>>
///   var fc2: Linear<Float, Autodiff<CPU>>
///   mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Float, Autodiff<CPU>>) {
///     fc1.visitParameters(prefix: prefix + "fc1.", visit)
///     fc2.visitParameters(prefix: prefix + "fc2.", visit)
///   }
///   func callAsFunction(_ x: Tensor<Float, Autodiff<CPU>>) -> Tensor<Float, Autodiff<CPU>> { fc2(fc1(x).relu()) }
/// }
/// ```
public protocol Module<Element, B> {
  associatedtype Element: FloatElement
  associatedtype B: Backend
  /// Calls `visit` with each parameter's key (prefixed) and the parameter itself, `inout`.
  mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>)
  /// Calls `visit` with each non-trained state tensor (batch norm's running statistics) and its
  /// key. The default visits nothing.
  mutating func visitBuffers(prefix: String, _ visit: ParameterVisitor<Element, B>)
  /// Visits this module as entry `index` of a ``Sequential`` and returns the next index; chains
  /// of layers number their members. The default visits parameters and buffers under
  /// `prefix + "\(index)."`.
  mutating func visitAsSequenceEntry(
    index: Int, prefix: String, _ kind: VisitKind, _ visit: ParameterVisitor<Element, B>
  ) -> Int
}

/// Which tensors a visit is for.
public enum VisitKind: Sendable {
  case parameters, buffers
}

/// The callback of ``Module/visitParameters(prefix:_:)``.
public typealias ParameterVisitor<Element: TensorElement, B: Backend> = (String, inout Tensor<Element, B>) -> Void

/// A module that maps an input to an output.
public protocol Layer<Element, B>: Module {
  associatedtype Input
  associatedtype Output
  func callAsFunction(_ input: Input) -> Output
}

extension Module {
  public mutating func visitBuffers(prefix: String, _ visit: ParameterVisitor<Element, B>) {}

  public mutating func visitAsSequenceEntry(
    index: Int, prefix: String, _ kind: VisitKind, _ visit: ParameterVisitor<Element, B>
  ) -> Int {
    switch kind {
    case .parameters: visitParameters(prefix: prefix + "\(index).", visit)
    case .buffers: visitBuffers(prefix: prefix + "\(index).", visit)
    }
    return index + 1
  }

  /// Every buffer (non-trained state) with its key.
  public var buffers: [(key: String, value: Tensor<Element, B>)] {
    var copy = self
    var list: [(String, Tensor<Element, B>)] = []
    copy.visitBuffers(prefix: "") { key, p in list.append((key, p)) }
    return list
  }

  /// Visits parameters with no key prefix.
  public mutating func visitParameters(_ visit: ParameterVisitor<Element, B>) {
    visitParameters(prefix: "", visit)
  }

  /// Every parameter with its key, in visiting order.
  public var parameters: [(key: String, value: Tensor<Element, B>)] {
    var copy = self
    var list: [(String, Tensor<Element, B>)] = []
    copy.visitParameters { key, p in list.append((key, p)) }
    return list
  }

  /// The parameter keys in visiting order.
  public var parameterKeys: [String] { parameters.map(\.key) }

  /// The total number of scalar parameters.
  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}

extension Module {
  /// Marks every parameter as a leaf that requires gradients (call before each forward pass
  /// that trains; optimizers do it after each step).
  public mutating func requireGradients<Base>() where B == Autodiff<Base> {
    visitParameters { _, p in p = p.detached().requiringGrad() }
  }
}

/// Whether layers behave as in training (dropout active, batch norm using batch statistics and
/// updating running statistics) or in evaluation. Training is the default, as in PyTorch.
///
/// ```swift
/// let logits = ModelMode.$isTraining.withValue(false) { model(x) }
/// ```
public enum ModelMode {
  @TaskLocal public static var isTraining = true
}

/// Runs `body` with layers in evaluation mode (no dropout; batch norm uses running statistics).
public func evaluating<R>(_ body: () throws -> R) rethrows -> R {
  try ModelMode.$isTraining.withValue(false, operation: body)
}
