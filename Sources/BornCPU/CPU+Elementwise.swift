import BornCore
import CBornKernels

#if canImport(Glibc)
  import Glibc
#endif

extension CPU {
  public static func unary(_ op: UnaryOp, _ x: CPUStorage, _ layout: Layout, into out: CPUStorage, dtype: DType) {
    switch dtype {
    case .f32: unaryF32(op, x.const(Float.self), layout, out.typed(Float.self))
    case .f64: unaryF64(op, x.const(Double.self), layout, out.typed(Double.self))
    case .f16, .bf16:
      let (wide, wl) = HalfStaging.widen(x, layout, dtype)
      let tmp = CPUStorage(byteCount: layout.elementCount * 4)
      unaryF32(op, wide.const(Float.self), wl, tmp.typed(Float.self))
      HalfStaging.narrow(tmp.const(Float.self), out.raw, layout.elementCount, dtype)
    case .i8: unaryInt(op, x.const(Int8.self), layout, out.typed(Int8.self))
    case .i32: unaryInt(op, x.const(Int32.self), layout, out.typed(Int32.self))
    case .i64: unaryInt(op, x.const(Int64.self), layout, out.typed(Int64.self))
    case .u8: unaryInt(op, x.const(UInt8.self), layout, out.typed(UInt8.self))
    case .bool:
      precondition(op == .logicalNot, "unary: \(op) is not defined for bool tensors")
      map1(x.const(Bool.self), layout, out.typed(Bool.self)) { !$0 }
    }
  }

  static func vmathFunction(_ op: UnaryOp) -> born_vfunc? {
    switch op {
    case .exp: BORN_VEXP
    case .log: BORN_VLOG
    case .log1p: BORN_VLOG1P
    case .expm1: BORN_VEXPM1
    case .tanh: BORN_VTANH
    case .sigmoid: BORN_VSIGMOID
    case .sin: BORN_VSIN
    case .cos: BORN_VCOS
    case .gelu: BORN_VGELU
    case .geluTanh: BORN_VGELU_TANH
    case .silu: BORN_VSILU
    case .softplus: BORN_VSOFTPLUS
    case .erf: BORN_VERF
    default: nil
    }
  }

  static func unaryF32(_ op: UnaryOp, _ x: UnsafePointer<Float>, _ xl: Layout, _ out: UnsafeMutablePointer<Float>) {
    if let f = vmathFunction(op) {
      let plan = StridedPlan(Layout(contiguous: xl.shape), xl)
      plan.forEachRow(grain: 1 << 14) { off, n, st in
        let o = out + off[0]
        if st[1] == 1 {
          born_vmath_f32(f, x + off[1], o, n)
        } else {
          let s = x + off[1]
          for i in 0..<n { o[i] = s[i * st[1]] }
          born_vmath_f32(f, o, o, n)
        }
      }
      return
    }
    if op == .sqrt || op == .rsqrt {
      let plan = StridedPlan(Layout(contiguous: xl.shape), xl)
      plan.forEachRow(grain: 1 << 16) { off, n, st in
        let o = out + off[0]
        var src = x + off[1]
        if st[1] != 1 {
          for i in 0..<n { o[i] = x[off[1] + i * st[1]] }
          src = UnsafePointer(o)
        }
        if op == .sqrt { born_vsqrt_f32(src, o, n) } else { born_vrsqrt_f32(src, o, n) }
      }
      return
    }
    if commonFloatUnary(op, x, xl, out) { return }
    switch op {
    case .elu(let alpha):
      let a = Float(alpha)
      map1(x, xl, out) { $0 > 0 ? $0 : a * expm1f($0) }
    case .powScalar(let p):
      let e = Float(p)
      if p == 0.5 {
        map1(x, xl, out) { $0.squareRoot() }
      } else if p == 3 {
        map1(x, xl, out) { $0 * $0 * $0 }
      } else if p == -1 {
        map1(x, xl, out) { 1 / $0 }
      } else {
        map1(x, xl, out) { powf($0, e) }
      }
    default:
      preconditionFailure("unary: \(op) is not defined for f32")
    }
  }

