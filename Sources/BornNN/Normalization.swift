import BornAutodiff
import BornCore
import Synchronization

/// Running statistics of a batch-norm layer. A reference type, so that a forward pass in
/// training mode can update them; copies of a model share them.
public final class RunningStatistics<Element: FloatElement, B: Backend>: @unchecked Sendable {
  public var mean: Tensor<Element, B>
  public var variance: Tensor<Element, B>
  init(_ channels: Int, on device: B.Device) {
    mean = .zeros([channels], on: device)
    variance = .ones([channels], on: device)
  }
}

/// Batch normalization over the channel axis (axis 1) of [N, C] or [N, C, ...] input, as
/// PyTorch's `BatchNorm1d`/`BatchNorm2d`: batch statistics (biased variance) in training mode,
/// which also update running statistics (unbiased variance) with `momentum`; running statistics
/// in evaluation mode.
///
/// ```swift
/// let bn = BatchNorm<Float, CPU>(channels: 16)
/// let y = evaluating { bn(x) }
/// ```
public struct BatchNorm<Element: FloatElement, B: Backend>: Layer {
  public var weight: Tensor<Element, B>?
  public var bias: Tensor<Element, B>?
  public let running: RunningStatistics<Element, B>
  public var eps: Double
  public var momentum: Double

  public init(
    channels: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true,
    on device: B.Device = B.defaultDevice
  ) {
    weight = affine ? .ones([channels], on: device) : nil
    bias = affine ? .zeros([channels], on: device) : nil
    running = RunningStatistics(channels, on: device)
    self.eps = eps
    self.momentum = momentum
  }

  public mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>) {
    if weight != nil { visit(prefix + "weight", &weight!) }
    if bias != nil { visit(prefix + "bias", &bias!) }
  }

  public mutating func visitBuffers(prefix: String, _ visit: ParameterVisitor<Element, B>) {
    visit(prefix + "running_mean", &running.mean)
    visit(prefix + "running_var", &running.variance)
  }

  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> {
    let c = running.mean.count
    precondition(x.rank >= 2 && x.shape[1] == c, "BatchNorm: input \(x._signature) must be [N, \(c), ...]")
    var statShape = Array(repeating: 1, count: x.rank)
    statShape[1] = c
    let axes = (0..<x.rank).filter { $0 != 1 }
    let mean: Tensor<Element, B>
    let variance: Tensor<Element, B>
    if ModelMode.isTraining {
      let n = x.count / c
      precondition(n > 1, "BatchNorm: training needs more than one value per channel, got \(x._signature)")
      mean = x.mean(axes: axes, keepingDims: true)
      variance = (x - mean).square().mean(axes: axes, keepingDims: true)
      withoutGrad {
        let m = Element(bornConverting: momentum)
        let keep = Element(bornConverting: 1 - momentum)
        let unbiased = variance.reshaped([c]) * Element(bornConverting: Double(n) / Double(n - 1))
        running.mean = (running.mean * keep + mean.reshaped([c]) * m).copied()
        running.variance = (running.variance * keep + unbiased * m).copied()
      }
    } else {
      mean = running.mean.reshaped(statShape)
      variance = running.variance.reshaped(statShape)
    }
    var y = (x - mean) * (variance + Element(bornConverting: eps)).rsqrt()
    if let weight { y = y * weight.reshaped(statShape) }
    if let bias { y = y + bias.reshaped(statShape) }
    return y
  }
}

/// Normalizes over the trailing axes `normalizedShape` (biased variance), then scales and
/// shifts elementwise, as PyTorch's `LayerNorm`.
public struct LayerNorm<Element: FloatElement, B: Backend>: Layer {
  public var weight: Tensor<Element, B>?
  public var bias: Tensor<Element, B>?
  public var normalizedShape: [Int]
  public var eps: Double

