import BornCore

/// 2-D convolution over NCHW input; weight [out, in/groups, kh, kw], bias [out].
///
/// ```swift
/// var g = RandomGenerator(seed: 0)
/// let conv = Conv2d<Float, CPU>(1, 6, kernelSize: (5, 5), using: &g)
/// ```
public struct Conv2d<Element: FloatElement, B: Backend>: Layer {
  public var weight: Tensor<Element, B>
  public var bias: Tensor<Element, B>?
  public var stride: (Int, Int)
  public var padding: (Int, Int)
  public var dilation: (Int, Int)
  public var groups: Int

  public init(
    weight: Tensor<Element, B>, bias: Tensor<Element, B>?, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
    dilation: (Int, Int) = (1, 1), groups: Int = 1
  ) {
    precondition(weight.rank == 4, "Conv2d: weight must be [out, in/groups, kh, kw], got \(weight._signature)")
    self.weight = weight
    self.bias = bias
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
    self.groups = groups
  }

  /// A layer initialized like PyTorch's `nn.Conv2d`.
  public init(
    _ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
    padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
    using g: inout RandomGenerator, on device: B.Device = B.defaultDevice
  ) {
    precondition(
      groups >= 1 && inChannels % groups == 0 && outChannels % groups == 0,
      "Conv2d: \(inChannels) → \(outChannels) channels do not divide into \(groups) groups")
    let shape: Shape = [outChannels, inChannels / groups, kernelSize.0, kernelSize.1]
    let w: Tensor<Element, B> = Initializer.pytorchDefaultWeight(shape, using: &g, on: device)
    let fanIn = Initializer.fans(shape).fanIn
    let b: Tensor<Element, B>? =
      bias ? Initializer.pytorchDefaultBias(outChannels, fanIn: fanIn, using: &g, on: device) : nil
    self.init(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups)
  }

  public mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>) {
    visit(prefix + "weight", &weight)
    if bias != nil { visit(prefix + "bias", &bias!) }
  }

  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> {
    x.conv2d(weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
  }
}

/// 1-D convolution over NCL input; weight [out, in/groups, k], bias [out].
public struct Conv1d<Element: FloatElement, B: Backend>: Layer {
  public var weight: Tensor<Element, B>
  public var bias: Tensor<Element, B>?
  public var stride: Int
  public var padding: Int
  public var dilation: Int
  public var groups: Int

  /// A layer initialized like PyTorch's `nn.Conv1d`.
  public init(
    _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
    groups: Int = 1, bias: Bool = true, using g: inout RandomGenerator, on device: B.Device = B.defaultDevice
  ) {
    precondition(
      groups >= 1 && inChannels % groups == 0 && outChannels % groups == 0,
      "Conv1d: \(inChannels) → \(outChannels) channels do not divide into \(groups) groups")
    let shape: Shape = [outChannels, inChannels / groups, kernelSize]
    weight = Initializer.pytorchDefaultWeight(shape, using: &g, on: device)
    let fanIn = Initializer.fans(shape).fanIn
    self.bias = bias ? Initializer.pytorchDefaultBias(outChannels, fanIn: fanIn, using: &g, on: device) : nil
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
    self.groups = groups
  }

  public mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>) {
    visit(prefix + "weight", &weight)
    if bias != nil { visit(prefix + "bias", &bias!) }
  }

  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> {
    x.conv1d(weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
  }
}
