#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Sets an optimizer's learning rates from the number of steps taken, with PyTorch's semantics.
///
/// Creating a scheduler records the optimizer's rates as each group's base rate and sets the
/// rates for step 0; each ``step(_:)`` advances one step and sets the rates again. Every group
/// follows the schedule from its own base rate, so schedules that scale the rate (step, multi-step,
/// exponential, linear) keep the groups' rates proportional to their initial rates.
///
/// ```swift
/// var opt = SGD<Float, CPU>(learningRate: 0.1, momentum: 0.9)
/// var schedule = StepLR(&opt, stepSize: 30, gamma: 0.1)
/// for _ in 0..<epochs {
///   train(&model, &opt)
///   schedule.step(&opt)
/// }
/// ```
public protocol LearningRateScheduler: Sendable {
  /// The number of steps taken (PyTorch's `last_epoch`; 0 after creation).
  var lastStep: Int { get set }
  /// Each group's reference rate, the default group first: its initial rate, or its peak rate
  /// for ``OneCycleLR``.
  var baseRates: [Double] { get }
  /// The learning rate after `step` steps for a group whose base rate is `baseRate`.
  func learningRate(at step: Int, baseRate: Double) -> Double
}

extension LearningRateScheduler {
  /// The rate of every group after `step` steps, the default group first.
  public func learningRates(at step: Int) -> [Double] {
    baseRates.map { learningRate(at: step, baseRate: $0) }
  }

  /// The rates the last step set (PyTorch's `get_last_lr()`).
  public var lastLearningRates: [Double] { learningRates(at: lastStep) }

  /// Advances one step and sets the optimizer's learning rates.
  public mutating func step<O: Optimizer>(_ optimizer: inout O) {
    lastStep += 1
    optimizer.learningRates = learningRates(at: lastStep)
  }

  /// Sets the optimizer's rates for the current step (used by the initializers).
  func apply<O: Optimizer>(to optimizer: inout O) {
    optimizer.learningRates = learningRates(at: lastStep)
  }
}

/// Multiplies the rate by `gamma` every `stepSize` steps (`torch.optim.lr_scheduler.StepLR`).
///
/// ```swift
/// var schedule = StepLR(&opt, stepSize: 30, gamma: 0.1)  // 0.1 until step 30, then 0.01, ...
/// ```
public struct StepLR: LearningRateScheduler, Equatable, Codable {
  /// The number of steps taken.
  public var lastStep = 0
  /// Each group's initial rate.
  public let baseRates: [Double]
  /// The steps between decays.
  public let stepSize: Int
  /// The factor applied at each decay.
  public let gamma: Double

  /// A schedule for `optimizer`'s current rates.
  public init<O: Optimizer>(_ optimizer: inout O, stepSize: Int, gamma: Double = 0.1) {
    precondition(stepSize > 0, "StepLR: step size must be positive, got \(stepSize)")
    baseRates = optimizer.learningRates
    self.stepSize = stepSize
    self.gamma = gamma
    apply(to: &optimizer)
  }

  /// `baseRate · gamma^⌊step / stepSize⌋`.
  public func learningRate(at step: Int, baseRate: Double) -> Double {
    baseRate * pow(gamma, Double(step / stepSize))
  }
}

/// Multiplies the rate by `gamma` at each milestone (`torch.optim.lr_scheduler.MultiStepLR`).
/// A milestone listed twice applies twice.
///
/// ```swift
/// var schedule = MultiStepLR(&opt, milestones: [30, 80], gamma: 0.1)
/// ```
public struct MultiStepLR: LearningRateScheduler, Equatable, Codable {
  /// The number of steps taken.
  public var lastStep = 0
  /// Each group's initial rate.
  public let baseRates: [Double]
  /// The steps at which the rate decays, sorted.
  public let milestones: [Int]
  /// The factor applied at each milestone.
  public let gamma: Double

  /// A schedule for `optimizer`'s current rates.
  public init<O: Optimizer>(_ optimizer: inout O, milestones: [Int], gamma: Double = 0.1) {
    baseRates = optimizer.learningRates
    self.milestones = milestones.sorted()
    self.gamma = gamma
    apply(to: &optimizer)
  }

  /// `baseRate · gamma^(milestones reached by step)`.
  public func learningRate(at step: Int, baseRate: Double) -> Double {
    let reached = milestones.count { $0 <= step }
    return baseRate * pow(gamma, Double(reached))
  }
}

/// Multiplies the rate by `gamma` every step (`torch.optim.lr_scheduler.ExponentialLR`).
///
/// ```swift
/// var schedule = ExponentialLR(&opt, gamma: 0.95)
/// ```
public struct ExponentialLR: LearningRateScheduler, Equatable, Codable {
  /// The number of steps taken.
  public var lastStep = 0
  /// Each group's initial rate.
  public let baseRates: [Double]
  /// The factor applied each step.
  public let gamma: Double

  /// A schedule for `optimizer`'s current rates.
  public init<O: Optimizer>(_ optimizer: inout O, gamma: Double) {
    baseRates = optimizer.learningRates
    self.gamma = gamma
    apply(to: &optimizer)
  }

  /// `baseRate · gamma^step`.
  public func learningRate(at step: Int, baseRate: Double) -> Double {
    baseRate * pow(gamma, Double(step))
  }
}

/// Scales the rate by a factor that moves linearly from `startFactor` to `endFactor` over
/// `totalIterations` steps and then stays (`torch.optim.lr_scheduler.LinearLR`); with the
/// defaults it is a linear warmup.
///
/// ```swift
/// var warmup = LinearLR(&opt, startFactor: 0.01, totalIterations: 1000)
/// ```
public struct LinearLR: LearningRateScheduler, Equatable, Codable {
  /// The number of steps taken.
  public var lastStep = 0
  /// Each group's initial rate.
  public let baseRates: [Double]
  /// The factor at step 0.
  public let startFactor: Double
  /// The factor from step `totalIterations` on.
  public let endFactor: Double
  /// The steps the factor takes to reach `endFactor`.
  public let totalIterations: Int

  /// A schedule for `optimizer`'s current rates (PyTorch's defaults: 1/3 to 1 over 5 steps).
  public init<O: Optimizer>(
    _ optimizer: inout O, startFactor: Double = 1.0 / 3, endFactor: Double = 1, totalIterations: Int = 5
  ) {
    precondition(startFactor > 0 && startFactor <= 1, "LinearLR: start factor must be in (0, 1], got \(startFactor)")
    precondition(endFactor >= 0 && endFactor <= 1, "LinearLR: end factor must be in [0, 1], got \(endFactor)")
    precondition(totalIterations > 0, "LinearLR: total iterations must be positive, got \(totalIterations)")
    baseRates = optimizer.learningRates
    self.startFactor = startFactor
    self.endFactor = endFactor
    self.totalIterations = totalIterations
    apply(to: &optimizer)
  }

  /// `baseRate · (start + (end − start) · min(step, total) / total)`.
  public func learningRate(at step: Int, baseRate: Double) -> Double {
    let progress = Double(min(step, totalIterations)) / Double(totalIterations)
    return baseRate * (startFactor + (endFactor - startFactor) * progress)
  }
}
