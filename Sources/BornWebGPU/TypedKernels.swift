import BornCore

// The typed layer under the WebGPU kernels. Storage keeps the host byte layout, so each
// operand is bound as an array of 32-bit words and decoded by bit manipulation: f16 and bf16
// two per word, i8, u8 and Bool four per word, i64 and f64 as pairs of words. Values compute
// in one of four WGSL kinds:
//
//   float  f32         f32, f16, bf16 (widening is exact; results round once on store)
//   int    i32         i32, i8, u8 (sign- or zero-extended; stores keep the low bits, which is
//                      the wrapping the CPU backend does)
//   long   vec2<u32>   i64 as (low word, high word), two's complement
//   bool   bool        Bool
//
// f64 has no kind (WGSL has no 64-bit float): it travels as raw bits, and only conversions
// decode it. Conversions follow the CPU backend bit for bit: float → integer truncates and
// saturates (NaN → 0), integer → integer wraps, integer → float rounds to nearest even from the
// exact integer (through f64 first for bf16, as the CPU does), f32 → f16/bf16 rounds to nearest
// even, NaN payloads as the C kernels keep them. The elementwise ops built from these
// expressions run in fused kernels (Fusion.swift); this file also has the typed reductions,
// the raw-bit helpers and the staging of 1- and 2-byte results.

extension WebGPU {
  enum ValueKind: String {
    case float, int, long, bool

    var wgsl: String {
      switch self {
      case .float: "f32"
      case .int: "i32"
      case .long: "vec2<u32>"
      case .bool: "bool"
      }
    }
  }

  /// The kind a dtype computes in, or nil for f64.
  static func valueKind(_ dtype: DType) -> ValueKind? {
    switch dtype {
    case .f32, .f16, .bf16: .float
    case .i32, .i8, .u8: .int
    case .i64: .long
    case .bool: .bool
    case .f64: nil
    }
  }

  /// WGSL reading element `i` of operand `k` (an array of u32 words) as its value kind.
  static func typedLoad(_ dtype: DType, _ k: Int, _ i: String) -> String {
    switch dtype {
    case .f32: "bitcast<f32>(in\(k)[\(i)])"
    case .f16: "f16_value((in\(k)[\(i) / 2u] >> (16u * (\(i) % 2u))) & 0xffffu)"
    case .bf16: "bf16_value((in\(k)[\(i) / 2u] >> (16u * (\(i) % 2u))) & 0xffffu)"
    case .i32: "bitcast<i32>(in\(k)[\(i)])"
    case .i8: "(bitcast<i32>(in\(k)[\(i) / 4u] << (24u - 8u * (\(i) % 4u))) >> 24u)"
    case .u8: "i32((in\(k)[\(i) / 4u] >> (8u * (\(i) % 4u))) & 0xffu)"
    case .i64: "vec2<u32>(in\(k)[2u * \(i)], in\(k)[2u * \(i) + 1u])"
    case .bool: "(((in\(k)[\(i) / 4u] >> (8u * (\(i) % 4u))) & 0xffu) != 0u)"
    // f64 has no value kind: its raw bits, (low word, high word), for conversions.
    case .f64: "vec2<u32>(in\(k)[2u * \(i)], in\(k)[2u * \(i) + 1u])"
    }
  }

  /// WGSL turning value `r` (already of the dtype's kind) into the dtype's bits, low bits first.
  static func typedBits(_ dtype: DType, _ r: String) -> String {
    switch dtype {
    case .f32: "bitcast<u32>(\(r))"
    case .f16: "f16_bits(\(r))"
    case .bf16: "bf16_bits(\(r))"
    case .i32: "bitcast<u32>(\(r))"
    case .i8, .u8: "(bitcast<u32>(\(r)) & 0xffu)"
    case .bool: "select(0u, 1u, \(r))"
    case .i64, .f64: preconditionFailure("8-byte elements are stored as word pairs")
    }
  }

  /// WGSL rounding value `v` of the dtype's kind to what the dtype can hold: fused kernels keep
  /// results in registers, and must see the same values that storing and reloading would give.
  static func typedRound(_ dtype: DType, _ v: String) -> String {
    switch dtype {
    case .f16: "f16_value(f16_bits(\(v)))"
    case .bf16: "bf16_value(bf16_bits(\(v)))"
    case .i8: "((\(v) << 24u) >> 24u)"
    case .u8: "(\(v) & 255i)"
    default: v
    }
  }

