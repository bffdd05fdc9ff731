/// A type that can be the element of a ``Tensor``.
///
/// Conforming types: `Float`, `Double`, `Float16`, ``BFloat16``, `Int8`, `Int32`, `Int64`,
/// `UInt8` and `Bool`. Each names its ``DType``; conversions between them go through
/// ``TensorElement/init(bornConverting:)`` and follow Born's casting rules:
///
/// - float → float rounds to nearest, ties to even; overflow gives ±infinity; NaN stays NaN.
/// - float → integer truncates toward zero and saturates at the type's bounds; NaN gives 0.
/// - integer → integer wraps (two's complement), as in NumPy and PyTorch.
/// - integer → float rounds to nearest, ties to even.
/// - anything → Bool is `value != 0` (NaN is true); Bool → number is 0 or 1.
public protocol TensorElement: Sendable, Equatable {
  /// The storage type tag of this element type.
  static var dtype: DType { get }
  /// The value converted from a `Double` with Born's casting rules.
  init(bornConverting value: Double)
  /// The value as a `Double` (exact for every type but `Int64` beyond 2⁵³).
  var bornDouble: Double { get }
}

/// Element types with arithmetic: every ``TensorElement`` but `Bool`.
public protocol NumericElement: TensorElement {}

/// Floating-point element types: `Float`, `Double`, `Float16`, ``BFloat16``.
public protocol FloatElement: NumericElement {}

/// Integer element types: `Int8`, `Int32`, `Int64`, `UInt8`.
public protocol IntegerElement: NumericElement {}

@usableFromInline func saturatingInteger<I: FixedWidthInteger>(_ value: Double, as: I.Type) -> I {
  if value.isNaN { return 0 }
  if value <= Double(I.min) { return I.min }
  if value >= Double(I.max) { return I.max }
  return I(value.rounded(.towardZero))
}

extension Float: FloatElement {
  @inlinable public static var dtype: DType { .f32 }
  @inlinable public init(bornConverting value: Double) { self = Float(value) }
  @inlinable public var bornDouble: Double { Double(self) }
}

extension Double: FloatElement {
  @inlinable public static var dtype: DType { .f64 }
  @inlinable public init(bornConverting value: Double) { self = value }
  @inlinable public var bornDouble: Double { self }
}

extension Float16: FloatElement {
  @inlinable public static var dtype: DType { .f16 }
  @inlinable public init(bornConverting value: Double) { self = Float16(value) }
  @inlinable public var bornDouble: Double { Double(self) }
}

extension BFloat16: FloatElement {
  @inlinable public static var dtype: DType { .bf16 }
  @inlinable public init(bornConverting value: Double) { self = BFloat16(value) }
  @inlinable public var bornDouble: Double { Double(floatValue) }
}

extension Int8: IntegerElement {
  @inlinable public static var dtype: DType { .i8 }
  @inlinable public init(bornConverting value: Double) { self = saturatingInteger(value, as: Int8.self) }
  @inlinable public var bornDouble: Double { Double(self) }
}

extension Int32: IntegerElement {
  @inlinable public static var dtype: DType { .i32 }
  @inlinable public init(bornConverting value: Double) { self = saturatingInteger(value, as: Int32.self) }
  @inlinable public var bornDouble: Double { Double(self) }
}

extension Int64: IntegerElement {
  @inlinable public static var dtype: DType { .i64 }
  @inlinable public init(bornConverting value: Double) { self = saturatingInteger(value, as: Int64.self) }
  @inlinable public var bornDouble: Double { Double(self) }
}

extension UInt8: IntegerElement {
  @inlinable public static var dtype: DType { .u8 }
  @inlinable public init(bornConverting value: Double) { self = saturatingInteger(value, as: UInt8.self) }
  @inlinable public var bornDouble: Double { Double(self) }
}

extension Bool: TensorElement {
  @inlinable public static var dtype: DType { .bool }
  @inlinable public init(bornConverting value: Double) { self = value != 0 || value.isNaN }
  @inlinable public var bornDouble: Double { self ? 1 : 0 }
}
