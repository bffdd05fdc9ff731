import BornCore

/// 2-D max pooling (no parameters).
public struct MaxPool2d<Element: FloatElement, B: Backend>: Layer {
  public var kernel: (Int, Int)
  public var stride: (Int, Int)?
  public var padding: (Int, Int)
  public var dilation: (Int, Int)
  public var ceilMode: Bool

  public init(
    kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
    ceilMode: Bool = false
  ) {
    self.kernel = kernel
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
    self.ceilMode = ceilMode
  }

  /// Square windows: `MaxPool2d(2)`.
  public init(_ size: Int) { self.init(kernel: (size, size)) }

  public mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>) {}

  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> {
    x.maxPool2d(kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
  }
}

/// 2-D average pooling (no parameters).
public struct AvgPool2d<Element: FloatElement, B: Backend>: Layer {
  public var kernel: (Int, Int)
  public var stride: (Int, Int)?
  public var padding: (Int, Int)
  public var ceilMode: Bool
  public var countIncludePad: Bool

  public init(
    kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), ceilMode: Bool = false,
    countIncludePad: Bool = true
  ) {
    self.kernel = kernel
    self.stride = stride
    self.padding = padding
    self.ceilMode = ceilMode
    self.countIncludePad = countIncludePad
  }

  public init(_ size: Int) { self.init(kernel: (size, size)) }

  public mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>) {}

  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> {
    x.avgPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
  }
}

/// Average pooling to a fixed output size (PyTorch's window rule: start = ⌊i·H/oh⌋,
/// end = ⌈(i+1)·H/oh⌉).
public struct AdaptiveAvgPool2d<Element: FloatElement, B: Backend>: Layer {
  public var outputSize: (Int, Int)

  public init(_ outputSize: (Int, Int)) { self.outputSize = outputSize }

  public mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>) {}

  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> {
    precondition(x.rank == 4, "AdaptiveAvgPool2d: input must be [N, C, H, W], got \(x._signature)")
    let (h, w) = (x.shape[2], x.shape[3])
    let (oh, ow) = outputSize
    precondition(oh >= 1 && ow >= 1, "AdaptiveAvgPool2d: output size \(outputSize) must be positive")
    if h % oh == 0 && w % ow == 0 {
      return x.avgPool2d(kernel: (h / oh, w / ow))
    }
    var rows: [Tensor<Element, B>] = []
    for i in 0..<oh {
      let h0 = i * h / oh
      let h1 = ((i + 1) * h + oh - 1) / oh
      var cols: [Tensor<Element, B>] = []
      for j in 0..<ow {
        let w0 = j * w / ow
        let w1 = ((j + 1) * w + ow - 1) / ow
        cols.append(x[.all, .all, h0..<h1, w0..<w1].mean(axes: [2, 3]))
      }
      rows.append(Tensor.stack(cols, axis: -1))
    }
    return Tensor.stack(rows, axis: -2)
  }
}

/// Merges axes `startAxis...endAxis` (PyTorch's `nn.Flatten`, default from axis 1).
public struct Flatten<Element: FloatElement, B: Backend>: Layer {
  public var startAxis: Int
  public var endAxis: Int

  public init(startAxis: Int = 1, endAxis: Int = -1) {
    self.startAxis = startAxis
    self.endAxis = endAxis
  }

  public mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>) {}

  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> {
    x.flattened(from: startAxis, to: endAxis)
  }
}