  /// WGSL converting expression `v` of `from`'s kind into `to`'s kind with Born's rules.
  static func convert(_ v: String, from: DType, to: DType) -> String {
    // f64 values travel as raw bits; conversions decode and encode them exactly.
    if from == .f64 || to == .f64 {
      switch (from == .f64 ? valueKind(to) : valueKind(from), from == .f64) {
      case (nil, _): return v
      case (.float, true): return to == .f32 ? "bitcast<f32>(f64_to_f32_bits(\(v)))" : "f64_to_f32_odd(\(v))"
      case (.float, false): return "f32_to_f64(\(v))"
      case (.int, true):
        let (lo, hi): (Int64, Int64) = to == .i32 ? (-2_147_483_648, 2_147_483_647) : to == .i8 ? (-128, 127) : (0, 255)
        return "bitcast<i32>(i64_clamp(f64_to_i64(\(v)), \(i64Literal(lo)), \(i64Literal(hi))).x)"
      case (.int, false): return "i64_to_f64(i64_from_i32(\(v)))"
      case (.long, true): return "f64_to_i64(\(v))"
      case (.long, false): return "i64_to_f64(\(v))"
      case (.bool, true): return "(\(v).x != 0u || (\(v).y & 0x7fffffffu) != 0u)"
      case (.bool, false): return "select(vec2<u32>(0u, 0u), vec2<u32>(0u, 0x3ff00000u), \(v))"
      }
    }
    guard let a = valueKind(from), let b = valueKind(to) else { preconditionFailure("no WGSL conversion") }
    switch (a, b) {
    case (.float, .float), (.int, .int), (.long, .long), (.bool, .bool): return v
    case (.float, .int):
      let (lo, hi) = to == .i32 ? (-2_147_483_648, 2_147_483_647) : to == .i8 ? (-128, 127) : (0, 255)
      return "float_to_int(\(v), \(lo).0, \(hi).0, i32(\(lo)), \(hi)i)"
    case (.float, .long): return "f32_to_i64(\(v))"
    case (.float, .bool): return "(\(v) != 0.0 || is_nan(\(v)))"
    case (.int, .float):
      return to == .bf16 ? "i64_to_bf16_value(i64_from_i32(\(v)))" : "i64_to_f32(i64_from_i32(\(v)), 24u)"
    case (.int, .long): return "i64_from_i32(\(v))"
    case (.int, .bool): return "(\(v) != 0i)"
    case (.long, .float): return to == .bf16 ? "i64_to_bf16_value(\(v))" : "i64_to_f32(\(v), 24u)"
    case (.long, .int): return "bitcast<i32>(\(v).x)"
    case (.long, .bool): return "(\(v).x != 0u || \(v).y != 0u)"
    case (.bool, .float): return "select(0.0, 1.0, \(v))"
    case (.bool, .int): return "select(0i, 1i, \(v))"
    case (.bool, .long): return "vec2<u32>(select(0u, 1u, \(v)), 0u)"
    }
  }

  /// WGSL for the raw bits of element `i` of operand `k` (an array of words) in one word: a
  /// 4-byte element as it is, a 1- or 2-byte one in the low bits. (8-byte elements are two words.)
  static func elementBits(_ dtype: DType, _ k: Int, _ i: String) -> String {
    switch dtype.byteSize {
    case 1: "((in\(k)[\(i) / 4u] >> (8u * (\(i) % 4u))) & 0xffu)"
    case 2: "((in\(k)[\(i) / 2u] >> (16u * (\(i) % 2u))) & 0xffffu)"
    default: "in\(k)[\(i)]"
    }
  }

  /// Where a kernel that writes one element per invocation puts `dtype` results: `out` itself
  /// for 4- and 8-byte elements, else a staging buffer of one word per element (1- and 2-byte
  /// elements share words, which invocations cannot write concurrently) that
  /// ``finishStaged(_:count:dtype:into:)`` packs into `out`.
  static func stagedOutput(_ out: WebGPUStorage, count: Int, dtype: DType) -> WebGPUStorage {
    dtype.byteSize >= 4 ? out : allocate(count, dtype: .i32, on: defaultDevice)
  }

  /// Packs the low bits of each staged word (the raw bits of a 1- or 2-byte element) into `out`;
  /// nothing to do when the kernel wrote `out` directly.
  static func finishStaged(_ staged: WebGPUStorage, count: Int, dtype: DType, into out: WebGPUStorage)
    throws(WebGPUError)
  {
    guard staged !== out, count > 0 else { return }
    let perWord = 4 / dtype.byteSize
    let p = try gpu.upload([UInt32(count)])
    try gpu.dispatch(
      "pack.\(dtype.byteSize)",
      source: """
        @group(0) @binding(0) var<storage, read> staged: array<u32>;
        @group(0) @binding(1) var<storage, read_write> output: array<u32>;
        @group(0) @binding(2) var<storage, read> params: array<u32>;
        \(WebGPUDevice.linearIndex)
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
          let w = linear_index(wid, lid, groups);
          if (w * \(perWord)u >= params[0]) { return; }
          var word = 0u;
          for (var j = 0u; j < \(perWord)u; j++) {
            let e = w * \(perWord)u + j;
            if (e >= params[0]) { break; }
            word = word | (staged[e] << (\(32 / perWord)u * j));
          }
          output[w] = word;
        }
        """, buffers: [staged.buffer, out.buffer, p], workgroups: WebGPUDevice.grid((count + perWord - 1) / perWord),
      output: 1)
  }

