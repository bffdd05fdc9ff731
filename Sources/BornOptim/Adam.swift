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

/// The hyperparameters of ``Adam`` and ``AdamW`` for one parameter group.
public struct AdamOptions: OptimizerOptions {
  /// The step size.
  public var learningRate: Double
  /// The decay rate of the running average of gradients.
  public var beta1: Double
  /// The decay rate of the running average of squared gradients.
  public var beta2: Double
  /// Added to the denominator for numerical stability.
  public var epsilon: Double
  /// The weight decay: an L2 penalty added to the gradient for ``Adam``, a decoupled decay
  /// `θ ← θ(1 − γλ)` for ``AdamW``.
  public var weightDecay: Double
  /// Whether to divide by the maximum of the squared-gradient averages so far (AMSGrad).
  public var amsgrad: Bool

  /// Options with PyTorch's defaults for everything but the learning rate and weight decay.
  public init(
    learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double,
    amsgrad: Bool = false
  ) {
    precondition(learningRate >= 0, "Adam: invalid learning rate \(learningRate)")
    precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam: invalid betas (\(beta1), \(beta2))")
    precondition(epsilon >= 0, "Adam: invalid epsilon \(epsilon)")
    precondition(weightDecay >= 0, "Adam: invalid weight decay \(weightDecay)")
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.amsgrad = amsgrad
  }

  /// The options by name.
  public var hyperparameters: [String: Double] {
    [
      "learningRate": learningRate, "beta1": beta1, "beta2": beta2, "epsilon": epsilon, "weightDecay": weightDecay,
      "amsgrad": amsgrad.asHyperparameter,
    ]
  }

  /// Options read back from ``hyperparameters``.
  public init(hyperparameters h: [String: Double]) throws(OptimizerStateError) {
    self.init(
      learningRate: try Self.read("learningRate", from: h), beta1: try Self.read("beta1", from: h),
      beta2: try Self.read("beta2", from: h), epsilon: try Self.read("epsilon", from: h),
      weightDecay: try Self.read("weightDecay", from: h), amsgrad: try Self.read("amsgrad", from: h) != 0)
  }
}

/// Adam, following `torch.optim.Adam` (weight decay is an L2 penalty added to the gradient):
///
/// ```
/// g ← g + λθ
/// m ← β₁m + (1 − β₁)g            v ← β₂v + (1 − β₂)g²
/// v̂ ← max(v̂, v) (AMSGrad) or v
/// θ ← θ − γ/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
/// ```
///
/// ```swift
/// var opt = Adam<Float, CPU>(learningRate: 1e-3)
/// opt.step(&model, gradients: loss.backward())
/// ```
public struct Adam<Element: FloatElement, Base: Backend>: GroupedOptimizer {
  private var core: OptimizerCore<AdamOptions, Element, Base>

  /// An optimizer whose default group has `options`.
  public init(_ options: AdamOptions) {
    core = OptimizerCore(kind: "Adam", defaults: options)
  }

  /// An optimizer with the given default hyperparameters (PyTorch's defaults).
  public init(
    learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
    weightDecay: Double = 0, amsgrad: Bool = false
  ) {
    self.init(
      AdamOptions(
        learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
        amsgrad: amsgrad))
  }

  /// The default group's options and the added groups.
  public var groups: ParameterGroups<AdamOptions> {
    get { core.groups }
    set { core.groups = newValue }
  }

  /// The number of completed steps.
  public var stepCount: Int { core.stepCount }

  /// Applies one Adam update to every parameter of `model` that has a gradient.
  public mutating func step<M: Module>(_ model: inout M, gradients: Gradients<Base>)
  where M.Element == Element, M.B == Autodiff<Base> {
    core.step(&model, gradients: gradients) { param, grad, slot, o in
      adamUpdate(&param, grad, &slot, o, decoupled: false)
    }
  }

  /// The step counts, hyperparameters and moment buffers (`"expAvg"`, `"expAvgSq"`, and
  /// `"maxExpAvgSq"` with AMSGrad).
  public func exportState() -> OptimizerState { core.exportState() }

  /// Replaces the state with one exported from an `Adam` with as many groups.
  public mutating func importState(_ state: OptimizerState) throws(OptimizerStateError) {
    try core.importState(state)
  }
}

/// Adam with decoupled weight decay, following `torch.optim.AdamW`: each step first shrinks
/// the parameters, `θ ← θ(1 − γλ)`, then applies the ``Adam`` update without an L2 term.
///
/// ```swift
/// var opt = AdamW<Float, CPU>(learningRate: 3e-4, weightDecay: 0.1)
/// opt.addGroup(.suffix(".bias")) { $0.weightDecay = 0 }
/// opt.step(&model, gradients: loss.backward())
/// ```
public struct AdamW<Element: FloatElement, Base: Backend>: GroupedOptimizer {
  private var core: OptimizerCore<AdamOptions, Element, Base>

  /// An optimizer whose default group has `options`.
  public init(_ options: AdamOptions) {
    core = OptimizerCore(kind: "AdamW", defaults: options)
  }

  /// An optimizer with the given default hyperparameters (PyTorch's defaults, weight decay 0.01).
  public init(
    learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
    weightDecay: Double = 1e-2, amsgrad: Bool = false
  ) {
    self.init(
      AdamOptions(
        learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
        amsgrad: amsgrad))
  }

  /// The default group's options and the added groups.
  public var groups: ParameterGroups<AdamOptions> {
    get { core.groups }
    set { core.groups = newValue }
  }

  /// The number of completed steps.
  public var stepCount: Int { core.stepCount }

  /// Applies one AdamW update to every parameter of `model` that has a gradient.
  public mutating func step<M: Module>(_ model: inout M, gradients: Gradients<Base>)
  where M.Element == Element, M.B == Autodiff<Base> {
    core.step(&model, gradients: gradients) { param, grad, slot, o in
      adamUpdate(&param, grad, &slot, o, decoupled: true)
    }
  }

  /// The step counts, hyperparameters and moment buffers (as for ``Adam``).
  public func exportState() -> OptimizerState { core.exportState() }

  /// Replaces the state with one exported from an `AdamW` with as many groups.
  public mutating func importState(_ state: OptimizerState) throws(OptimizerStateError) {
    try core.importState(state)
  }
}

/// One Adam or AdamW update of `param` (PyTorch's single-tensor implementation).
private func adamUpdate<E: FloatElement, B: Backend>(
  _ param: inout Tensor<E, B>, _ grad: Tensor<E, B>, _ slot: inout ParameterSlot<E, B>, _ o: AdamOptions,
  decoupled: Bool
) {
  let m = writable(slot.take("expAvg"), like: param)
  let v = writable(slot.take("expAvgSq"), like: param)
  let vMax = o.amsgrad ? writable(slot.take("maxExpAvgSq"), like: param) : nil
  let p = flat(param)
  let out = Tensor<E, B>(
    storage: B.allocate(p.count, dtype: E.dtype, on: p.device), layout: Layout(contiguous: p.shape))
  let hyper = AdamStep(
    learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, weightDecay: o.weightDecay,
    decoupled: decoupled, amsgrad: o.amsgrad, step: slot.step)
  B.adamStep(
    hyper, parameter: p.storage, gradient: flat(grad).storage, m: m.storage, v: v.storage, vMax: vMax?.storage,
    into: out.storage, count: p.count, dtype: E.dtype)
  slot.buffers["expAvg"] = m
  slot.buffers["expAvgSq"] = v
  if let vMax { slot.buffers["maxExpAvgSq"] = vMax }
  param = out
}