  static func unaryF64(_ op: UnaryOp, _ x: UnsafePointer<Double>, _ xl: Layout, _ out: UnsafeMutablePointer<Double>) {
    if commonFloatUnary(op, x, xl, out) { return }
    let sqrtHalf = 0.7071067811865476
    let c = 0.7978845608028654  // sqrt(2 / pi)
    switch op {
    case .exp: map1(x, xl, out) { Glibc.exp($0) }
    case .log: map1(x, xl, out) { Glibc.log($0) }
    case .log1p: map1(x, xl, out) { Glibc.log1p($0) }
    case .expm1: map1(x, xl, out) { Glibc.expm1($0) }
    case .tanh: map1(x, xl, out) { Glibc.tanh($0) }
    case .sin: map1(x, xl, out) { Glibc.sin($0) }
    case .cos: map1(x, xl, out) { Glibc.cos($0) }
    case .erf: map1(x, xl, out) { Glibc.erf($0) }
    case .sigmoid: map1(x, xl, out) { $0 >= 0 ? 1 / (1 + Glibc.exp(-$0)) : Glibc.exp($0) / (1 + Glibc.exp($0)) }
    // At ±inf these return their limits (0 and inf) rather than inf·0 = NaN.
    case .gelu: map1(x, xl, out) { $0.isInfinite ? Swift.max($0, 0) : 0.5 * $0 * Glibc.erfc(-$0 * sqrtHalf) }
    case .geluTanh:
      map1(x, xl, out) {
        $0.isInfinite ? Swift.max($0, 0) : 0.5 * $0 * (1 + Glibc.tanh(c * ($0 + 0.044715 * $0 * $0 * $0)))
      }
    case .silu:
      map1(x, xl, out) {
        if $0.isInfinite { return Swift.max($0, 0) }
        return $0 >= 0 ? $0 / (1 + Glibc.exp(-$0)) : $0 * Glibc.exp($0) / (1 + Glibc.exp($0))
      }
    case .softplus: map1(x, xl, out) { $0 > 0 ? $0 + Glibc.log1p(Glibc.exp(-$0)) : Glibc.log1p(Glibc.exp($0)) }
    case .elu(let alpha): map1(x, xl, out) { $0 > 0 ? $0 : alpha * Glibc.expm1($0) }
    case .powScalar(let p): map1(x, xl, out) { Glibc.pow($0, p) }
    default: preconditionFailure("unary: \(op) is not defined for f64")
    }
  }

  /// The float ops that need no libm; returns false for the others.
  @inline(__always)
  static func commonFloatUnary<T: BinaryFloatingPoint>(
    _ op: UnaryOp, _ x: UnsafePointer<T>, _ xl: Layout, _ out: UnsafeMutablePointer<T>
  ) -> Bool {
    switch op {
    case .neg: map1(x, xl, out, NegOp<T>())
    case .abs: map1(x, xl, out, AbsOp<T>())
    case .sqrt: map1(x, xl, out, SqrtOp<T>())
    case .rsqrt: map1(x, xl, out, RsqrtOp<T>())
    case .reciprocal: map1(x, xl, out, ReciprocalOp<T>())
    case .square: map1(x, xl, out, SquareOp<T>())
    case .relu: map1(x, xl, out, ReluOp<T>())
    case .leakyRelu(let alpha): map1(x, xl, out, LeakyReluOp<T>(alpha: T(alpha)))
    case .floor: map1(x, xl, out, RoundOp<T>(rule: .down))
    case .ceil: map1(x, xl, out, RoundOp<T>(rule: .up))
    case .round: map1(x, xl, out, RoundOp<T>(rule: .toNearestOrEven))
    case .sign: map1(x, xl, out, SignOp<T>())
    case .clamp(let lo, let hi): map1(x, xl, out, ClampOp<T>(low: T(lo), high: T(hi)))
    default: return false
    }
    return true
  }

  static func unaryInt<T: FixedWidthInteger>(
    _ op: UnaryOp, _ x: UnsafePointer<T>, _ xl: Layout, _ out: UnsafeMutablePointer<T>
  ) {
    switch op {
    case .neg: map1(x, xl, out) { 0 &- $0 }
    case .abs: map1(x, xl, out) { $0 < 0 ? 0 &- $0 : $0 }
    case .square: map1(x, xl, out) { $0 &* $0 }
    case .relu: map1(x, xl, out) { $0 < 0 ? 0 : $0 }
    case .sign: map1(x, xl, out) { $0 > 0 ? 1 : ($0 < 0 ? 0 &- 1 : 0) }
    case .floor, .ceil, .round: map1(x, xl, out) { $0 }
    case .clamp(let lo, let hi):
      let l = T(clamping: Int64(exactly: lo.rounded(.up)) ?? (lo < 0 ? Int64.min : Int64.max))
      let h = T(clamping: Int64(exactly: hi.rounded(.down)) ?? (hi < 0 ? Int64.min : Int64.max))
      map1(x, xl, out) { $0 < l ? l : ($0 > h ? h : $0) }
    default: preconditionFailure("unary: \(op) is not defined for integer tensors")
    }
  }

