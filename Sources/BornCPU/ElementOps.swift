// Element functions used by threaded kernels (see `ElementMap1`).

struct AddOp<T: BinaryFloatingPoint>: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a + b }
}
struct SubOp<T: BinaryFloatingPoint>: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a - b }
}
struct MulOp<T: BinaryFloatingPoint>: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a * b }
}
struct DivOp<T: BinaryFloatingPoint>: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a / b }
}
/// NaN-propagating maximum.
struct MaxOp<T: BinaryFloatingPoint>: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { (a > b || a.isNaN) ? a : b }
}
/// NaN-propagating minimum.
struct MinOp<T: BinaryFloatingPoint>: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { (a < b || a.isNaN) ? a : b }
}

struct EqualOp<T: Comparable>: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a == b }
}
struct NotEqualOp<T: Comparable>: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a != b }
}
struct LessOp<T: Comparable>: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a < b }
}
struct LessEqualOp<T: Comparable>: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a <= b }
}
struct GreaterOp<T: Comparable>: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a > b }
}
struct GreaterEqualOp<T: Comparable>: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: T, _ b: T) -> Bool { a >= b }
}

struct NegOp<T: BinaryFloatingPoint>: ElementMap1 {
  @inline(__always) func callAsFunction(_ x: T) -> T { -x }
}
struct AbsOp<T: BinaryFloatingPoint>: ElementMap1 {
  @inline(__always) func callAsFunction(_ x: T) -> T { Swift.abs(x) }
}
struct SqrtOp<T: BinaryFloatingPoint>: ElementMap1 {
  @inline(__always) func callAsFunction(_ x: T) -> T { x.squareRoot() }
}
struct RsqrtOp<T: BinaryFloatingPoint>: ElementMap1 {
  @inline(__always) func callAsFunction(_ x: T) -> T { 1 / x.squareRoot() }
}
struct ReciprocalOp<T: BinaryFloatingPoint>: ElementMap1 {
  @inline(__always) func callAsFunction(_ x: T) -> T { 1 / x }
}
struct SquareOp<T: BinaryFloatingPoint>: ElementMap1 {
  @inline(__always) func callAsFunction(_ x: T) -> T { x * x }
}
/// max(x, 0) keeping NaN.
struct ReluOp<T: BinaryFloatingPoint>: ElementMap1 {
  @inline(__always) func callAsFunction(_ x: T) -> T { x <= 0 ? 0 : x }
}
struct LeakyReluOp<T: BinaryFloatingPoint>: ElementMap1 {
  let alpha: T
  @inline(__always) func callAsFunction(_ x: T) -> T { x < 0 ? alpha * x : x }
}
struct RoundOp<T: BinaryFloatingPoint>: ElementMap1 {
  let rule: FloatingPointRoundingRule
  @inline(__always) func callAsFunction(_ x: T) -> T { x.rounded(rule) }
}
struct SignOp<T: BinaryFloatingPoint>: ElementMap1 {
  @inline(__always) func callAsFunction(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? -1 : x) }
}
/// Clamps to [low, high], keeping NaN.
struct ClampOp<T: BinaryFloatingPoint>: ElementMap1 {
  let low: T
  let high: T
  @inline(__always) func callAsFunction(_ x: T) -> T { x.isNaN ? x : (x < low ? low : (x > high ? high : x)) }
}

struct WrappingAddOp<T: FixedWidthInteger>: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a &+ b }
}
struct WrappingMulOp<T: FixedWidthInteger>: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { a &* b }
}
struct IntegerMaxOp<T: FixedWidthInteger>: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { Swift.max(a, b) }
}
struct IntegerMinOp<T: FixedWidthInteger>: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: T, _ b: T) -> T { Swift.min(a, b) }
}
struct AndOp: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: Bool, _ b: Bool) -> Bool { a && b }
}
struct OrOp: ElementMap2 {
  @inline(__always) func callAsFunction(_ a: Bool, _ b: Bool) -> Bool { a || b }
}
