/// The element type of a tensor's storage.
///
/// Every ``TensorElement`` names its `DType`; backends work on untyped storage and switch on it.
///
/// ```swift
/// let x = Tensor<Float, CPU>([1, 2, 3])
/// print(x.dtype)  // f32
/// ```
public enum DType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
  case f32, f64, f16, bf16, i8, i32, i64, u8, bool

  /// Bytes per element.
  @inlinable public var byteSize: Int {
    switch self {
    case .f64, .i64: 8
    case .f32, .i32: 4
    case .f16, .bf16: 2
    case .i8, .u8, .bool: 1
    }
  }

  /// Whether the type is one of the floating-point types (f32, f64, f16, bf16).
  @inlinable public var isFloatingPoint: Bool {
    switch self {
    case .f32, .f64, .f16, .bf16: true
    default: false
    }
  }

  /// Whether the type is one of the integer types (i8, i32, i64, u8).
  @inlinable public var isInteger: Bool {
    switch self {
    case .i8, .i32, .i64, .u8: true
    default: false
    }
  }

  public var description: String {
    switch self {
    case .f32: "f32"
    case .f64: "f64"
    case .f16: "f16"
    case .bf16: "bf16"
    case .i8: "i8"
    case .i32: "i32"
    case .i64: "i64"
    case .u8: "u8"
    case .bool: "bool"
    }
  }
}
