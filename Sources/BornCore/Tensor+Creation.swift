// Factory functions: constants, ranges, identity, random tensors.

extension Tensor {
  /// A tensor of the given shape with every element equal to `value`.
  ///
  /// ```swift
  /// let x = Tensor<Float, CPU>.full([2, 2], 7)
  /// ```
  public static func full(_ shape: Shape, _ value: Element, on device: B.Device = B.defaultDevice) -> Tensor {
    let storage = B.allocate(shape.elementCount, dtype: Element.dtype, on: device)
    B.fill(storage, count: shape.elementCount, value: value.bornDouble, dtype: Element.dtype)
    return Tensor(storage: storage, layout: Layout(contiguous: shape))
  }

  /// All zeros (false for Bool).
  public static func zeros(_ shape: Shape, on device: B.Device = B.defaultDevice) -> Tensor {
    full(shape, Element(bornConverting: 0), on: device)
  }

  /// All ones (true for Bool).
  public static func ones(_ shape: Shape, on device: B.Device = B.defaultDevice) -> Tensor {
    full(shape, Element(bornConverting: 1), on: device)
  }

  /// Zeros with the shape and device of `other`.
  public static func zeros<E>(like other: Tensor<E, B>) -> Tensor { zeros(other.shape, on: other.device) }
  /// Ones with the shape and device of `other`.
  public static func ones<E>(like other: Tensor<E, B>) -> Tensor { ones(other.shape, on: other.device) }
  /// `value` everywhere, with the shape and device of `other`.
  public static func full<E>(like other: Tensor<E, B>, _ value: Element) -> Tensor {
    full(other.shape, value, on: other.device)
  }
}

extension Tensor where Element: NumericElement {
  /// Values from `start` up to (not including) `end` in steps of `step`.
  ///
  /// ```swift
  /// Tensor<Int32, CPU>.arange(0, 10, step: 3)  // [0, 3, 6, 9]
  /// ```
  public static func arange(
    _ start: Element, _ end: Element, step: Element = Element(bornConverting: 1), on device: B.Device = B.defaultDevice
  ) -> Tensor {
    let s = step.bornDouble
    check(s != 0 && s.isFinite, "arange: step must be finite and non-zero, got \(s)")
    let span = (end.bornDouble - start.bornDouble) / s
    check(span.isFinite, "arange: non-finite range from \(start) to \(end)")
    let n = Swift.max(0, Int(span.rounded(.up)))
    let storage = B.allocate(n, dtype: Element.dtype, on: device)
    B.arange(into: storage, count: n, start: start.bornDouble, step: s, dtype: Element.dtype)
    return Tensor(storage: storage, layout: Layout(contiguous: [n]))
  }

  /// 0, 1, ..., end - 1.
  public static func arange(_ end: Element, on device: B.Device = B.defaultDevice) -> Tensor {
    arange(Element(bornConverting: 0), end, on: device)
  }

  /// An n×m matrix with ones on the diagonal (m defaults to n).
  public static func eye(_ n: Int, _ m: Int? = nil, on device: B.Device = B.defaultDevice) -> Tensor {
    let cols = m ?? n
    check(n >= 0 && cols >= 0, "eye: negative size \(n)×\(cols)")
    var values = [Element](repeating: Element(bornConverting: 0), count: n * cols)
    for i in 0..<Swift.min(n, cols) { values[i * cols + i] = Element(bornConverting: 1) }
    return Tensor(values, shape: [n, cols], on: device)
  }

  /// Integers drawn uniformly from [low, high).
  public static func randint(
    _ low: Int, _ high: Int, _ shape: Shape, using generator: inout RandomGenerator,
    on device: B.Device = B.defaultDevice
  ) -> Tensor {
    check(high > low, "randint: empty range [\(low), \(high))")
    let range = UInt64(high - low)
    let values = (0..<shape.elementCount).map { _ in
      Element(bornConverting: Double(low + Int(generator.next(upperBound: range))))
    }
    return Tensor(values, shape: shape, on: device)
  }

  /// `randint` drawing from the process-wide generator.
  public static func randint(_ low: Int, _ high: Int, _ shape: Shape, on device: B.Device = B.defaultDevice) -> Tensor {
    RandomGenerator.global.withLock { randint(low, high, shape, using: &$0, on: device) }
  }
}