  // MARK: Binary

  public static func binary(
    _ op: BinaryOp, _ a: CPUStorage, _ aLayout: Layout, _ b: CPUStorage, _ bLayout: Layout, into out: CPUStorage,
    dtype: DType
  ) {
    switch dtype {
    case .f32:
      let (pa, pb, po) = (a.const(Float.self), b.const(Float.self), out.typed(Float.self))
      switch op {
      case .pow: map2(pa, aLayout, pb, bLayout, po) { powf($0, $1) }
      default: binaryFloat(op, pa, aLayout, pb, bLayout, po)
      }
    case .f64:
      let (pa, pb, po) = (a.const(Double.self), b.const(Double.self), out.typed(Double.self))
      switch op {
      case .pow: map2(pa, aLayout, pb, bLayout, po) { Glibc.pow($0, $1) }
      default: binaryFloat(op, pa, aLayout, pb, bLayout, po)
      }
    case .f16, .bf16:
      let (wa, la) = HalfStaging.widen(a, aLayout, dtype)
      let (wb, lb) = HalfStaging.widen(b, bLayout, dtype)
      let tmp = CPUStorage(byteCount: aLayout.elementCount * 4)
      binary(op, wa, la, wb, lb, into: tmp, dtype: .f32)
      HalfStaging.narrow(tmp.const(Float.self), out.raw, aLayout.elementCount, dtype)
    case .i8: binaryInt(op, a.const(Int8.self), aLayout, b.const(Int8.self), bLayout, out.typed(Int8.self))
    case .i32: binaryInt(op, a.const(Int32.self), aLayout, b.const(Int32.self), bLayout, out.typed(Int32.self))
    case .i64: binaryInt(op, a.const(Int64.self), aLayout, b.const(Int64.self), bLayout, out.typed(Int64.self))
    case .u8: binaryInt(op, a.const(UInt8.self), aLayout, b.const(UInt8.self), bLayout, out.typed(UInt8.self))
    case .bool:
      let (pa, pb, po) = (a.const(Bool.self), b.const(Bool.self), out.typed(Bool.self))
      switch op {
      case .and: map2(pa, aLayout, pb, bLayout, po) { $0 && $1 }
      case .or: map2(pa, aLayout, pb, bLayout, po) { $0 || $1 }
      case .xor: map2(pa, aLayout, pb, bLayout, po) { $0 != $1 }
      default: preconditionFailure("binary: \(op) is not defined for bool tensors")
      }
    }
  }

  @inline(__always)
  static func binaryFloat<T: BinaryFloatingPoint>(
    _ op: BinaryOp, _ a: UnsafePointer<T>, _ al: Layout, _ b: UnsafePointer<T>, _ bl: Layout,
    _ out: UnsafeMutablePointer<T>
  ) {
    switch op {
    case .add: map2(a, al, b, bl, out, AddOp<T>())
    case .sub: map2(a, al, b, bl, out, SubOp<T>())
    case .mul: map2(a, al, b, bl, out, MulOp<T>())
    case .div: map2(a, al, b, bl, out, DivOp<T>())
    case .maximum: map2(a, al, b, bl, out, MaxOp<T>())
    case .minimum: map2(a, al, b, bl, out, MinOp<T>())
    default: preconditionFailure("binary: \(op) is not defined for floating-point tensors")
    }
  }

  static func binaryInt<T: FixedWidthInteger>(
    _ op: BinaryOp, _ a: UnsafePointer<T>, _ al: Layout, _ b: UnsafePointer<T>, _ bl: Layout,
    _ out: UnsafeMutablePointer<T>
  ) {
    switch op {
    case .add: map2(a, al, b, bl, out) { $0 &+ $1 }
    case .sub: map2(a, al, b, bl, out) { $0 &- $1 }
    case .mul: map2(a, al, b, bl, out) { $0 &* $1 }
    case .div:
      map2(a, al, b, bl, out) { x, y in
        if y == 0 { return 0 }
        return x.dividedReportingOverflow(by: y).partialValue
      }
    case .maximum: map2(a, al, b, bl, out) { Swift.max($0, $1) }
    case .minimum: map2(a, al, b, bl, out) { Swift.min($0, $1) }
    case .pow: map2(a, al, b, bl, out) { integerPower($0, $1) }
    default: preconditionFailure("binary: \(op) is not defined for integer tensors")
    }
  }

