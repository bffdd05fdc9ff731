import BornCore

/// An optimizer's state as plain values: what a checkpoint stores.
///
/// Buffers hold their elements as `Double`s, which represent every float element type exactly,
/// so exporting and importing never changes a value and training continues with bit-identical
/// updates.
///
/// ```swift
/// let saved = opt.exportState()
/// var resumed = Adam<Float, CPU>(learningRate: 1e-3)
/// try resumed.importState(saved)
/// ```
public struct OptimizerState: Sendable, Equatable, Codable {
  /// The optimizer's kind: `"SGD"`, `"Adam"`, `"AdamW"`, `"RMSprop"` or `"Adagrad"`.
  public var optimizer: String
  /// The number of completed `step` calls.
  public var stepCount: Int
  /// The hyperparameters of each parameter group, the default group first.
  public var groups: [[String: Double]]
  /// The state of each parameter that has been updated, by dotted key.
  public var parameters: [String: ParameterState]

  /// A state from its parts.
  public init(optimizer: String, stepCount: Int, groups: [[String: Double]], parameters: [String: ParameterState]) {
    self.optimizer = optimizer
    self.stepCount = stepCount
    self.groups = groups
    self.parameters = parameters
  }
}

/// The state an optimizer keeps for one parameter.
public struct ParameterState: Sendable, Equatable, Codable {
  /// How many updates this parameter has received (PyTorch's per-parameter `step`).
  public var step: Int
  /// Named buffers (`"momentumBuffer"`, `"expAvg"`, `"expAvgSq"`, ...).
  public var buffers: [String: StateBuffer]

  /// A parameter state from its parts.
  public init(step: Int, buffers: [String: StateBuffer]) {
    self.step = step
    self.buffers = buffers
  }
}

/// A tensor as plain values: its shape and its elements in row-major order.
public struct StateBuffer: Sendable, Equatable, Codable {
  /// The dimensions.
  public var shape: [Int]
  /// The elements in row-major order.
  public var values: [Double]

  /// A buffer from a shape and as many values as the shape holds.
  public init(shape: [Int], values: [Double]) {
    self.shape = shape
    self.values = values
  }

  /// The values of `tensor`.
  public init<E: FloatElement, B: Backend>(_ tensor: Tensor<E, B>) {
    self.init(shape: Array(tensor.shape), values: tensor.toArray().map(\.bornDouble))
  }

  /// The buffer as a tensor on `device`.
  public func tensor<E: FloatElement, B: Backend>(
    _: E.Type = E.self, on device: B.Device = B.defaultDevice
  ) -> Tensor<E, B> {
    Tensor(values.map { E(bornConverting: $0) }, shape: Shape(shape), on: device)
  }
}

/// Why ``Optimizer/importState(_:)`` refused a state.
public enum OptimizerStateError: Error, Equatable, CustomStringConvertible {
  /// The state comes from another kind of optimizer.
  case optimizerMismatch(expected: String, found: String)
  /// The state has another number of parameter groups.
  case groupCountMismatch(expected: Int, found: Int)
  /// A group lacks a hyperparameter.
  case missingHyperparameter(String)
  /// A buffer's value count does not match its shape.
  case malformedBuffer(parameter: String, buffer: String)

  /// A sentence describing the problem.
  public var description: String {
    switch self {
    case .optimizerMismatch(let e, let f): "optimizer state is for \(f), not \(e)"
    case .groupCountMismatch(let e, let f): "optimizer state has \(f) parameter groups, the optimizer has \(e)"
    case .missingHyperparameter(let n): "optimizer state lacks hyperparameter '\(n)'"
    case .malformedBuffer(let p, let b): "optimizer state buffer '\(b)' of '\(p)' does not match its shape"
    }
  }
}