extension Tensor where Element: FloatElement {
  /// `count` evenly spaced values from `start` to `end` inclusive.
  public static func linspace(_ start: Element, _ end: Element, count: Int, on device: B.Device = B.defaultDevice)
    -> Tensor
  {
    check(count >= 0, "linspace: negative count \(count)")
    let a = start.bornDouble
    let b = end.bornDouble
    let step = count > 1 ? (b - a) / Double(count - 1) : 0
    // Like NumPy: the second half counts back from `end` so both ends are exact.
    let values = (0..<count).map { i -> Element in
      if i == count - 1 { return end }
      return Element(bornConverting: i < count / 2 ? a + Double(i) * step : b - Double(count - 1 - i) * step)
    }
    return Tensor(values, shape: [count], on: device)
  }

  private static var randomBits: Int {
    switch Element.dtype {
    case .f64: 53
    case .f16: 11
    case .bf16: 8
    default: 24
    }
  }

  /// Uniform values in [0, 1).
  ///
  /// ```swift
  /// var g = RandomGenerator(seed: 0)
  /// let u = Tensor<Float, CPU>.rand([3], using: &g)
  /// ```
  public static func rand(_ shape: Shape, using generator: inout RandomGenerator, on device: B.Device = B.defaultDevice)
    -> Tensor
  {
    let bits = randomBits
    let values = (0..<shape.elementCount).map { _ in Element(bornConverting: generator.nextUnit(bits: bits)) }
    return Tensor(values, shape: shape, on: device)
  }

  /// Uniform values in [low, high).
  public static func uniform(
    _ shape: Shape, low: Double, high: Double, using generator: inout RandomGenerator,
    on device: B.Device = B.defaultDevice
  ) -> Tensor {
    let values = (0..<shape.elementCount).map { _ in
      Element(bornConverting: low + (high - low) * generator.nextUnit())
    }
    return Tensor(values, shape: shape, on: device)
  }

  /// Standard normal values (mean 0, standard deviation 1).
  public static func randn(
    _ shape: Shape, using generator: inout RandomGenerator, on device: B.Device = B.defaultDevice
  ) -> Tensor {
    let values = (0..<shape.elementCount).map { _ in Element(bornConverting: generator.nextNormal()) }
    return Tensor(values, shape: shape, on: device)
  }

  /// Normal values with the given mean and standard deviation.
  public static func normal(
    _ shape: Shape, mean: Double, std: Double, using generator: inout RandomGenerator,
    on device: B.Device = B.defaultDevice
  ) -> Tensor {
    let values = (0..<shape.elementCount).map { _ in Element(bornConverting: mean + std * generator.nextNormal()) }
    return Tensor(values, shape: shape, on: device)
  }

  /// `rand` drawing from the process-wide generator (see ``RandomGenerator/manualSeed(_:)``).
  public static func rand(_ shape: Shape, on device: B.Device = B.defaultDevice) -> Tensor {
    RandomGenerator.global.withLock { rand(shape, using: &$0, on: device) }
  }

  /// `randn` drawing from the process-wide generator.
  public static func randn(_ shape: Shape, on device: B.Device = B.defaultDevice) -> Tensor {
    RandomGenerator.global.withLock { randn(shape, using: &$0, on: device) }
  }
}

extension Tensor {
  /// Each element is true (1) with probability `p`.
  public static func bernoulli(
    _ shape: Shape, p: Double, using generator: inout RandomGenerator, on device: B.Device = B.defaultDevice
  ) -> Tensor {
    check(p >= 0 && p <= 1, "bernoulli: probability \(p) is outside [0, 1]")
    let values = (0..<shape.elementCount).map { _ in Element(bornConverting: generator.nextUnit() < p ? 1 : 0) }
    return Tensor(values, shape: shape, on: device)
  }

  /// `bernoulli` drawing from the process-wide generator.
  public static func bernoulli(_ shape: Shape, p: Double, on device: B.Device = B.defaultDevice) -> Tensor {
    RandomGenerator.global.withLock { bernoulli(shape, p: p, using: &$0, on: device) }
  }
}