  /// The word type a dtype's values take in workgroup memory and comparisons, and the WGSL
  /// loading element `i` of operand `k` as it (Bool as 0 or 1: WGSL has no bool workgroup
  /// arrays or bool ordering).
  static func comparableLoad(_ dtype: DType, _ k: Int, _ i: String) -> (type: String, load: String) {
    guard let kind = valueKind(dtype) else { preconditionFailure("f64 has no value kind") }
    return kind == .bool
      ? ("u32", "select(0u, 1u, \(typedLoad(dtype, k, i)))") : (kind.wgsl, typedLoad(dtype, k, i))
  }

  /// The dtype a kernel writes `dtype`'s values as, one word (or word pair) per element: f32 for
  /// floats, i32 for the integers and Bool, i64 as it is.
  static func valueStage(_ dtype: DType) -> DType {
    switch valueKind(dtype) {
    case .float: .f32
    case .long: .i64
    default: .i32
    }
  }

  /// Where a kernel writes `dtype` results as values of ``valueStage(_:)``: `out` itself when
  /// that is the dtype, else a staging buffer that ``finishValues(_:shape:dtype:into:)``
  /// converts into `out` (halves rounded once, bytes keeping their low bits, Bools from 0/1).
  static func valueStaging(_ out: WebGPUStorage, count: Int, dtype: DType) -> WebGPUStorage {
    valueStage(dtype) == dtype ? out : allocate(count, dtype: valueStage(dtype), on: defaultDevice)
  }

  static func finishValues(_ staged: WebGPUStorage, shape: Shape, dtype: DType, into out: WebGPUStorage)
    throws(WebGPUError)
  {
    guard staged !== out else { return }
    let stage = valueStage(dtype)
    try gpu.fuse(
      expression: convert("x0", from: stage, to: dtype), inputs: [(staged.buffer, Layout(contiguous: shape), stage)],
      shape: shape, dtype: dtype, into: out.buffer)
  }

  /// A unary op on `x0`: floats (f32, f16, bf16) through the f32 expressions, integers and i64
  /// with the CPU's wrapping rules; nil where the op is not defined for the dtype.
  static func typedUnaryExpression(_ op: UnaryOp, _ dtype: DType) -> (key: String, expression: String)? {
    switch valueKind(dtype) {
    case .float:
      return WebGPUDevice.unaryExpression(op).map { ($0.key, $0.expression.replacingX("x0")) }
    case .int:
      let e: String? =
        switch op {
        case .neg: "(0i - x0)"
        case .abs: "select(x0, 0i - x0, x0 < 0i)"
        case .square: "(x0 * x0)"
        case .relu: "max(x0, 0i)"
        case .sign: "select(select(0i, -1i, x0 < 0i), 1i, x0 > 0i)"
        case .floor, .ceil, .round: "x0"
        case .clamp(let lo, let hi):
          "clamp(x0, i32(\(integerBound(lo, up: true, dtype))), i32(\(integerBound(hi, up: false, dtype))))"
        default: nil
        }
      return e.map { ("\(op)", $0) }
    case .long:
      let e: String? =
        switch op {
        case .neg: "i64_neg(x0)"
        case .abs: "i64_magnitude(x0)"
        case .square: "i64_mul(x0, x0)"
        case .relu: "select(x0, vec2<u32>(0u, 0u), i64_negative(x0))"
        case .sign:
          "select(select(vec2<u32>(0u, 0u), vec2<u32>(1u, 0u), !i64_is_zero(x0)), vec2<u32>(0xffffffffu, 0xffffffffu), i64_negative(x0))"
        case .floor, .ceil, .round: "x0"
        case .clamp(let lo, let hi):
          "i64_clamp(x0, \(i64Literal(integerBound(lo, up: true, dtype))), \(i64Literal(integerBound(hi, up: false, dtype))))"
        default: nil
        }
      return e.map { ("\(op)", $0) }
    default: return nil
    }
  }

  /// A clamp bound for an integer dtype, as the CPU computes it: rounded towards the inside,
  /// then saturated to the dtype's range.
  static func integerBound(_ v: Double, up: Bool, _ dtype: DType) -> Int64 {
    let wide = Int64(exactly: up ? v.rounded(.up) : v.rounded(.down)) ?? (v < 0 ? Int64.min : Int64.max)
    switch dtype {
    case .i8: return Int64(Int8(clamping: wide))
    case .u8: return Int64(UInt8(clamping: wide))
    case .i32: return Int64(Int32(clamping: wide))
    default: return wide
    }
  }

  static func i64Literal(_ v: Int64) -> String {
    let bits = UInt64(bitPattern: v)
    return "vec2<u32>(\(UInt32(truncatingIfNeeded: bits))u, \(UInt32(truncatingIfNeeded: bits >> 32))u)"
  }

