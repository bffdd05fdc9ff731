import BornAutodiff
import BornCore
import BornNN

/// Updates a model's parameters from their gradients.
///
/// Every optimizer keeps its per-parameter state (momentum buffers, running averages, step
/// counts) keyed by the parameter's dotted key from ``Module/visitParameters(prefix:_:)``, so
/// the state can be exported, stored and imported into a fresh optimizer.
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
  /// The learning rates of every parameter group: the default group first, then the added
  /// groups in the order they were added (schedulers set them).
  var learningRates: [Double] { get set }
  /// Applies one update to every parameter of `model` that has a gradient. Parameters come out
  /// as fresh leaves that require gradients.
  mutating func step<M: Module>(_ model: inout M, gradients: Gradients<Base>)
  where M.Element == Element, M.B == Autodiff<Base>
  /// The step counts, hyperparameters and per-parameter buffers, as plain values.
  func exportState() -> OptimizerState
  /// Replaces the step counts, hyperparameters and buffers with `state` (from
  /// ``exportState()`` of an optimizer of the same kind with as many parameter groups).
  mutating func importState(_ state: OptimizerState) throws(OptimizerStateError)
}

/// The hyperparameters of one parameter group of an optimizer.
public protocol OptimizerOptions: Sendable, Equatable {
  /// The step size.
  var learningRate: Double { get set }
  /// The hyperparameters by name, for ``OptimizerState`` (Booleans are 0 or 1).
  var hyperparameters: [String: Double] { get }
  /// Options read back from ``hyperparameters``; throws when one is missing.
  init(hyperparameters: [String: Double]) throws(OptimizerStateError)
}

/// An optimizer whose parameters are split into groups with their own hyperparameters.
///
/// ```swift
/// var opt = AdamW<Float, CPU>(learningRate: 1e-3, weightDecay: 0.01)
/// opt.addGroup(.suffix(".bias")) { $0.weightDecay = 0 }
/// opt.addGroup(.prefix("encoder."), learningRate: 1e-4)
/// ```
public protocol GroupedOptimizer<Element, Base>: Optimizer {
  associatedtype Options: OptimizerOptions
  /// The default group's options and the added groups.
  var groups: ParameterGroups<Options> { get set }
}

extension GroupedOptimizer {
  /// The learning rate of the default parameter group.
  public var learningRate: Double {
    get { groups.defaults.learningRate }
    set { groups.defaults.learningRate = newValue }
  }

  /// The learning rates of the default group and then of each added group.
  public var learningRates: [Double] {
    get { groups.learningRates }
    set { groups.learningRates = newValue }
  }

  /// Adds a group for the parameters `selector` picks (and no earlier group picked), with the
  /// default options changed by `configure`.
  public mutating func addGroup(_ selector: ParameterSelector, _ configure: (inout Options) -> Void) {
    var options = groups.defaults
    configure(&options)
    groups.append(ParameterGroup(selector, options: options))
  }

  /// Adds a group for the parameters `selector` picks with the default options but another
  /// learning rate.
  public mutating func addGroup(_ selector: ParameterSelector, learningRate: Double) {
    addGroup(selector) { $0.learningRate = learningRate }
  }

  /// Adds a group for the parameters `selector` picks with the given options.
  public mutating func addGroup(_ selector: ParameterSelector, options: Options) {
    groups.append(ParameterGroup(selector, options: options))
  }
}

extension OptimizerOptions {
  /// Reads hyperparameter `name`, throwing when it is missing.
  static func read(_ name: String, from values: [String: Double]) throws(OptimizerStateError) -> Double {
    guard let v = values[name] else { throw .missingHyperparameter(name) }
    return v
  }
}
