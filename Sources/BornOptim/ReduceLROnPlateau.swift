/// Lowers the learning rates when a metric stops improving
/// (`torch.optim.lr_scheduler.ReduceLROnPlateau`).
///
/// After more than `patience` steps without improvement, every group's rate is multiplied by
/// `factor` (not below `minimumRate`), then `cooldown` steps pass before bad steps count again.
///
/// ```swift
/// var plateau = ReduceLROnPlateau(factor: 0.5, patience: 5)
/// for _ in 0..<epochs {
///   train(&model, &opt)
///   plateau.step(&opt, metric: validationLoss())
/// }
/// ```
public struct ReduceLROnPlateau: Sendable, Equatable, Codable {
  /// Whether smaller or larger metrics are better.
  public enum Mode: Sendable, Equatable, Codable {
    /// Smaller is better (a loss).
    case min
    /// Larger is better (an accuracy).
    case max
  }

  /// How `threshold` defines a significant improvement.
  public enum ThresholdMode: Sendable, Equatable, Codable {
    /// Better than `best · (1 ∓ threshold)`.
    case relative
    /// Better than `best ∓ threshold`.
    case absolute
  }

  /// Whether smaller or larger metrics are better.
  public let mode: Mode
  /// The factor applied to the rates at each reduction (less than 1).
  public let factor: Double
  /// The steps without improvement tolerated before a reduction.
  public let patience: Int
  /// The smallest improvement that counts.
  public let threshold: Double
  /// Whether `threshold` is relative or absolute.
  public let thresholdMode: ThresholdMode
  /// The steps after a reduction during which bad steps are not counted.
  public let cooldown: Int
  /// The lowest rate a reduction sets.
  public let minimumRate: Double
  /// Reductions smaller than this are skipped.
  public let epsilon: Double

  /// The best metric so far.
  public private(set) var best: Double
  /// The consecutive steps without improvement.
  public private(set) var badSteps = 0
  /// The cooldown steps left.
  public private(set) var cooldownLeft = 0
  /// The number of steps taken.
  public private(set) var lastStep = 0

  /// A plateau detector with PyTorch's defaults.
  public init(
    mode: Mode = .min, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4,
    thresholdMode: ThresholdMode = .relative, cooldown: Int = 0, minimumRate: Double = 0, epsilon: Double = 1e-8
  ) {
    precondition(factor < 1, "ReduceLROnPlateau: factor must be below 1, got \(factor)")
    self.mode = mode
    self.factor = factor
    self.patience = patience
    self.threshold = threshold
    self.thresholdMode = thresholdMode
    self.cooldown = cooldown
    self.minimumRate = minimumRate
    self.epsilon = epsilon
    best = mode == .min ? .infinity : -.infinity
  }

  /// Whether `metric` is a significant improvement on `best`.
  public func isImprovement(_ metric: Double) -> Bool {
    switch (mode, thresholdMode) {
    case (.min, .relative): metric < best * (1 - threshold)
    case (.min, .absolute): metric < best - threshold
    case (.max, .relative): metric > best * (threshold + 1)
    case (.max, .absolute): metric > best + threshold
    }
  }

  /// Records this step's metric and lowers the optimizer's rates when it has plateaued.
  public mutating func step<O: Optimizer>(_ optimizer: inout O, metric: Double) {
    lastStep += 1
    if isImprovement(metric) {
      best = metric
      badSteps = 0
    } else {
      badSteps += 1
    }
    if cooldownLeft > 0 {
      cooldownLeft -= 1
      badSteps = 0
    }
    if badSteps > patience {
      optimizer.learningRates = optimizer.learningRates.map { old in
        let new = Swift.max(old * factor, minimumRate)
        return old - new > epsilon ? new : old
      }
      cooldownLeft = cooldown
      badSteps = 0
    }
  }
}