  /// A binary op on `x0`, `x1`, or nil where it is not defined for the dtype.
  static func typedBinaryExpression(_ op: BinaryOp, _ dtype: DType) -> (key: String, expression: String)? {
    switch valueKind(dtype) {
    case .float:
      return WebGPUDevice.binaryExpression(op).map {
        ($0.key, $0.expression.replacingOccurrencesOfWord("a", with: "x0").replacingOccurrencesOfWord("b", with: "x1"))
      }
    case .int:
      let e: String? =
        switch op {
        case .add: "(x0 + x1)"
        case .sub: "(x0 - x1)"
        case .mul: "(x0 * x1)"
        // WGSL gives x0 for x0 / 0 and for MIN / -1; Born gives 0 and MIN.
        case .div: "select(x0 / x1, 0i, x1 == 0i)"
        case .maximum: "max(x0, x1)"
        case .minimum: "min(x0, x1)"
        case .pow: "i32_pow(x0, x1)"
        default: nil
        }
      return e.map { ("\(op)", $0) }
    case .long:
      let e: String? =
        switch op {
        case .add: "i64_add(x0, x1)"
        case .sub: "i64_sub(x0, x1)"
        case .mul: "i64_mul(x0, x1)"
        case .div: "i64_div(x0, x1)"
        case .maximum: "select(x0, x1, i64_lt(x0, x1))"
        case .minimum: "select(x0, x1, i64_lt(x1, x0))"
        case .pow: "i64_pow(x0, x1)"
        default: nil
        }
      return e.map { ("\(op)", $0) }
    default: return nil
    }
  }

  /// A comparison of `x0` and `x1` with the CPU's rules (NaN compares false but for not-equal).
  static func typedCompareExpression(_ op: CompareOp, _ dtype: DType) -> String? {
    switch valueKind(dtype) {
    case .float: return compareExpression(op, .f32)
    case .long: return compareExpression(op, .i64)
    case .int:
      let symbol =
        switch op {
        case .equal: "=="
        case .notEqual: "!="
        case .less: "<"
        case .lessEqual: "<="
        case .greater: ">"
        case .greaterEqual: ">="
        }
      return "(x0 \(symbol) x1)"
    case .bool:
      return op == .equal ? "(x0 == x1)" : op == .notEqual ? "(x0 != x1)" : nil
    case nil: return nil
    }
  }

