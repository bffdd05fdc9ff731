/// Elementwise functions of one tensor. Parameters travel with the case.
public enum UnaryOp: Sendable, Hashable {
  case neg, abs, exp, log, log1p, expm1, sqrt, rsqrt, square, sin, cos, tanh, sigmoid, relu
  case gelu, geluTanh, silu, softplus, floor, ceil, round, sign, erf, reciprocal
  case leakyRelu(alpha: Double)
  case elu(alpha: Double)
  case powScalar(Double)
  case clamp(min: Double, max: Double)
  /// Logical not (Bool tensors only).
  case logicalNot

  /// Whether the op is only defined for floating-point dtypes.
  public var needsFloat: Bool {
    switch self {
    case .neg, .abs, .square, .relu, .sign, .clamp, .logicalNot, .leakyRelu, .floor, .ceil, .round: false
    default: true
    }
  }
}

/// Elementwise functions of two tensors (broadcast to a common shape).
public enum BinaryOp: Sendable, Hashable {
  case add, sub, mul, div, pow, maximum, minimum
  /// Logical operations (Bool tensors only).
  case and, or, xor
}

/// Pointwise comparisons; the result is a Bool tensor.
public enum CompareOp: Sendable, Hashable {
  case equal, notEqual, less, lessEqual, greater, greaterEqual
}

/// Per-element tests; the result is a Bool tensor.
public enum ElementTest: Sendable, Hashable {
  case isNaN, isInfinite, isFinite
}

/// Reductions over a set of axes.
public enum ReduceOp: Sendable, Hashable {
  case sum, mean, prod, max, min
  /// Bool tensors: every / some element is true.
  case all, any
}

/// Reductions that return the index (as `Int64`) of the extreme element along one axis.
public enum ArgReduceOp: Sendable, Hashable {
  case argmax, argmin
}

/// Running reductions along one axis.
public enum ScanOp: Sendable, Hashable {
  case cumsum, cumprod
}

/// How `scatter` combines source values with the destination.
public enum ScatterMode: Sendable, Hashable {
  case assign, add
}

/// Pooling kinds.
public enum PoolKind: Sendable, Hashable {
  case max, avg
}

/// Geometry of a 2-D convolution over NCHW input and OIHW weights.
public struct Conv2DParams: Sendable, Hashable {
  public var stride: (Int, Int)
  public var padding: (Int, Int)
  public var dilation: (Int, Int)
  public var groups: Int

  public init(stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1)
  {
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
    self.groups = groups
  }

  public static func == (a: Self, b: Self) -> Bool {
    a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation && a.groups == b.groups
  }

  public func hash(into h: inout Hasher) {
    h.combine(stride.0)
    h.combine(stride.1)
    h.combine(padding.0)
    h.combine(padding.1)
    h.combine(dilation.0)
    h.combine(dilation.1)
    h.combine(groups)
  }

  /// The output extent of one spatial dimension.
  public static func outputSize(input: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) -> Int {
    let span = dilation * (kernel - 1) + 1
    let n = input + 2 * padding - span
    return n < 0 ? 0 : n / stride + 1
  }
}

/// Geometry of a 2-D pooling window over NCHW input.
public struct Pool2DParams: Sendable, Hashable {
  public var kernel: (Int, Int)
  public var stride: (Int, Int)
  public var padding: (Int, Int)
  public var dilation: (Int, Int)
  /// Average pooling: count padded positions in the divisor (PyTorch's default `true`).
  public var countIncludePad: Bool
  /// Use ceil instead of floor when computing the output size.
  public var ceilMode: Bool

  public init(
    kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
    dilation: (Int, Int) = (1, 1), countIncludePad: Bool = true, ceilMode: Bool = false
  ) {
    self.kernel = kernel
    self.stride = stride ?? kernel
    self.padding = padding
    self.dilation = dilation
    self.countIncludePad = countIncludePad
    self.ceilMode = ceilMode
  }

  public static func == (a: Self, b: Self) -> Bool {
    a.kernel == b.kernel && a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation
      && a.countIncludePad == b.countIncludePad && a.ceilMode == b.ceilMode
  }

  public func hash(into h: inout Hasher) {
    h.combine(kernel.0)
    h.combine(kernel.1)
    h.combine(stride.0)
    h.combine(stride.1)
    h.combine(padding.0)
    h.combine(padding.1)
    h.combine(countIncludePad)
    h.combine(ceilMode)
  }

  /// The output extent of one spatial dimension (PyTorch's rule, including ceil mode).
  public static func outputSize(input: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool)
    -> Int
  {
    let span = dilation * (kernel - 1) + 1
    let n = input + 2 * padding - span
    if n < 0 { return 0 }
    var out = (ceilMode ? (n + stride - 1) / stride : n / stride) + 1
    // The last window must start inside the input or the left padding.
    if ceilMode && (out - 1) * stride >= input + padding { out -= 1 }
    return out
  }
}

/// Hyperparameters of one Adam or AdamW update (PyTorch's formulas).
public struct AdamStep: Sendable, Hashable {
  public var learningRate: Double
  public var beta1: Double
  public var beta2: Double
  public var epsilon: Double
  public var weightDecay: Double
  /// AdamW: shrink the parameter by lr·weightDecay instead of adding weightDecay·θ to the gradient.
  public var decoupled: Bool
  public var amsgrad: Bool
  /// The 1-based step number (for bias correction).
  public var step: Int

  public init(
    learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double, decoupled: Bool,
    amsgrad: Bool, step: Int
  ) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.decoupled = decoupled
    self.amsgrad = amsgrad
    self.step = step
  }
}

/// Hyperparameters of one SGD update (PyTorch's formulas).
public struct SGDStep: Sendable, Hashable {
  public var learningRate: Double
  public var momentum: Double
  public var dampening: Double
  public var weightDecay: Double
  public var nesterov: Bool
  /// The first step initializes the momentum buffer with the gradient.
  public var firstStep: Bool

  public init(
    learningRate: Double, momentum: Double, dampening: Double, weightDecay: Double, nesterov: Bool, firstStep: Bool
  ) {
    self.learningRate = learningRate
    self.momentum = momentum
    self.dampening = dampening
    self.weightDecay = weightDecay
    self.nesterov = nesterov
    self.firstStep = firstStep
  }
}
