import Synchronization

/// A seedable pseudo-random generator (xoshiro256**) whose streams are identical on every run
/// and machine: it uses only integer arithmetic and IEEE basic operations (no libm).
///
/// ```swift
/// var g = RandomGenerator(seed: 42)
/// let x = Tensor<Float, CPU>.randn([2, 3], using: &g)
/// ```
public struct RandomGenerator: RandomNumberGenerator, Sendable, Hashable {
  /// The four words of generator state (exposed so checkpoints can save and restore it).
  public var state: (UInt64, UInt64, UInt64, UInt64)

  /// A generator seeded from `seed` (expanded with SplitMix64).
  public init(seed: UInt64) {
    var s = seed
    func splitmix() -> UInt64 {
      s &+= 0x9E37_79B9_7F4A_7C15
      var z = s
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (splitmix(), splitmix(), splitmix(), splitmix())
  }

  public static func == (a: Self, b: Self) -> Bool {
    a.state.0 == b.state.0 && a.state.1 == b.state.1 && a.state.2 == b.state.2 && a.state.3 == b.state.3
  }

  public func hash(into h: inout Hasher) {
    h.combine(state.0)
    h.combine(state.1)
    h.combine(state.2)
    h.combine(state.3)
  }

  @inlinable public mutating func next() -> UInt64 {
    let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = state.3 << 45 | state.3 >> 19
    return result
  }

  /// A uniform value in [0, 1) with `bits` random mantissa bits (1...53).
  @inlinable public mutating func nextUnit(bits: Int = 53) -> Double {
    Double(next() >> UInt64(64 - bits)) * Double(sign: .plus, exponent: -bits, significand: 1)
  }

  /// A standard normal value (Box–Muller on deterministic log and cosine).
  public mutating func nextNormal() -> Double {
    let u1 = 1 - nextUnit()  // (0, 1]
    let u2 = nextUnit()
    return (-2 * deterministicLog(u1)).squareRoot() * deterministicCosTwoPi(u2)
  }

  /// The process-wide generator used when no generator is passed.
  public static let global = Mutex(RandomGenerator(seed: 0x5EED_B0A2))

  /// Reseeds the process-wide generator.
  public static func manualSeed(_ seed: UInt64) {
    global.withLock { $0 = RandomGenerator(seed: seed) }
  }
}

/// Natural logarithm of x > 0 from basic IEEE operations only.
func deterministicLog(_ x: Double) -> Double {
  var e = Int(x.exponent)
  var m = x.significand  // [1, 2)
  if m > 1.4142135623730951 {
    m *= 0.5
    e += 1
  }
  let s = (m - 1) / (m + 1)
  let s2 = s * s
  var term = s
  var sum = 0.0
  var k = 1.0
  for _ in 0..<14 {
    sum += term / k
    term *= s2
    k += 2
  }
  return 2 * sum + Double(e) * 0.6931471805599453
}

/// cos(2πu) for u in [0, 1) from basic IEEE operations only.
func deterministicCosTwoPi(_ u: Double) -> Double {
  let t = u * 4
  let q = Int(t)
  let theta = (t - Double(q)) * (Double.pi / 2)
  let t2 = theta * theta
  var sinSum = 0.0
  var cosSum = 0.0
  var s = theta
  var c = 1.0
  var n = 1.0
  for _ in 0..<13 {
    sinSum += s
    cosSum += c
    c = -c * t2 / (n * (n + 1))
    s = -s * t2 / ((n + 1) * (n + 2))
    n += 2
  }
  switch q & 3 {
  case 0: return cosSum
  case 1: return -sinSum
  case 2: return -cosSum
  default: return sinSum
  }
}