  public init(_ normalizedShape: [Int], eps: Double = 1e-5, affine: Bool = true, on device: B.Device = B.defaultDevice)
  {
    self.normalizedShape = normalizedShape
    self.eps = eps
    weight = affine ? .ones(Shape(normalizedShape), on: device) : nil
    bias = affine ? .zeros(Shape(normalizedShape), on: device) : nil
  }

  public mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>) {
    if weight != nil { visit(prefix + "weight", &weight!) }
    if bias != nil { visit(prefix + "bias", &bias!) }
  }

  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> {
    let k = normalizedShape.count
    precondition(
      x.rank >= k && Array(x.shape.array.suffix(k)) == normalizedShape,
      "LayerNorm: input \(x._signature) does not end in \(normalizedShape)")
    let axes = Array((x.rank - k)..<x.rank)
    let mean = x.mean(axes: axes, keepingDims: true)
    let centered = x - mean
    let variance = centered.square().mean(axes: axes, keepingDims: true)
    var y = centered * (variance + Element(bornConverting: eps)).rsqrt()
    if let weight { y = y * weight }
    if let bias { y = y + bias }
    return y
  }
}

/// Root-mean-square normalization over the last axis: x / √(mean(x²) + eps) · weight.
public struct RMSNorm<Element: FloatElement, B: Backend>: Layer {
  public var weight: Tensor<Element, B>
  public var eps: Double

  public init(_ size: Int, eps: Double = 1e-6, on device: B.Device = B.defaultDevice) {
    weight = .ones([size], on: device)
    self.eps = eps
  }

  public mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>) {
    visit(prefix + "weight", &weight)
  }

  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> {
    precondition(
      x.rank >= 1 && x.shape[x.rank - 1] == weight.count,
      "RMSNorm: input \(x._signature) does not end in \(weight.count)")
    let ms = x.square().mean(axes: [-1], keepingDims: true)
    return x * (ms + Element(bornConverting: eps)).rsqrt() * weight
  }
}

/// Group normalization: channels split into `groups`, each normalized over its channels and
/// spatial positions (biased variance), then a per-channel affine map, as PyTorch's `GroupNorm`.
public struct GroupNorm<Element: FloatElement, B: Backend>: Layer {
  public var weight: Tensor<Element, B>?
  public var bias: Tensor<Element, B>?
  public var groups: Int
  public var channels: Int
  public var eps: Double

  public init(
    groups: Int, channels: Int, eps: Double = 1e-5, affine: Bool = true, on device: B.Device = B.defaultDevice
  ) {
    precondition(
      groups >= 1 && channels % groups == 0, "GroupNorm: \(channels) channels do not divide into \(groups) groups")
    self.groups = groups
    self.channels = channels
    self.eps = eps
    weight = affine ? .ones([channels], on: device) : nil
    bias = affine ? .zeros([channels], on: device) : nil
  }

  public mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>) {
    if weight != nil { visit(prefix + "weight", &weight!) }
    if bias != nil { visit(prefix + "bias", &bias!) }
  }

  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> {
    precondition(
      x.rank >= 2 && x.shape[1] == channels, "GroupNorm: input \(x._signature) must be [N, \(channels), ...]")
    let n = x.shape[0]
    let g = x.reshaped([n, groups, -1])
    let mean = g.mean(axes: [2], keepingDims: true)
    let centered = g - mean
    let variance = centered.square().mean(axes: [2], keepingDims: true)
    var y = (centered * (variance + Element(bornConverting: eps)).rsqrt()).reshaped(x.shape)
    var statShape = Array(repeating: 1, count: x.rank)
    statShape[1] = channels
    if let weight { y = y * weight.reshaped(statShape) }
    if let bias { y = y + bias.reshaped(statShape) }
    return y
  }
}

/// Batch normalization of [N, C] or [N, C, L] input (PyTorch's `BatchNorm1d`).
public typealias BatchNorm1d<Element: FloatElement, B: Backend> = BatchNorm<Element, B>
/// Batch normalization of [N, C, H, W] input (PyTorch's `BatchNorm2d`).
public typealias BatchNorm2d<Element: FloatElement, B: Backend> = BatchNorm<Element, B>
