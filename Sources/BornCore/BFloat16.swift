/// A 16-bit "brain" floating-point number: the upper half of an IEEE-754 `Float`.
///
/// Conversion from `Float` rounds to nearest, ties to even; NaN stays NaN (quiet, sign kept);
/// values beyond the largest finite bfloat16 round to ±infinity.
///
/// ```swift
/// let b = BFloat16(3.14159)
/// print(Float(b))  // 3.140625
/// ```
@frozen public struct BFloat16: Sendable, Hashable, CustomStringConvertible {
  /// The raw bit pattern.
  public var bitPattern: UInt16

  /// Creates a value from its raw bit pattern.
  @inlinable public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

  /// Rounds a `Float` to the nearest bfloat16 (ties to even).
  @inlinable public init(_ value: Float) {
    let bits = value.bitPattern
    if value.isNaN {
      bitPattern = UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
    } else {
      let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
      bitPattern = UInt16(truncatingIfNeeded: rounded >> 16)
    }
  }

  /// Rounds a `Double` to bfloat16 with a single rounding (ties to even).
  @inlinable public init(_ value: Double) {
    // Double → Float → bf16 would round twice. Truncate to Float instead and keep a sticky
    // bit below bf16's rounding position when digits were dropped.
    var f = Float(value)
    if f.isFinite && value.isFinite && Double(f) != value {
      if abs(Double(f)) > abs(value) { f = f > 0 ? f.nextDown : f.nextUp }
      f = Float(bitPattern: f.bitPattern | 1)
    }
    self.init(f)
  }

  /// The value as a `Float` (exact).
  @inlinable public var floatValue: Float { Float(bitPattern: UInt32(bitPattern) << 16) }

  public var description: String { floatValue.description }

  @inlinable public var isNaN: Bool { floatValue.isNaN }
}

extension Float {
  /// The exact `Float` value of a bfloat16.
  @inlinable public init(_ value: BFloat16) { self = value.floatValue }
}

extension Double {
  /// The exact `Double` value of a bfloat16.
  @inlinable public init(_ value: BFloat16) { self = Double(value.floatValue) }
}
