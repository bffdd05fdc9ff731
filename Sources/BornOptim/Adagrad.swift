import BornAutodiff
import BornCore
import BornNN

/// The hyperparameters of ``Adagrad`` for one parameter group.
public struct AdagradOptions: OptimizerOptions {
  /// The step size before decay.
  public var learningRate: Double
  /// The learning-rate decay: step `t` uses `γ / (1 + (t − 1) · learningRateDecay)`.
  public var learningRateDecay: Double
  /// The L2 penalty added to the gradient: `g + weightDecay · θ`.
  public var weightDecay: Double
  /// The starting value of the sum of squared gradients.
  public var initialAccumulatorValue: Double
  /// Added to the denominator for numerical stability.
  public var epsilon: Double

  /// Options with PyTorch's defaults for everything but the learning rate.
  public init(
    learningRate: Double, learningRateDecay: Double = 0, weightDecay: Double = 0,
    initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10
  ) {
    precondition(learningRate >= 0, "Adagrad: invalid learning rate \(learningRate)")
    precondition(learningRateDecay >= 0, "Adagrad: invalid learning-rate decay \(learningRateDecay)")
    precondition(weightDecay >= 0, "Adagrad: invalid weight decay \(weightDecay)")
    precondition(initialAccumulatorValue >= 0, "Adagrad: invalid initial accumulator \(initialAccumulatorValue)")
    precondition(epsilon >= 0, "Adagrad: invalid epsilon \(epsilon)")
    self.learningRate = learningRate
    self.learningRateDecay = learningRateDecay
    self.weightDecay = weightDecay
    self.initialAccumulatorValue = initialAccumulatorValue
    self.epsilon = epsilon
  }

  /// The options by name.
  public var hyperparameters: [String: Double] {
    [
      "learningRate": learningRate, "learningRateDecay": learningRateDecay, "weightDecay": weightDecay,
      "initialAccumulatorValue": initialAccumulatorValue, "epsilon": epsilon,
    ]
  }

  /// Options read back from ``hyperparameters``.
  public init(hyperparameters h: [String: Double]) throws(OptimizerStateError) {
    self.init(
      learningRate: try Self.read("learningRate", from: h),
      learningRateDecay: try Self.read("learningRateDecay", from: h),
      weightDecay: try Self.read("weightDecay", from: h),
      initialAccumulatorValue: try Self.read("initialAccumulatorValue", from: h),
      epsilon: try Self.read("epsilon", from: h))
  }
}

/// Adagrad, following `torch.optim.Adagrad`:
///
/// ```
/// g ← g + λθ
/// γₜ ← γ / (1 + (t − 1)η)            (learning-rate decay η)
/// s ← s + g²                          (s starts at the initial accumulator value)
/// θ ← θ − γₜ · g / (√s + ε)
/// ```
///
/// ```swift
/// var opt = Adagrad<Float, CPU>(learningRate: 0.01, initialAccumulatorValue: 0.1)
/// opt.step(&model, gradients: loss.backward())
/// ```
public struct Adagrad<Element: FloatElement, Base: Backend>: GroupedOptimizer {
  private var core: OptimizerCore<AdagradOptions, Element, Base>

  /// An optimizer whose default group has `options`.
  public init(_ options: AdagradOptions) {
    core = OptimizerCore(kind: "Adagrad", defaults: options)
  }

  /// An optimizer with the given default hyperparameters (PyTorch's defaults).
  public init(
    learningRate: Double = 1e-2, learningRateDecay: Double = 0, weightDecay: Double = 0,
    initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10
  ) {
    self.init(
      AdagradOptions(
        learningRate: learningRate, learningRateDecay: learningRateDecay, weightDecay: weightDecay,
        initialAccumulatorValue: initialAccumulatorValue, epsilon: epsilon))
  }

  /// The default group's options and the added groups.
  public var groups: ParameterGroups<AdagradOptions> {
    get { core.groups }
    set { core.groups = newValue }
  }

  /// The number of completed steps.
  public var stepCount: Int { core.stepCount }

  /// Applies one Adagrad update to every parameter of `model` that has a gradient.
  public mutating func step<M: Module>(_ model: inout M, gradients: Gradients<Base>)
  where M.Element == Element, M.B == Autodiff<Base> {
    core.step(&model, gradients: gradients) { param, grad, slot, o in
      let g = addingWeightDecay(grad, param, o.weightDecay)
      let rate = o.learningRate / (1 + Double(slot.step - 1) * o.learningRateDecay)
      let previous = slot.take("sum") ?? .full(like: param, scalar(o.initialAccumulatorValue))
      let sum = previous + g * g
      slot.buffers["sum"] = sum
      param = param - (g / (sum.sqrt() + scalar(o.epsilon))) * scalar(rate)
    }
  }

  /// The step counts, hyperparameters and sums of squared gradients (`"sum"`).
  public func exportState() -> OptimizerState { core.exportState() }

  /// Replaces the state with one exported from an `Adagrad` with as many groups.
  public mutating func importState(_ state: OptimizerState) throws(OptimizerStateError) {
    try core.importState(state)
  }
}
