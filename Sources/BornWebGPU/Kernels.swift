import BornCore

/// Shared pieces of the WGSL kernels: dispatch grids, index helpers, op expressions.
extension WebGPUDevice {
  static let workgroupSize = 256

  /// Workgroups covering `count` invocations of 256, spread over x and y (each at most 65,535).
  static func grid(_ count: Int) -> (Int, Int, Int) {
    let groups = Swift.max(1, (count + workgroupSize - 1) / workgroupSize)
    let x = Swift.min(groups, 65_535)
    return (x, (groups + x - 1) / x, 1)
  }

  /// Workgroup-wide reductions for kernels with one 256-wide workgroup per row: each invocation
  /// passes its partial value and all receive the total (NaN propagates through the max). Call
  /// from uniform control flow; the trailing barrier lets a kernel call them one after another.
  static let workgroupReductions = """
    var<workgroup> partial: array<f32, 256>;
    fn workgroup_sum(lid: u32, v: f32) -> f32 {
      partial[lid] = v;
      workgroupBarrier();
      for (var step = 128u; step > 0u; step = step / 2u) {
        if (lid < step) { partial[lid] = partial[lid] + partial[lid + step]; }
        workgroupBarrier();
      }
      let total = partial[0];
      workgroupBarrier();
      return total;
    }
    fn workgroup_max(lid: u32, v: f32) -> f32 {
      partial[lid] = v;
      workgroupBarrier();
      for (var step = 128u; step > 0u; step = step / 2u) {
        if (lid < step) {
          let a = partial[lid];
          let b = partial[lid + step];
          partial[lid] = select(max(a, b), a + b, is_nan(a) || is_nan(b));
        }
        workgroupBarrier();
      }
      let total = partial[0];
      workgroupBarrier();
      return total;
    }
    """

  /// One workgroup per row for `rows` rows, spread over x and y (each at most 65,535).
  static func rowGrid(_ rows: Int) -> (Int, Int, Int) {
    (Swift.min(Swift.max(rows, 1), 65_535), (rows + 65_534) / 65_535, 1)
  }

  /// The linear invocation index of a 2-D grid of 256-wide workgroups, and a NaN test on the
  /// bits (WGSL lets compilers assume `x != x` is false).
  static let linearIndex = """
    fn linear_index(wid: vec3<u32>, lid: vec3<u32>, groups: vec3<u32>) -> u32 {
      return (wid.y * groups.x + wid.x) * 256u + lid.x;
    }
    fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
    fn born_erf(x: f32) -> f32 {
      let a = abs(x);
      if (a < 0.5) {
        let z = x * x;
        return 1.1283791671 * x * (1.0 + z * (-0.3333333333 + z * (0.1 + z * (-0.0238095238 + z * 0.0046296296))));
      }
      let t = 1.0 / (1.0 + 0.3275911 * a);
      let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
      return sign(x) * (1.0 - poly * exp(-a * a));
    }
    // Short series near 0, where the library formulas cancel (drivers may also reassociate
    // `(1 + x) - 1`, so the usual correction tricks cannot be relied on).
    fn born_log1p(x: f32) -> f32 {
      if (abs(x) < 0.01) { return x * (1.0 - x * (0.5 - x * (0.3333333333 - x * 0.25))); }
      return log(1.0 + x);
    }
    fn born_expm1(x: f32) -> f32 {
      if (abs(x) < 0.01) { return x * (1.0 + x * (0.5 + x * (0.1666666667 + x * 0.0416666667))); }
      return exp(x) - 1.0;
    }
    fn born_tanh(x: f32) -> f32 {
      if (abs(x) < 0.05) { let z = x * x; return x * (1.0 - z * (0.3333333333 - z * (0.1333333333 - z * 0.0539682540))); }
      return tanh(clamp(x, -15.0, 15.0));
    }
    """

  /// The WGSL expression of a unary op on `x` (f32), or nil when the op has no GPU kernel.
  static func unaryExpression(_ op: UnaryOp) -> (key: String, expression: String)? {
    switch op {
    case .neg: ("neg", "-x")
    case .abs: ("abs", "abs(x)")
    case .exp: ("exp", "exp(x)")
    case .log: ("log", "log(x)")
    case .sqrt: ("sqrt", "sqrt(x)")
    case .rsqrt: ("rsqrt", "inverseSqrt(x)")
    case .square: ("square", "x * x")
    case .sin: ("sin", "sin(x)")
    case .cos: ("cos", "cos(x)")
    case .tanh: ("tanh", "born_tanh(x)")
    case .sigmoid: ("sigmoid", "1.0 / (1.0 + exp(-x))")
    case .relu: ("relu", "max(x, 0.0)")
    case .silu: ("silu", "x / (1.0 + exp(-x))")
    case .floor: ("floor", "floor(x)")
    case .ceil: ("ceil", "ceil(x)")
    case .round: ("round", "round(x)")
    case .sign: ("sign", "sign(x)")
    case .reciprocal: ("reciprocal", "1.0 / x")
    case .leakyRelu(let a): ("leakyRelu(\(a))", "select(x * \(wgslFloat(a)), x, x >= 0.0)")
    case .clamp(let lo, let hi): ("clamp(\(lo),\(hi))", "clamp(x, \(wgslFloat(lo)), \(wgslFloat(hi)))")
    case .powScalar(let p): ("pow(\(p))", "pow(x, \(wgslFloat(p)))")
    case .erf: ("erf", "born_erf(x)")
    case .log1p: ("log1p", "born_log1p(x)")
    case .expm1: ("expm1", "born_expm1(x)")
    case .gelu: ("gelu", "0.5 * x * (1.0 + born_erf(x * 0.70710678118))")
    case .geluTanh:
      ("geluTanh", "0.5 * x * (1.0 + tanh(clamp(0.7978845608 * (x + 0.044715 * x * x * x), -15.0, 15.0)))")
    case .softplus: ("softplus", "max(x, 0.0) + born_log1p(exp(-abs(x)))")
    case .elu(let a): ("elu(\(a))", "select(\(wgslFloat(a)) * born_expm1(x), x, x > 0.0)")
    default: nil
    }
  }

  static func wgslFloat(_ v: Double) -> String {
    let f = Float(v)
    if f.isNaN { return "bitcast<f32>(0x7fc00000u)" }
    if f.isInfinite { return f > 0 ? "bitcast<f32>(0x7f800000u)" : "bitcast<f32>(0xff800000u)" }
    return "bitcast<f32>(\(f.bitPattern)u)"
  }

  /// The WGSL expression of a binary op on `a` and `b` (f32).
  static func binaryExpression(_ op: BinaryOp) -> (key: String, expression: String)? {
    switch op {
    case .add: ("add", "a + b")
    case .sub: ("sub", "a - b")
    case .mul: ("mul", "a * b")
    case .div: ("div", "a / b")
    case .maximum: ("maximum", "select(max(a, b), a + b, is_nan(a) || is_nan(b))")  // NaN propagates
    case .minimum: ("minimum", "select(min(a, b), a + b, is_nan(a) || is_nan(b))")
    case .pow: ("pow", "pow(a, b)")
    default: nil
    }
  }
}
