import BornAutodiff
import BornCore
import BornNN

/// The hyperparameters of ``SGD`` for one parameter group.
public struct SGDOptions: OptimizerOptions {
  /// The step size.
  public var learningRate: Double
  /// The momentum factor (0 for plain gradient descent).
  public var momentum: Double
  /// How much of each new gradient the momentum buffer leaves out (0 keeps all of it).
  public var dampening: Double
  /// The L2 penalty added to the gradient: `g + weightDecay · θ`.
  public var weightDecay: Double
  /// Whether to use Nesterov momentum (needs momentum > 0 and no dampening).
  public var nesterov: Bool

  /// Options with PyTorch's defaults for everything but the learning rate.
  public init(
    learningRate: Double, momentum: Double = 0, dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false
  ) {
    precondition(learningRate >= 0, "SGD: invalid learning rate \(learningRate)")
    precondition(momentum >= 0, "SGD: invalid momentum \(momentum)")
    precondition(weightDecay >= 0, "SGD: invalid weight decay \(weightDecay)")
    precondition(
      !nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum requires a momentum and zero dampening")
    self.learningRate = learningRate
    self.momentum = momentum
    self.dampening = dampening
    self.weightDecay = weightDecay
    self.nesterov = nesterov
  }

  /// The options by name.
  public var hyperparameters: [String: Double] {
    [
      "learningRate": learningRate, "momentum": momentum, "dampening": dampening, "weightDecay": weightDecay,
      "nesterov": nesterov.asHyperparameter,
    ]
  }

  /// Options read back from ``hyperparameters``.
  public init(hyperparameters h: [String: Double]) throws(OptimizerStateError) {
    self.init(
      learningRate: try Self.read("learningRate", from: h), momentum: try Self.read("momentum", from: h),
      dampening: try Self.read("dampening", from: h), weightDecay: try Self.read("weightDecay", from: h),
      nesterov: try Self.read("nesterov", from: h) != 0)
  }
}

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight
/// decay, following `torch.optim.SGD`:
///
/// ```
/// g ← g + λθ                          (weight decay λ)
/// b ← g at the first step, else μb + (1 − τ)g
/// g ← g + μb (Nesterov) or b          (when μ ≠ 0)
/// θ ← θ − γg
/// ```
///
/// ```swift
/// var opt = SGD<Float, CPU>(learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4)
/// opt.step(&model, gradients: loss.backward())
/// ```
public struct SGD<Element: FloatElement, Base: Backend>: GroupedOptimizer {
  private var core: OptimizerCore<SGDOptions, Element, Base>

  /// An optimizer whose default group has `options`.
  public init(_ options: SGDOptions) {
    core = OptimizerCore(kind: "SGD", defaults: options)
  }

  /// An optimizer with the given default hyperparameters.
  public init(
    learningRate: Double, momentum: Double = 0, dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false
  ) {
    self.init(
      SGDOptions(
        learningRate: learningRate, momentum: momentum, dampening: dampening, weightDecay: weightDecay,
        nesterov: nesterov))
  }

  /// The default group's options and the added groups.
  public var groups: ParameterGroups<SGDOptions> {
    get { core.groups }
    set { core.groups = newValue }
  }

  /// The number of completed steps.
  public var stepCount: Int { core.stepCount }

  /// Applies one SGD update to every parameter of `model` that has a gradient.
  public mutating func step<M: Module>(_ model: inout M, gradients: Gradients<Base>)
  where M.Element == Element, M.B == Autodiff<Base> {
    core.step(&model, gradients: gradients) { param, grad, slot, o in
      let previous = o.momentum != 0 ? slot.take("momentumBuffer") : nil
      let buffer: Tensor<Element, Base>? = o.momentum != 0 ? writable(previous, like: param) : nil
      let hyper = SGDStep(
        learningRate: o.learningRate, momentum: o.momentum, dampening: o.dampening, weightDecay: o.weightDecay,
        nesterov: o.nesterov, firstStep: previous == nil)
      let p = flat(param)
      let out = Tensor<Element, Base>(
        storage: Base.allocate(p.count, dtype: Element.dtype, on: p.device), layout: Layout(contiguous: p.shape))
      Base.sgdStep(
        hyper, parameter: p.storage, gradient: flat(grad).storage, momentumBuffer: buffer?.storage, into: out.storage,
        count: p.count, dtype: Element.dtype)
      if let buffer { slot.buffers["momentumBuffer"] = buffer }
      param = out
    }
  }

  /// The step counts, hyperparameters and momentum buffers (`"momentumBuffer"`).
  public func exportState() -> OptimizerState { core.exportState() }

  /// Replaces the state with one exported from an `SGD` with as many groups.
  public mutating func importState(_ state: OptimizerState) throws(OptimizerStateError) {
    try core.importState(state)
  }
}
