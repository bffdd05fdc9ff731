import BornAutodiff
import BornCore
import BornNN

/// The hyperparameters of ``RMSprop`` for one parameter group.
public struct RMSpropOptions: OptimizerOptions {
  /// The step size.
  public var learningRate: Double
  /// The smoothing constant of the running average of squared gradients.
  public var alpha: Double
  /// Added to the denominator for numerical stability.
  public var epsilon: Double
  /// The L2 penalty added to the gradient: `g + weightDecay · θ`.
  public var weightDecay: Double
  /// The momentum factor (0 for none).
  public var momentum: Double
  /// Whether to normalize by an estimate of the gradient's variance instead of its second moment.
  public var centered: Bool

  /// Options with PyTorch's defaults for everything but the learning rate.
  public init(
    learningRate: Double, alpha: Double = 0.99, epsilon: Double = 1e-8, weightDecay: Double = 0,
    momentum: Double = 0, centered: Bool = false
  ) {
    precondition(learningRate >= 0, "RMSprop: invalid learning rate \(learningRate)")
    precondition(alpha >= 0, "RMSprop: invalid alpha \(alpha)")
    precondition(epsilon >= 0, "RMSprop: invalid epsilon \(epsilon)")
    precondition(weightDecay >= 0, "RMSprop: invalid weight decay \(weightDecay)")
    precondition(momentum >= 0, "RMSprop: invalid momentum \(momentum)")
    self.learningRate = learningRate
    self.alpha = alpha
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.momentum = momentum
    self.centered = centered
  }

  /// The options by name.
  public var hyperparameters: [String: Double] {
    [
      "learningRate": learningRate, "alpha": alpha, "epsilon": epsilon, "weightDecay": weightDecay,
      "momentum": momentum, "centered": centered.asHyperparameter,
    ]
  }

  /// Options read back from ``hyperparameters``.
  public init(hyperparameters h: [String: Double]) throws(OptimizerStateError) {
    self.init(
      learningRate: try Self.read("learningRate", from: h), alpha: try Self.read("alpha", from: h),
      epsilon: try Self.read("epsilon", from: h), weightDecay: try Self.read("weightDecay", from: h),
      momentum: try Self.read("momentum", from: h), centered: try Self.read("centered", from: h) != 0)
  }
}

/// RMSprop, following `torch.optim.RMSprop`:
///
/// ```
/// g ← g + λθ
/// v ← αv + (1 − α)g²
/// d ← √(v − ḡ²) + ε with ḡ ← lerp(ḡ, g, 1 − α) (centered), else √v + ε
/// b ← μb + g/d, θ ← θ − γb (momentum μ > 0), else θ ← θ − γg/d
/// ```
///
/// ```swift
/// var opt = RMSprop<Float, CPU>(learningRate: 1e-3, momentum: 0.9, centered: true)
/// opt.step(&model, gradients: loss.backward())
/// ```
public struct RMSprop<Element: FloatElement, Base: Backend>: GroupedOptimizer {
  private var core: OptimizerCore<RMSpropOptions, Element, Base>

  /// An optimizer whose default group has `options`.
  public init(_ options: RMSpropOptions) {
    core = OptimizerCore(kind: "RMSprop", defaults: options)
  }

  /// An optimizer with the given default hyperparameters (PyTorch's defaults).
  public init(
    learningRate: Double = 1e-2, alpha: Double = 0.99, epsilon: Double = 1e-8, weightDecay: Double = 0,
    momentum: Double = 0, centered: Bool = false
  ) {
    self.init(
      RMSpropOptions(
        learningRate: learningRate, alpha: alpha, epsilon: epsilon, weightDecay: weightDecay, momentum: momentum,
        centered: centered))
  }

  /// The default group's options and the added groups.
  public var groups: ParameterGroups<RMSpropOptions> {
    get { core.groups }
    set { core.groups = newValue }
  }

  /// The number of completed steps.
  public var stepCount: Int { core.stepCount }

  /// Applies one RMSprop update to every parameter of `model` that has a gradient.
  public mutating func step<M: Module>(_ model: inout M, gradients: Gradients<Base>)
  where M.Element == Element, M.B == Autodiff<Base> {
    core.step(&model, gradients: gradients) { param, grad, slot, o in
      let g = addingWeightDecay(grad, param, o.weightDecay)
      let squareAvg = (slot.take("squareAvg") ?? .zeros(like: param)) * scalar(o.alpha) + g * g * scalar(1 - o.alpha)
      slot.buffers["squareAvg"] = squareAvg
      var average: Tensor<Element, Base>
      if o.centered {
        let gradAvg = lerp(slot.take("gradAvg") ?? .zeros(like: param), g, weight: 1 - o.alpha)
        slot.buffers["gradAvg"] = gradAvg
        average = (squareAvg - gradAvg * gradAvg).sqrt()
      } else {
        average = squareAvg.sqrt()
      }
      average = average + scalar(o.epsilon)
      if o.momentum > 0 {
        let buffer = (slot.take("momentumBuffer") ?? .zeros(like: param)) * scalar(o.momentum) + g / average
        slot.buffers["momentumBuffer"] = buffer
        param = param - buffer * scalar(o.learningRate)
      } else {
        param = param - (g / average) * scalar(o.learningRate)
      }
    }
  }

  /// The step counts, hyperparameters and buffers (`"squareAvg"`, `"gradAvg"` when centered,
  /// `"momentumBuffer"` with momentum).
  public func exportState() -> OptimizerState { core.exportState() }

  /// Replaces the state with one exported from an `RMSprop` with as many groups.
  public mutating func importState(_ state: OptimizerState) throws(OptimizerStateError) {
    try core.importState(state)
  }
}