  /// Reductions over `axes` for every dtype but f64: floats in f32 (halves rounded once),
  /// integers wrapping as on the CPU, i64 on word pairs, Bool all/any. One workgroup per output element reduces
  /// into a word-per-element staging buffer, which a typed map then stores as the output dtype
  /// (outputs of 1- and 2-byte elements share words, so workgroups cannot store them directly).
  static func reduceTyped(
    _ op: ReduceOp, _ x: WebGPUStorage, _ layout: Layout, axes: AxisSet, into out: WebGPUStorage, dtype: DType
  ) throws(WebGPUError) {
    guard let kind = valueKind(dtype) else { preconditionFailure("f64 has no WGSL kernels") }
    let shape = layout.shape
    var kept: [(Int, Int)] = []
    var reduced: [(Int, Int)] = []
    for axis in (0..<shape.count).reversed() {
      if axes.contains(axis) {
        reduced.append((shape[axis], layout.strides[axis]))
      } else {
        kept.append((shape[axis], layout.strides[axis]))
      }
    }
    let outCount = kept.reduce(1) { $0 * $1.0 }
    let reducedCount = reduced.reduce(1) { $0 * $1.0 }
    guard outCount > 0 else { return }
    let (t, load) = comparableLoad(dtype, 0, "idx")
    let (identity, combine): (String, String) =
      switch (kind, op) {
      case (.float, .sum), (.float, .mean): ("0.0", "a + b")
      case (.float, .prod): ("1.0", "a * b")
      case (.float, .max): ("bitcast<f32>(0xff800000u)", "select(max(a, b), a + b, is_nan(a) || is_nan(b))")
      case (.float, .min): ("bitcast<f32>(0x7f800000u)", "select(min(a, b), a + b, is_nan(a) || is_nan(b))")
      case (.int, .sum), (.int, .mean): ("0i", "a + b")
      case (.int, .prod): ("1i", "a * b")
      case (.int, .max): (dtype == .u8 ? "0i" : dtype == .i8 ? "-128i" : "i32(-2147483648)", "max(a, b)")
      case (.int, .min): (dtype == .u8 ? "255i" : dtype == .i8 ? "127i" : "2147483647i", "min(a, b)")
      case (.long, .sum), (.long, .mean): ("vec2<u32>(0u, 0u)", "i64_add(a, b)")
      case (.long, .prod): ("vec2<u32>(1u, 0u)", "i64_mul(a, b)")
      case (.long, .max): ("vec2<u32>(0u, 0x80000000u)", "select(a, b, i64_lt(a, b))")
      case (.long, .min): ("vec2<u32>(0xffffffffu, 0x7fffffffu)", "select(a, b, i64_lt(b, a))")
      case (.bool, .all): ("1u", "a & b")
      case (.bool, .any): ("0u", "a | b")
      default: preconditionFailure("reduce: \(op) is not defined for \(dtype) tensors")
      }
    // Means: floats divide by the count; integers divide their wrapped sum by the count
    // wrapped to the dtype (0 when that is 0), as the CPU does.
    let wrappedCount: Int64 =
      switch dtype {
      case .i8: Int64(Int8(truncatingIfNeeded: reducedCount))
      case .u8: Int64(UInt8(truncatingIfNeeded: reducedCount))
      case .i32: Int64(Int32(truncatingIfNeeded: reducedCount))
      default: Int64(reducedCount)
      }
    let wrap = dtype == .i8 ? "((total << 24u) >> 24u)" : dtype == .u8 ? "(total & 255i)" : "total"
    let finish =
      switch (kind, op) {
      case (.float, .mean): "total / f32(params[3])"
      case (.int, .mean): wrappedCount == 0 ? "0i" : "\(wrap) / i32(\(wrappedCount))"
      case (.long, .mean): "i64_div(total, \(i64Literal(wrappedCount)))"
      default: "total"
      }
    let store =
      switch kind {
      case .float: "staged[o] = bitcast<u32>(value);"
      case .int: "staged[o] = bitcast<u32>(value);"
      case .long: "staged[2u * o] = value.x; staged[2u * o + 1u] = value.y;"
      case .bool: "staged[o] = value;"
      }
    var params: [UInt32] = [UInt32(outCount), UInt32(kept.count), UInt32(reduced.count), UInt32(reducedCount)]
    params.append(UInt32(layout.offset))
    for (size, stride) in kept + reduced { params += [UInt32(size), UInt32(stride)] }
    let p = try gpu.upload(params)
    let staging = valueStaging(out, count: outCount, dtype: dtype)
    try gpu.dispatch(
      "reduce.\(op).\(dtype)",
      source: """
        @group(0) @binding(0) var<storage, read> in0: array<u32>;
        @group(0) @binding(1) var<storage, read_write> staged: array<u32>;
        @group(0) @binding(2) var<storage, read> params: array<u32>;
        var<workgroup> partial: array<\(t), 256>;
        \(WebGPUDevice.linearIndex)
        \(typedHelpers)
        fn combine(a: \(t), b: \(t)) -> \(t) { return \(combine); }
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
          let o = wid.y * groups.x + wid.x;
          var acc: \(t) = \(identity);
          if (o < params[0]) {
            var base = params[4];
            var rest = o;
            for (var a = 0u; a < params[1]; a++) {
              let size = params[5u + 2u * a];
              base += (rest % size) * params[6u + 2u * a];
              rest = rest / size;
            }
            let first = 5u + 2u * params[1];
            for (var r = lid.x; r < params[3]; r += 256u) {
              var idx = base;
              var rr = r;
              for (var a = 0u; a < params[2]; a++) {
                let size = params[first + 2u * a];
                idx += (rr % size) * params[first + 2u * a + 1u];
                rr = rr / size;
              }
              acc = combine(acc, \(load));
            }
          }
          partial[lid.x] = acc;
          workgroupBarrier();
          for (var step = 128u; step > 0u; step = step / 2u) {
            if (lid.x < step) { partial[lid.x] = combine(partial[lid.x], partial[lid.x + step]); }
            workgroupBarrier();
          }
          if (lid.x == 0u && o < params[0]) {
            let total = partial[0];
            let value = \(finish);
            \(store)
          }
        }
        """, buffers: [x.buffer, staging.buffer, p], workgroups: WebGPUDevice.rowGrid(outCount), output: 1)
    try finishValues(staging, shape: [outCount], dtype: dtype, into: out)
  }

