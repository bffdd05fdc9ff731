import BornCore

/// Weight initializations. Each draws from a ``RandomGenerator`` so models are reproducible.
///
/// `fanIn`/`fanOut` follow PyTorch: for a weight of shape [out, in, k...], fanIn = in·Πk and
/// fanOut = out·Πk.
///
/// ```swift
/// var g = RandomGenerator(seed: 0)
/// let w: Tensor<Float, CPU> = Initializer.kaimingUniform([128, 784], using: &g)
/// ```
public enum Initializer {
  /// (fanIn, fanOut) of a weight shape.
  public static func fans(_ shape: Shape) -> (fanIn: Int, fanOut: Int) {
    precondition(shape.count >= 1, "Initializer: a weight needs at least one axis, got \(shape)")
    if shape.count == 1 { return (shape[0], shape[0]) }
    var receptive = 1
    for i in 2..<shape.count { receptive *= shape[i] }
    return (shape[1] * receptive, shape[0] * receptive)
  }

  /// U(low, high).
  public static func uniform<E: FloatElement, B: Backend>(
    _ shape: Shape, low: Double = 0, high: Double = 1, using g: inout RandomGenerator,
    on device: B.Device = B.defaultDevice
  ) -> Tensor<E, B> {
    Tensor<E, B>.uniform(shape, low: low, high: high, using: &g, on: device)
  }

  /// N(mean, std²).
  public static func normal<E: FloatElement, B: Backend>(
    _ shape: Shape, mean: Double = 0, std: Double = 1, using g: inout RandomGenerator,
    on device: B.Device = B.defaultDevice
  ) -> Tensor<E, B> {
    Tensor<E, B>.normal(shape, mean: mean, std: std, using: &g, on: device)
  }

  public static func zeros<E: FloatElement, B: Backend>(_ shape: Shape, on device: B.Device = B.defaultDevice)
    -> Tensor<E, B>
  {
    Tensor<E, B>.zeros(shape, on: device)
  }

  public static func ones<E: FloatElement, B: Backend>(_ shape: Shape, on device: B.Device = B.defaultDevice) -> Tensor<
    E, B
  > {
    Tensor<E, B>.ones(shape, on: device)
  }

  /// The gain for a nonlinearity (PyTorch's `calculate_gain`).
  public static func gain(_ nonlinearity: String, parameter: Double = 0.01) -> Double {
    switch nonlinearity {
    case "relu": 2.0.squareRoot()
    case "tanh": 5.0 / 3
    case "leaky_relu": (2 / (1 + parameter * parameter)).squareRoot()
    case "selu": 0.75
    default: 1
    }
  }

  /// Xavier/Glorot uniform: U(±gain·√(6 / (fanIn + fanOut))).
  public static func xavierUniform<E: FloatElement, B: Backend>(
    _ shape: Shape, gain: Double = 1, using g: inout RandomGenerator, on device: B.Device = B.defaultDevice
  ) -> Tensor<E, B> {
    let (fi, fo) = fans(shape)
    let a = gain * (6 / Double(fi + fo)).squareRoot()
    return uniform(shape, low: -a, high: a, using: &g, on: device)
  }

  /// Xavier/Glorot normal: N(0, gain²·2 / (fanIn + fanOut)).
  public static func xavierNormal<E: FloatElement, B: Backend>(
    _ shape: Shape, gain: Double = 1, using g: inout RandomGenerator, on device: B.Device = B.defaultDevice
  ) -> Tensor<E, B> {
    let (fi, fo) = fans(shape)
    return normal(shape, std: gain * (2 / Double(fi + fo)).squareRoot(), using: &g, on: device)
  }

  /// Kaiming/He uniform: U(±gain/√fan · √3), gain from `nonlinearity` (leaky_relu with slope `a`).
  public static func kaimingUniform<E: FloatElement, B: Backend>(
    _ shape: Shape, a: Double = 0, fanOutMode: Bool = false, nonlinearity: String = "leaky_relu",
    using g: inout RandomGenerator, on device: B.Device = B.defaultDevice
  ) -> Tensor<E, B> {
    let (fi, fo) = fans(shape)
    let std = gain(nonlinearity, parameter: a) / Double(fanOutMode ? fo : fi).squareRoot()
    let bound = 3.0.squareRoot() * std
    return uniform(shape, low: -bound, high: bound, using: &g, on: device)
  }

  /// Kaiming/He normal: N(0, (gain/√fan)²).
  public static func kaimingNormal<E: FloatElement, B: Backend>(
    _ shape: Shape, a: Double = 0, fanOutMode: Bool = false, nonlinearity: String = "leaky_relu",
    using g: inout RandomGenerator, on device: B.Device = B.defaultDevice
  ) -> Tensor<E, B> {
    let (fi, fo) = fans(shape)
    return normal(
      shape, std: gain(nonlinearity, parameter: a) / Double(fanOutMode ? fo : fi).squareRoot(), using: &g, on: device)
  }

  /// PyTorch's default for Linear and Conv weights: kaiming uniform with a = √5, i.e.
  /// U(±1/√fanIn).
  public static func pytorchDefaultWeight<E: FloatElement, B: Backend>(
    _ shape: Shape, using g: inout RandomGenerator, on device: B.Device = B.defaultDevice
  ) -> Tensor<E, B> {
    kaimingUniform(shape, a: 5.0.squareRoot(), using: &g, on: device)
  }

  /// PyTorch's default for Linear and Conv biases: U(±1/√fanIn).
  public static func pytorchDefaultBias<E: FloatElement, B: Backend>(
    _ count: Int, fanIn: Int, using g: inout RandomGenerator, on device: B.Device = B.defaultDevice
  ) -> Tensor<E, B> {
    let bound = fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
    return uniform([count], low: -bound, high: bound, using: &g, on: device)
  }
}
