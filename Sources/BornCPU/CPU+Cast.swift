import BornCore
import CBornKernels

/// Integer types converted among themselves by wrapping (two's complement truncation).
protocol WrappingInteger: TensorElement {
  var int64Bits: Int64 { get }
  init(wrapping: Int64)
}
extension Int8: WrappingInteger {
  var int64Bits: Int64 { Int64(self) }
  init(wrapping v: Int64) { self.init(truncatingIfNeeded: v) }
}
extension Int32: WrappingInteger {
  var int64Bits: Int64 { Int64(self) }
  init(wrapping v: Int64) { self.init(truncatingIfNeeded: v) }
}
extension Int64: WrappingInteger {
  var int64Bits: Int64 { self }
  init(wrapping v: Int64) { self = v }
}
extension UInt8: WrappingInteger {
  var int64Bits: Int64 { Int64(self) }
  init(wrapping v: Int64) { self.init(truncatingIfNeeded: v) }
}

extension CPU {
  public static func cast(_ src: CPUStorage, _ layout: Layout, from: DType, into dst: CPUStorage, to: DType) {
    let n = layout.elementCount
    if n == 0 { return }
    if from == to {
      copyElements(from: src.raw, layout, to: dst.raw, Layout(contiguous: layout.shape), elementSize: from.byteSize)
      return
    }
    // Fast paths through the C conversion kernels.
    if (from == .f16 || from == .bf16) && to == .f32 {
      let (wide, wl) = HalfStaging.widen(src, layout, from)
      copyElements(from: wide.raw, wl, to: dst.raw, Layout(contiguous: layout.shape), elementSize: 4)
      return
    }
    if from == .f32 && (to == .f16 || to == .bf16) {
      if layout.isContiguous {
        HalfStaging.narrow(src.const(Float.self) + layout.offset, dst.raw, n, to)
      } else {
        let packed = CPUStorage(byteCount: n * 4)
        copyElements(from: src.raw, layout, to: packed.raw, Layout(contiguous: layout.shape), elementSize: 4)
        HalfStaging.narrow(packed.const(Float.self), dst.raw, n, to)
      }
      return
    }
    if from == .f16 || from == .bf16 {
      // Widening to f32 is exact, so this rounds only once.
      let (wide, wl) = HalfStaging.widen(src, layout, from)
      cast(wide, wl, from: .f32, into: dst, to: to)
      return
    }
    switch from {
    case .f32: castFrom(src.const(Float.self), layout, dst, to)
    case .f64: castFrom(src.const(Double.self), layout, dst, to)
    case .i8: castFromInteger(src.const(Int8.self), layout, dst, to)
    case .i32: castFromInteger(src.const(Int32.self), layout, dst, to)
    case .i64: castFromInteger(src.const(Int64.self), layout, dst, to)
    case .u8: castFromInteger(src.const(UInt8.self), layout, dst, to)
    case .bool: castFrom(src.const(Bool.self), layout, dst, to)
    case .f16, .bf16: break
    }
  }

  /// From a float or bool type: through Double (exact), then one rounding or saturation.
  static func castFrom<S: TensorElement>(_ s: UnsafePointer<S>, _ l: Layout, _ dst: CPUStorage, _ to: DType) {
    switch to {
    case .f32: map1(s, l, dst.typed(Float.self)) { Float($0.bornDouble) }
    case .f64: map1(s, l, dst.typed(Double.self)) { $0.bornDouble }
    case .f16: map1(s, l, dst.typed(Float16.self)) { Float16($0.bornDouble) }
    case .bf16: map1(s, l, dst.typed(BFloat16.self)) { BFloat16($0.bornDouble) }
    case .i8: map1(s, l, dst.typed(Int8.self)) { Int8(bornConverting: $0.bornDouble) }
    case .i32: map1(s, l, dst.typed(Int32.self)) { Int32(bornConverting: $0.bornDouble) }
    case .i64: map1(s, l, dst.typed(Int64.self)) { Int64(bornConverting: $0.bornDouble) }
    case .u8: map1(s, l, dst.typed(UInt8.self)) { UInt8(bornConverting: $0.bornDouble) }
    case .bool: map1(s, l, dst.typed(Bool.self)) { Bool(bornConverting: $0.bornDouble) }
    }
  }

  /// From an integer type: wrapping into integers, one rounding into floats.
  static func castFromInteger<S: WrappingInteger>(_ s: UnsafePointer<S>, _ l: Layout, _ dst: CPUStorage, _ to: DType) {
    switch to {
    case .f32: map1(s, l, dst.typed(Float.self)) { Float($0.int64Bits) }
    case .f64: map1(s, l, dst.typed(Double.self)) { Double($0.int64Bits) }
    case .f16: map1(s, l, dst.typed(Float16.self)) { Float16($0.int64Bits) }
    case .bf16: map1(s, l, dst.typed(BFloat16.self)) { BFloat16(Double($0.int64Bits)) }
    case .i8: map1(s, l, dst.typed(Int8.self)) { Int8(wrapping: $0.int64Bits) }
    case .i32: map1(s, l, dst.typed(Int32.self)) { Int32(wrapping: $0.int64Bits) }
    case .i64: map1(s, l, dst.typed(Int64.self)) { $0.int64Bits }
    case .u8: map1(s, l, dst.typed(UInt8.self)) { UInt8(wrapping: $0.int64Bits) }
    case .bool: map1(s, l, dst.typed(Bool.self)) { $0.int64Bits != 0 }
    }
  }
}