  /// WGSL helpers of the typed kernels: half and bfloat16 encodings, 64-bit integer arithmetic
  /// on word pairs, and Born's conversions.
  static let typedHelpers = """
    fn f16_value(h: u32) -> f32 {
      let sign = (h & 0x8000u) << 16u;
      let e = (h >> 10u) & 0x1fu;
      let m = h & 0x3ffu;
      if (e == 0x1fu) { return bitcast<f32>(sign | 0x7f800000u | select(0u, 0x00400000u | (m << 13u), m != 0u)); }
      if (e == 0u) { return bitcast<f32>(sign | bitcast<u32>(f32(m) * 5.9604644775390625e-8)); }
      return bitcast<f32>(sign | ((e + 112u) << 23u) | (m << 13u));
    }
    fn f16_bits(x: f32) -> u32 {
      let b = bitcast<u32>(x);
      let a = b & 0x7fffffffu;
      let sign = (b >> 16u) & 0x8000u;
      if (a > 0x7f800000u) { return sign | 0x7e00u | ((a >> 13u) & 0x3ffu); }
      if (a >= 0x477ff000u) { return sign | 0x7c00u; }
      if (a >= 0x38800000u) { return sign | ((a + 0x0fffu + ((a >> 13u) & 1u) - 0x38000000u) >> 13u); }
      return sign | u32(round(bitcast<f32>(a) * 16777216.0));
    }
    fn bf16_value(h: u32) -> f32 {
      var b = h << 16u;
      if ((b & 0x7fffffffu) > 0x7f800000u) { b = b | 0x00400000u; }
      return bitcast<f32>(b);
    }
    fn bf16_bits(x: f32) -> u32 {
      let b = bitcast<u32>(x);
      if ((b & 0x7fffffffu) > 0x7f800000u) { return (b >> 16u) | 0x40u; }
      return (b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u;
    }
    // Truncation saturating at [ilo, ihi] (lo and hi are the same bounds as f32), NaN → 0.
    fn float_to_int(x: f32, lo: f32, hi: f32, ilo: i32, ihi: i32) -> i32 {
      if (is_nan(x)) { return 0i; }
      if (x >= hi) { return ihi; }
      if (x <= lo) { return ilo; }
      return i32(x);
    }
    fn i64_from_i32(v: i32) -> vec2<u32> { return vec2<u32>(bitcast<u32>(v), select(0u, 0xffffffffu, v < 0i)); }
    fn i64_neg(a: vec2<u32>) -> vec2<u32> {
      let lo = ~a.x + 1u;
      return vec2<u32>(lo, ~a.y + select(0u, 1u, lo == 0u));
    }
    fn i64_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
      let lo = a.x + b.x;
      return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
    }
    fn i64_sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
      return vec2<u32>(a.x - b.x, a.y - b.y - select(0u, 1u, a.x < b.x));
    }
    // The full 64-bit product of two 32-bit words.
    fn mul_wide(a: u32, b: u32) -> vec2<u32> {
      let a0 = a & 0xffffu; let a1 = a >> 16u; let b0 = b & 0xffffu; let b1 = b >> 16u;
      let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0; let p11 = a1 * b1;
      let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
      return vec2<u32>((p00 & 0xffffu) | (mid << 16u), p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u));
    }
    fn i64_mul(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
      let low = mul_wide(a.x, b.x);
      return vec2<u32>(low.x, low.y + a.x * b.y + a.y * b.x);
    }
    fn i64_negative(a: vec2<u32>) -> bool { return (a.y >> 31u) == 1u; }
    fn i64_is_zero(a: vec2<u32>) -> bool { return a.x == 0u && a.y == 0u; }
    fn i64_eq(a: vec2<u32>, b: vec2<u32>) -> bool { return a.x == b.x && a.y == b.y; }
    fn i64_lt(a: vec2<u32>, b: vec2<u32>) -> bool {
      return bitcast<i32>(a.y) < bitcast<i32>(b.y) || (a.y == b.y && a.x < b.x);
    }
    fn u64_lt(a: vec2<u32>, b: vec2<u32>) -> bool { return a.y < b.y || (a.y == b.y && a.x < b.x); }
    fn u64_shl(a: vec2<u32>, s: u32) -> vec2<u32> {
      if (s == 0u) { return a; }
      if (s >= 64u) { return vec2<u32>(0u, 0u); }
      if (s >= 32u) { return vec2<u32>(0u, a.x << (s - 32u)); }
      return vec2<u32>(a.x << s, (a.y << s) | (a.x >> (32u - s)));
    }
    fn u64_shr(a: vec2<u32>, s: u32) -> vec2<u32> {
      if (s == 0u) { return a; }
      if (s >= 64u) { return vec2<u32>(0u, 0u); }
      if (s >= 32u) { return vec2<u32>(a.y >> (s - 32u), 0u); }
      return vec2<u32>((a.x >> s) | (a.y << (32u - s)), a.y >> s);
    }
    // Index of the highest set bit (the value is not zero).
    fn u64_top(a: vec2<u32>) -> u32 {
      if (a.y != 0u) { return 63u - countLeadingZeros(a.y); }
      return 31u - countLeadingZeros(a.x);
    }
    // A non-zero magnitude rounded to nearest even at `p` significant bits, as (mantissa,
    // exponent): the value is mantissa · 2^exponent with mantissa < 2^p (p ≤ 53).
    fn u64_round(a: vec2<u32>, p: u32) -> vec3<u32> {
      let top = u64_top(a);
      if (top < p) { return vec3<u32>(a, 0u); }
      let drop = top + 1u - p;
      var m = u64_shr(a, drop);
      let rest = u64_sub_words(a, u64_shl(m, drop));
      let half = u64_shl(vec2<u32>(1u, 0u), drop - 1u);
      if (u64_lt(half, rest) || (i64_eq(rest, half) && (m.x & 1u) == 1u)) { m = i64_add(m, vec2<u32>(1u, 0u)); }
      var e = drop;
      if (u64_top(m) >= p) { m = u64_shr(m, 1u); e = e + 1u; }
      return vec3<u32>(m, e);
    }
    fn u64_sub_words(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return i64_sub(a, b); }
    fn i64_magnitude(v: vec2<u32>) -> vec2<u32> { return select(v, i64_neg(v), i64_negative(v)); }
    // Int64 → f32 rounded once to `p` bits (24: f32 itself).
    fn i64_to_f32(v: vec2<u32>, p: u32) -> f32 {
      if (i64_is_zero(v)) { return 0.0; }
      let r = u64_round(i64_magnitude(v), p);
      // The mantissa has at most 24 bits here, so f32(mantissa) is exact.
      let value = ldexp(f32(r.x), i32(r.z));
      return select(value, -value, i64_negative(v));
    }
    // Int64 → bf16 as the CPU does it: rounded to f64 (53 bits) first, then to 8 bits.
    fn i64_to_bf16_value(v: vec2<u32>) -> f32 {
      if (i64_is_zero(v)) { return 0.0; }
      let wide = u64_round(i64_magnitude(v), 53u);
      let r = u64_round(u64_shl(wide.xy, wide.z), 8u);
      let value = ldexp(f32(r.x), i32(r.z));
      return select(value, -value, i64_negative(v));
    }
    fn i64_clamp(x: vec2<u32>, lo: vec2<u32>, hi: vec2<u32>) -> vec2<u32> {
      return select(select(x, hi, i64_lt(hi, x)), lo, i64_lt(x, lo));
    }
    // Truncating division; x / 0 = 0 and MIN / -1 = MIN (wrapping), as on the CPU.
    fn i64_div(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
      if (i64_is_zero(b)) { return vec2<u32>(0u, 0u); }
      let n = i64_magnitude(a);
      let d = i64_magnitude(b);
      var q = vec2<u32>(0u, 0u);
      var r = vec2<u32>(0u, 0u);
      for (var i = 63i; i >= 0i; i--) {
        let bit = (u64_shr(n, u32(i)).x & 1u);
        r = vec2<u32>((r.x << 1u) | bit, (r.y << 1u) | (r.x >> 31u));
        if (!u64_lt(r, d)) {
          r = i64_sub(r, d);
          q = vec2<u32>(q.x | select(0u, 1u << u32(i), i < 32i), q.y | select(0u, 1u << u32(i - 32i), i >= 32i));
        }
      }
      return select(q, i64_neg(q), i64_negative(a) != i64_negative(b));
    }
    // base^exponent with wrapping; negative exponents give 0 except for bases 1 and -1.
    fn i32_pow(base: i32, exponent: i32) -> i32 {
      if (exponent < 0i) {
        if (base == 1i) { return 1i; }
        if (base == -1i) { return select(-1i, 1i, (exponent & 1i) == 0i); }
        return 0i;
      }
      var result = 1i;
      var b = base;
      var e = exponent;
      while (e > 0i) {
        if ((e & 1i) == 1i) { result = result * b; }
        b = b * b;
        e = e >> 1u;
      }
      return result;
    }
    fn i64_pow(base: vec2<u32>, exponent: vec2<u32>) -> vec2<u32> {
      let one = vec2<u32>(1u, 0u);
      if (i64_negative(exponent)) {
        if (i64_eq(base, one)) { return one; }
        if (i64_eq(base, vec2<u32>(0xffffffffu, 0xffffffffu))) { return select(base, one, (exponent.x & 1u) == 0u); }
        return vec2<u32>(0u, 0u);
      }
      var result = one;
      var b = base;
      var e = exponent;
      while (!i64_is_zero(e)) {
        if ((e.x & 1u) == 1u) { result = i64_mul(result, b); }
        b = i64_mul(b, b);
        e = u64_shr(e, 1u);
      }
      return result;
    }
    // f64 (raw bits, low word first) → f32 bits, rounded to nearest even, NaN payloads kept
    // (quieted) as x86's conversion does.
    fn f64_to_f32_bits(d: vec2<u32>) -> u32 {
      let sign = d.y & 0x80000000u;
      let e = (d.y >> 20u) & 0x7ffu;
      let mhi = d.y & 0xfffffu;
      if (e == 0x7ffu) {
        if (mhi != 0u || d.x != 0u) { return sign | 0x7fc00000u | (mhi << 3u) | (d.x >> 29u); }
        return sign | 0x7f800000u;
      }
      if (e == 0u) { return sign; }
      let ue = i32(e) - 1023i;
      if (ue > 127i) { return sign | 0x7f800000u; }
      if (ue >= -126i) {
        let rest = d.x & 0x1fffffffu;
        var bits = (u32(ue + 127i) << 23u) | (mhi << 3u) | (d.x >> 29u);
        if (rest > 0x10000000u || (rest == 0x10000000u && (bits & 1u) == 1u)) { bits = bits + 1u; }
        return sign | bits;
      }
      // A subnormal f32 (or zero): the 53-bit significand shifted down, rounded.
      let drop = u32(-97i - ue);
      if (drop > 54u) { return sign; }
      let m = vec2<u32>(d.x, mhi | 0x100000u);
      let q = u64_shr(m, drop);
      let rest = i64_sub(m, u64_shl(q, drop));
      let half = u64_shl(vec2<u32>(1u, 0u), drop - 1u);
      var bits = q.x;
      if (u64_lt(half, rest) || (i64_eq(rest, half) && (bits & 1u) == 1u)) { bits = bits + 1u; }
      return sign | bits;
    }
    // f32 → f64 bits (exact; NaN quieted).
    fn f32_to_f64(x: f32) -> vec2<u32> {
      let b = bitcast<u32>(x);
      let sign = b & 0x80000000u;
      let e = (b >> 23u) & 0xffu;
      let m = b & 0x7fffffu;
      if (e == 0xffu) { return vec2<u32>(m << 29u, sign | 0x7ff00000u | select(0u, 0x80000u, m != 0u) | (m >> 3u)); }
      if (e == 0u) {
        if (m == 0u) { return vec2<u32>(0u, sign); }
        let top = 31u - countLeadingZeros(m);
        let frac = (m << (23u - top)) & 0x7fffffu;
        return vec2<u32>(frac << 29u, sign | ((top + 874u) << 20u) | (frac >> 3u));
      }
      return vec2<u32>(m << 29u, sign | ((e + 896u) << 20u) | (m >> 3u));
    }
    fn f64_is_nan(d: vec2<u32>) -> bool {
      return ((d.y >> 20u) & 0x7ffu) == 0x7ffu && ((d.y & 0xfffffu) != 0u || d.x != 0u);
    }
    fn f64_magnitude(d: vec2<u32>) -> vec2<u32> { return vec2<u32>(d.x, d.y & 0x7fffffffu); }
    // f64 → f32 rounded to odd (truncated, the last bit set when digits were dropped): a
    // later rounding to f16 or bf16 is then correctly rounded, as the CPU's direct conversions.
    fn f64_to_f32_odd(d: vec2<u32>) -> f32 {
      let r = f64_to_f32_bits(d);
      let back = f32_to_f64(bitcast<f32>(r));
      let finite = ((r >> 23u) & 0xffu) != 0xffu && ((d.y >> 20u) & 0x7ffu) != 0x7ffu;
      if (finite && !i64_eq(back, d)) {
        var m = r & 0x7fffffffu;
        if (u64_lt(f64_magnitude(d), f64_magnitude(back))) { m = m - 1u; }
        return bitcast<f32>((r & 0x80000000u) | m | 1u);
      }
      return bitcast<f32>(r);
    }
    // f64 → Int64: truncate, saturate, NaN → 0.
    fn f64_to_i64(d: vec2<u32>) -> vec2<u32> {
      if (f64_is_nan(d)) { return vec2<u32>(0u, 0u); }
      let negative = (d.y >> 31u) == 1u;
      let e = i32((d.y >> 20u) & 0x7ffu) - 1023i;
      if (e < 0i) { return vec2<u32>(0u, 0u); }
      if (e >= 63i) { return select(vec2<u32>(0xffffffffu, 0x7fffffffu), vec2<u32>(0u, 0x80000000u), negative); }
      let m = vec2<u32>(d.x, (d.y & 0xfffffu) | 0x100000u);
      var magnitude = u64_shr(m, u32(max(52i - e, 0i)));
      if (e > 52i) { magnitude = u64_shl(m, u32(e - 52i)); }
      return select(magnitude, i64_neg(magnitude), negative);
    }
    // Int64 → f64 bits, rounded to nearest even.
    fn i64_to_f64(v: vec2<u32>) -> vec2<u32> {
      if (i64_is_zero(v)) { return vec2<u32>(0u, 0u); }
      let r = u64_round(i64_magnitude(v), 53u);
      let top = u64_top(r.xy);
      let f = u64_shl(r.xy, 52u - top);
      let sign = select(0u, 0x80000000u, i64_negative(v));
      return vec2<u32>(f.x, sign | ((top + r.z + 1023u) << 20u) | (f.y & 0xfffffu));
    }
    // f32 → Int64: truncate, saturate, NaN → 0.
    fn f32_to_i64(x: f32) -> vec2<u32> {
      if (is_nan(x)) { return vec2<u32>(0u, 0u); }
      if (x >= 9223372036854775808.0) { return vec2<u32>(0xffffffffu, 0x7fffffffu); }
      if (x <= -9223372036854775808.0) { return vec2<u32>(0u, 0x80000000u); }
      let t = trunc(abs(x));
      let hi = floor(t / 4294967296.0);
      let magnitude = vec2<u32>(u32(t - hi * 4294967296.0), u32(hi));
      return select(magnitude, i64_neg(magnitude), x < 0.0);
    }
    """
}