  /// base^exponent with wrapping; negative exponents give 0 except for bases 1 and -1.
  @inline(__always)
  static func integerPower<T: FixedWidthInteger>(_ base: T, _ exponent: T) -> T {
    if exponent < 0 {
      if base == 1 { return 1 }
      if T.isSigned && base == 0 &- 1 { return exponent & 1 == 0 ? 1 : base }
      return 0
    }
    var result: T = 1
    var b = base
    var e = exponent
    while e > 0 {
      if e & 1 == 1 { result = result &* b }
      b = b &* b
      e >>= 1
    }
    return result
  }

  // MARK: Comparisons, tests, selection

  public static func compare(
    _ op: CompareOp, _ a: CPUStorage, _ aLayout: Layout, _ b: CPUStorage, _ bLayout: Layout, into out: CPUStorage,
    dtype: DType
  ) {
    let po = out.typed(Bool.self)
    func run<T: Comparable>(_: T.Type) {
      let (pa, pb) = (a.const(T.self), b.const(T.self))
      switch op {
      case .equal: map2(pa, aLayout, pb, bLayout, po, EqualOp<T>())
      case .notEqual: map2(pa, aLayout, pb, bLayout, po, NotEqualOp<T>())
      case .less: map2(pa, aLayout, pb, bLayout, po, LessOp<T>())
      case .lessEqual: map2(pa, aLayout, pb, bLayout, po, LessEqualOp<T>())
      case .greater: map2(pa, aLayout, pb, bLayout, po, GreaterOp<T>())
      case .greaterEqual: map2(pa, aLayout, pb, bLayout, po, GreaterEqualOp<T>())
      }
    }
    switch dtype {
    case .f32: run(Float.self)
    case .f64: run(Double.self)
    case .f16, .bf16:
      let (wa, la) = HalfStaging.widen(a, aLayout, dtype)
      let (wb, lb) = HalfStaging.widen(b, bLayout, dtype)
      compare(op, wa, la, wb, lb, into: out, dtype: .f32)
    case .i8: run(Int8.self)
    case .i32: run(Int32.self)
    case .i64: run(Int64.self)
    case .u8: run(UInt8.self)
    case .bool:
      let (pa, pb) = (a.const(UInt8.self), b.const(UInt8.self))
      switch op {
      case .equal: map2(pa, aLayout, pb, bLayout, po) { $0 == $1 }
      case .notEqual: map2(pa, aLayout, pb, bLayout, po) { $0 != $1 }
      default: preconditionFailure("compare: \(op) is not defined for bool tensors")
      }
    }
  }

  public static func test(_ test: ElementTest, _ x: CPUStorage, _ layout: Layout, into out: CPUStorage, dtype: DType) {
    func run<T: BinaryFloatingPoint>(_ p: UnsafePointer<T>, _ l: Layout) {
      let po = out.typed(Bool.self)
      switch test {
      case .isNaN: map1(p, l, po) { $0.isNaN }
      case .isInfinite: map1(p, l, po) { $0.isInfinite }
      case .isFinite: map1(p, l, po) { $0.isFinite }
      }
    }
    switch dtype {
    case .f32: run(x.const(Float.self), layout)
    case .f64: run(x.const(Double.self), layout)
    case .f16, .bf16:
      let (w, l) = HalfStaging.widen(x, layout, dtype)
      run(w.const(Float.self), l)
    default:
      // Integers and bools are always finite.
      let po = out.typed(Bool.self)
      let v = test == .isFinite
      for i in 0..<layout.elementCount { po[i] = v }
    }
  }

  public static func select(
    _ cond: CPUStorage, _ condLayout: Layout, _ a: CPUStorage, _ aLayout: Layout, _ b: CPUStorage, _ bLayout: Layout,
    into out: CPUStorage, dtype: DType
  ) {
    let c = cond.const(Bool.self)
    switch dtype.byteSize {
    case 1: select3(c, condLayout, a.const(UInt8.self), aLayout, b.const(UInt8.self), bLayout, out.typed(UInt8.self))
    case 2: select3(c, condLayout, a.const(UInt16.self), aLayout, b.const(UInt16.self), bLayout, out.typed(UInt16.self))
    case 4: select3(c, condLayout, a.const(UInt32.self), aLayout, b.const(UInt32.self), bLayout, out.typed(UInt32.self))
    default:
      select3(c, condLayout, a.const(UInt64.self), aLayout, b.const(UInt64.self), bLayout, out.typed(UInt64.self))
    }
  }
}
