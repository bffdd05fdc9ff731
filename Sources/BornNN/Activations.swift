import BornCore

/// Declares a parameterless layer that applies a tensor function.
public protocol ActivationLayer: Layer where Input == Tensor<Element, B>, Output == Tensor<Element, B> {}

extension ActivationLayer {
  public mutating func visitParameters(prefix: String, _ visit: ParameterVisitor<Element, B>) {}
}

public struct ReLU<Element: FloatElement, B: Backend>: ActivationLayer {
  public init() {}
  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> { x.relu() }
}

public struct LeakyReLU<Element: FloatElement, B: Backend>: ActivationLayer {
  public var alpha: Double
  public init(alpha: Double = 0.01) { self.alpha = alpha }
  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> { x.leakyRelu(alpha: alpha) }
}

public struct ELU<Element: FloatElement, B: Backend>: ActivationLayer {
  public var alpha: Double
  public init(alpha: Double = 1) { self.alpha = alpha }
  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> { x.elu(alpha: alpha) }
}

public struct GELU<Element: FloatElement, B: Backend>: ActivationLayer {
  public var approximate: Bool
  public init(approximate: Bool = false) { self.approximate = approximate }
  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> { x.gelu(approximate: approximate) }
}

public struct SiLU<Element: FloatElement, B: Backend>: ActivationLayer {
  public init() {}
  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> { x.silu() }
}

public struct Tanh<Element: FloatElement, B: Backend>: ActivationLayer {
  public init() {}
  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> { x.tanh() }
}

public struct Sigmoid<Element: FloatElement, B: Backend>: ActivationLayer {
  public init() {}
  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> { x.sigmoid() }
}

public struct Softplus<Element: FloatElement, B: Backend>: ActivationLayer {
  public init() {}
  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> { x.softplus() }
}

public struct Softmax<Element: FloatElement, B: Backend>: ActivationLayer {
  public var axis: Int
  public init(axis: Int = -1) { self.axis = axis }
  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> { x.softmax(axis: axis) }
}

public struct LogSoftmax<Element: FloatElement, B: Backend>: ActivationLayer {
  public var axis: Int
  public init(axis: Int = -1) { self.axis = axis }
  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> { x.logSoftmax(axis: axis) }
}

public struct Identity<Element: FloatElement, B: Backend>: ActivationLayer {
  public init() {}
  public func callAsFunction(_ x: Tensor<Element, B>) -> Tensor<Element, B> { x }
}
