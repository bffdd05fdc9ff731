import BornCore

/// WGSL compute kernels, generated per (op, dtype) and compiled once per device.
extension WebGPUDevice {
  static let workgroupSize = 256

  /// Workgroups covering `count` invocations of 256, spread over x and y (each at most 65,535).
  static func grid(_ count: Int) -> (Int, Int, Int) {
    let groups = Swift.max(1, (count + workgroupSize - 1) / workgroupSize)
    let x = Swift.min(groups, 65_535)
    return (x, (groups + x - 1) / x, 1)
  }

  /// The linear invocation index of a 2-D grid of 256-wide workgroups, and a NaN test on the
  /// bits (WGSL lets compilers assume `x != x` is false).
  static let linearIndex = """
    fn linear_index(wid: vec3<u32>, lid: vec3<u32>, groups: vec3<u32>) -> u32 {
      return (wid.y * groups.x + wid.x) * 256u + lid.x;
    }
    fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
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
    case .tanh: ("tanh", "tanh(clamp(x, -15.0, 15.0))")
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
    default: nil
    }
  }

  static func wgslFloat(_ v: Double) -> String {
    let f = Float(v)
    if f.isNaN { return "bitcast<f32>(0x7fc00000u)" }
    if f.isInfinite { return f > 0 ? "bitcast<f32>(0x7f800000u)" : "bitcast<f32>(0xff800000u)" }
    return "bitcast<f32>(\(f.bitPattern)u)"
  }

  /// `out[i] = op(x[i])` for `count` contiguous f32 elements.
  public func unary(_ op: UnaryOp, _ x: GPUBuffer, count: Int) throws(WebGPUError) -> GPUBuffer {
    guard let (key, expression) = Self.unaryExpression(op) else {
      throw .shader(kernel: "unary \(op)", message: "no WGSL kernel for this op yet")
    }
    let out = try buffer(bytes: count * 4)
    let params = try upload([UInt32(count)])
    try dispatch(
      "unary.\(key).f32",
      source: """
        @group(0) @binding(0) var<storage, read> input: array<f32>;
        @group(0) @binding(1) var<storage, read_write> output: array<f32>;
        @group(0) @binding(2) var<storage, read> params: array<u32>;
        \(Self.linearIndex)
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
          let i = linear_index(wid, lid, groups);
          if (i >= params[0]) { return; }
          let x = input[i];
          output[i] = \(expression);
        }
        """, buffers: [x, out, params], workgroups: Self.grid(count))
    return out
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

  /// `out = a op b` over `shape` (row-major, contiguous out), reading `a` and `b` through
  /// element strides (0 on broadcast axes) and offsets.
  public func binary(
    _ op: BinaryOp, _ a: GPUBuffer, _ aLayout: Layout, _ b: GPUBuffer, _ bLayout: Layout
  ) throws(WebGPUError) -> GPUBuffer {
    guard let (key, expression) = Self.binaryExpression(op) else {
      throw .shader(kernel: "binary \(op)", message: "no WGSL kernel for this op yet")
    }
    let shape = aLayout.shape
    let count = shape.elementCount
    let out = try buffer(bytes: count * 4)
    // params: count, rank, a offset, b offset, then per axis (innermost first): size, a stride, b stride.
    var params: [UInt32] = [
      UInt32(count), UInt32(shape.count), UInt32(aLayout.offset), UInt32(bLayout.offset),
    ]
    for axis in (0..<shape.count).reversed() {
      params += [UInt32(shape[axis]), UInt32(aLayout.strides[axis]), UInt32(bLayout.strides[axis])]
    }
    let p = try upload(params)
    try dispatch(
      "binary.\(key).f32",
      source: """
        @group(0) @binding(0) var<storage, read> lhs: array<f32>;
        @group(0) @binding(1) var<storage, read> rhs: array<f32>;
        @group(0) @binding(2) var<storage, read_write> output: array<f32>;
        @group(0) @binding(3) var<storage, read> params: array<u32>;
        \(Self.linearIndex)
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
          let i = linear_index(wid, lid, groups);
          if (i >= params[0]) { return; }
          var rest = i;
          var ia = params[2];
          var ib = params[3];
          for (var axis = 0u; axis < params[1]; axis++) {
            let size = params[4u + 3u * axis];
            let coordinate = rest % size;
            rest = rest / size;
            ia += coordinate * params[5u + 3u * axis];
            ib += coordinate * params[6u + 3u * axis];
          }
          let a = lhs[ia];
          let b = rhs[ib];
          output[i] = \(expression);
        }
        """, buffers: [a, b, out, p], workgroups: Self.grid(count))
    return out
  }

  /// `C[m, n] = A[m, k] · B[k, n]` for contiguous row-major f32 matrices, tiled 16×16 in
  /// workgroup memory.
  public func matmul(_ a: GPUBuffer, _ b: GPUBuffer, m: Int, n: Int, k: Int) throws(WebGPUError) -> GPUBuffer {
    let out = try buffer(bytes: m * n * 4)
    let p = try upload([UInt32(m), UInt32(n), UInt32(k)])
    try dispatch(
      "matmul.tiled16.f32",
      source: """
        @group(0) @binding(0) var<storage, read> A: array<f32>;
        @group(0) @binding(1) var<storage, read> B: array<f32>;
        @group(0) @binding(2) var<storage, read_write> C: array<f32>;
        @group(0) @binding(3) var<storage, read> params: array<u32>;
        var<workgroup> tileA: array<array<f32, 16>, 16>;
        var<workgroup> tileB: array<array<f32, 16>, 16>;
        @compute @workgroup_size(16, 16)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
          let M = params[0];
          let N = params[1];
          let K = params[2];
          let row = wid.y * 16u + lid.y;
          let col = wid.x * 16u + lid.x;
          var acc = 0.0;
          for (var t = 0u; t < K; t += 16u) {
            let ka = t + lid.x;
            let kb = t + lid.y;
            tileA[lid.y][lid.x] = select(0.0, A[row * K + ka], row < M && ka < K);
            tileB[lid.y][lid.x] = select(0.0, B[kb * N + col], kb < K && col < N);
            workgroupBarrier();
            for (var j = 0u; j < 16u; j++) {
              acc += tileA[lid.y][j] * tileB[j][lid.x];
            }
            workgroupBarrier();
          }
          if (row < M && col < N) { C[row * N + col] = acc; }
        }
        """, buffers: [a, b, out, p], workgroups: ((n + 15) / 16, (m + 15) / 16, 1))
    return out
  }

  /// Sums each of `rows` contiguous rows of `columns` f32 values (one workgroup per row, a tree
  /// reduction in workgroup memory).
  public func sumRows(_ x: GPUBuffer, rows: Int, columns: Int) throws(WebGPUError) -> GPUBuffer {
    let out = try buffer(bytes: rows * 4)
    let p = try upload([UInt32(rows), UInt32(columns)])
    try dispatch(
      "sumRows.f32",
      source: """
        @group(0) @binding(0) var<storage, read> input: array<f32>;
        @group(0) @binding(1) var<storage, read_write> output: array<f32>;
        @group(0) @binding(2) var<storage, read> params: array<u32>;
        var<workgroup> partial: array<f32, 256>;
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
          let row = wid.y * groups.x + wid.x;
          let columns = params[1];
          var acc = 0.0;
          if (row < params[0]) {
            for (var c = lid.x; c < columns; c += 256u) { acc += input[row * columns + c]; }
          }
          partial[lid.x] = acc;
          workgroupBarrier();
          for (var step = 128u; step > 0u; step = step / 2u) {
            if (lid.x < step) { partial[lid.x] += partial[lid.x + step]; }
            workgroupBarrier();
          }
          if (lid.x == 0u && row < params[0]) { output[row] = partial[0]; }
        }
        """, buffers: [x, out, p], workgroups: (Swift.min(rows, 65_535), (rows + 65_534) / 65_535, 1))
    return out
  }
}
