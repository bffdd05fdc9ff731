import BornCore

/// y = x·Wᵀ + b over the last axis. Weight [out, in], bias [out]; PyTorch's initialization.
///
/// ```swift
/// var g = RandomGenerator(seed: 0)
/// let fc = Linear<Float, CPU>(784, 128, using: &g)
/// let y = fc(Tensor<Float, CPU>.zeros([64, 784]))  // [64, 128]
/// ```
public struct Linear<Element: FloatElement, B: Backend>: Layer {
  public var weight: Tensor<Element, B>
  public var bias: Tensor<Element, B>?

  /// A layer with given parameters.
  public init(weight: Tensor<Element, B>, bias: Tensor<Element, B>?) {
    precondition(weight.rank == 2, "Linear: weight must be [out, in], got \(weight._signature)")
    if let bias {
      precondition(
        bias.shape == [weight.shape[0]], "Linear: bias \(bias._signature) does not match weight \(weight._signature)")
    }
    self.weight = weight
    self.bias = bias
  }

  /// A layer initialized like PyTorch's `nn.Linear`.
  public init(
    _ inputSize: Int, _ outputSize: Int, bias: Bool = true, using g: inout RandomGenerator,
    on device: B.Device = B.defaultDevice
  ) {
    let w: Tensor<Element, B> = Initializer.pytorchDefaultWeight([outputSize, inputSize], using: &g, on: device)
    let b: Tensor<Element, B>? =
      bias ? Initializer.pytorchDefaultBias(outputSize, fanIn: inputSize, using: &g, on: device) : nil
    self.init(weight: w, bias: b)
  }

  /// A layer initialized from the process-wide generator.
  public init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true, on device: B.Device = B.defaultDevice) {
    self = RandomGenerator.global.withLock { Linear(inputSize, outputSize, bias: bias, using: &$0, on: device) }
  }

  public mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>) {
    visit(prefix + "weight", &weight)
    if bias != nil { visit(prefix + "bias", &bias!) }
  }

  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> {
    precondition(
      x.rank >= 1 && x.shape[x.rank - 1] == weight.shape[1],
      "Linear: input \(x._signature) does not end in \(weight.shape[1]) features")
    let y = x.matmul(weight.T)
    guard let bias else { return y }
    return y + bias
  }
}
