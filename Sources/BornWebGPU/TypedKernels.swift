import BornCore

// Elementwise kernels for every storage dtype except f64 (WGSL has no 64-bit float). Storage
// keeps the host byte layout, so each operand is bound as an array of 32-bit words and decoded
// by bit manipulation: f16 and bf16 two per word, i8, u8 and Bool four per word, i64 as a pair
// of words. Values compute in one of four WGSL kinds:
//
//   float  f32         f32, f16, bf16 (widening is exact; results round once on store)
//   int    i32         i32, i8, u8 (sign- or zero-extended; stores keep the low bits, which is
//                      the wrapping the CPU backend does)
//   long   vec2<u32>   i64 as (low word, high word), two's complement
//   bool   bool        Bool
//
// Each invocation writes whole output words (4 Bools or bytes, 2 halves, 1 word, or the pair
// of an i64), so no two invocations write the same word. Conversions follow the CPU backend bit
// for bit: float → integer truncates and saturates (NaN → 0), integer → integer wraps, integer
// → float rounds to nearest even from the exact integer (through f64 first for bf16, as the CPU
// does), f32 → f16/bf16 rounds to nearest even, NaN payloads as the C kernels keep them.

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
    case .f64: preconditionFailure("f64 has no WGSL kernels")
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

  /// WGSL converting expression `v` of `from`'s kind into `to`'s kind with Born's rules.
  static func convert(_ v: String, from: DType, to: DType) -> String {
    guard let a = valueKind(from), let b = valueKind(to) else { preconditionFailure("f64 has no WGSL kernels") }
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

  /// Records `out = expression(x0, x1, ...)` over `shape` into contiguous `out` of `outType`,
  /// each input read through its layout and decoded from its dtype. The expression yields the
  /// output's value kind.
  static func typedMap(
    _ name: String, inputs: [(WebGPUStorage, Layout, DType)], shape: Shape, into out: WebGPUStorage,
    outType: DType, expression: String
  ) throws(WebGPUError) {
    let count = shape.elementCount
    guard count > 0 else { return }
    let perWord = Swift.max(1, 4 / outType.byteSize)
    let invocations = (count + perWord - 1) / perWord
    let p = try gpu.upload(stridedParams(count: count, shape: shape, inputs.map(\.1)))
    let n = inputs.count
    var decl = ""
    for k in 0..<n { decl += "@group(0) @binding(\(k)) var<storage, read> in\(k): array<u32>;\n" }
    decl += "@group(0) @binding(\(n)) var<storage, read_write> output: array<u32>;\n"
    decl += "@group(0) @binding(\(n + 1)) var<storage, read> params: array<u32>;\n"
    var element = stridedIndices(operands: n, from: "e")
    for (k, input) in inputs.enumerated() { element += "  let x\(k) = \(typedLoad(input.2, k, "idx\(k)"));\n" }
    element += "  let r = \(expression);\n"
    let body: String
    if outType.byteSize == 8 {
      body = """
          let e = w;
        \(element)  output[2u * w] = r.x;
          output[2u * w + 1u] = r.y;
        """
    } else {
      let bits = 32 / perWord
      body = """
          var word = 0u;
          for (var j = 0u; j < \(perWord)u; j++) {
            let e = w * \(perWord)u + j;
            if (e >= params[0]) { break; }
        \(element)    word = word | (\(typedBits(outType, "r")) << (\(bits)u * j));
          }
          output[w] = word;
        """
    }
    let source = """
      \(decl)\(WebGPUDevice.linearIndex)
      \(typedHelpers)
      @compute @workgroup_size(256)
      fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
              @builtin(num_workgroups) groups: vec3<u32>) {
        let w = linear_index(wid, lid, groups);
        if (w * \(perWord)u >= params[0]) { return; }
      \(body)
      }
      """
    try gpu.dispatch(
      "typed.\(name).\(inputs.map { "\($0.2)" }.joined(separator: ".")).\(outType)", source: source,
      buffers: inputs.map(\.0.buffer) + [out.buffer, p], workgroups: WebGPUDevice.grid(invocations),
      output: inputs.count)
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
