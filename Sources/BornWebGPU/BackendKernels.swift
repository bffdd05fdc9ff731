import BornCore

#if canImport(Glibc)
  import Glibc
#endif

// The WGSL kernels behind the WebGPU backend's ops. Kernels read operands through their layouts
// (element strides and offsets, 0 on broadcast axes), so views need no copies.

extension WebGPU {
  /// Parameters for kernels that walk `shape` in row-major order and read each operand through
  /// its layout: count, rank, each operand's offset, then per axis (innermost first) the size
  /// and each operand's stride.
  static func stridedParams(count: Int, shape: Shape, _ operands: [Layout]) -> [UInt32] {
    var params: [UInt32] = [UInt32(count), UInt32(shape.count)] + operands.map { UInt32($0.offset) }
    for axis in (0..<shape.count).reversed() {
      params.append(UInt32(shape[axis]))
      params += operands.map { UInt32($0.strides[axis]) }
    }
    return params
  }

  /// WGSL computing `idx0`, `idx1`, ... (each operand's element index) for the linear position
  /// `linear`, from parameters laid out by ``stridedParams(count:shape:_:)``.
  static func stridedIndices(operands m: Int, from linear: String) -> String {
    var body = "  var rest = \(linear);\n"
    for k in 0..<m { body += "  var idx\(k) = params[\(2 + k)u];\n" }
    body += "  for (var axis = 0u; axis < params[1]; axis++) {\n"
    body += "    let base = \(2 + m)u + axis * \(1 + m)u;\n"
    body += "    let size = params[base];\n    let c = rest % size;\n    rest = rest / size;\n"
    for k in 0..<m { body += "    idx\(k) += c * params[base + \(1 + k)u];\n" }
    return body + "  }\n"
  }

  /// Copies 4- or 8-byte elements (`words` 1 or 2 per element) from `src` through its layout
  /// into `dst` through its layout (views on both sides). When both share a buffer, the copy
  /// goes through a temporary (WebGPU forbids binding a buffer as writable and readable in one
  /// dispatch).
  static func wordCopy(
    _ src: WebGPUStorage, _ srcLayout: Layout, into dst: WebGPUStorage, _ dstLayout: Layout, words: Int
  ) throws(WebGPUError) {
    let shape = dstLayout.shape
    let count = shape.elementCount
    guard count > 0 else { return }
    let p = try gpu.upload(stridedParams(count: count, shape: shape, [srcLayout, dstLayout]))
    let body =
      words == 1
      ? "  output[idx1] = in0[idx0];\n"
      : "  output[2u * idx1] = in0[2u * idx0];\n  output[2u * idx1 + 1u] = in0[2u * idx0 + 1u];\n"
    try gpu.dispatch(
      "copy.w\(words)",
      source: """
        @group(0) @binding(0) var<storage, read> in0: array<u32>;
        @group(0) @binding(1) var<storage, read_write> output: array<u32>;
        @group(0) @binding(2) var<storage, read> params: array<u32>;
        \(WebGPUDevice.linearIndex)
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
          let i = linear_index(wid, lid, groups);
          if (i >= params[0]) { return; }
        \(stridedIndices(operands: 2, from: "i"))\(body)}
        """, buffers: [src.buffer, dst.buffer, p], workgroups: WebGPUDevice.grid(count), output: 1,
      overwritesAll: dstLayout.isContiguous && dstLayout.offset == 0)
  }

  /// Batched `C = A·B` through A's and B's strides (transposed views are read in place), 16×16
  /// tiles in workgroup memory, one z slice per batch.
  static func matmulFloat(
    _ a: WebGPUStorage, _ aLayout: Layout, _ b: WebGPUStorage, _ bLayout: Layout, into out: WebGPUStorage,
    dtype: DType
  ) throws(WebGPUError) {
    let r = aLayout.shape.count
    let (m, n) = (aLayout.shape[r - 2], bLayout.shape[r - 1])
    let batchShape = Array(aLayout.shape.array.dropLast(2))
    let batches = batchShape.reduce(1, *)
    guard batches > 0, m > 0, n > 0 else { return }
    let (params, offsets) = matmulParams(aLayout, bLayout)
    let p = try gpu.upload(params + offsets)
    // f16 and bf16 accumulate in f32 and round once, through a staged f32 product.
    let shape = Shape(batchShape + [m, n])
    let staged = valueStaging(out, count: shape.elementCount, dtype: dtype)
    var z = 0
    // At most 65,535 batches per dispatch (the z limit): rare, handled by the loop in `zBase`.
    while z < batches {
      let slice = Swift.min(batches - z, 65_535)
      let base = try gpu.upload([UInt32(z)])
      // Large products: 64×64 tiles, each invocation accumulating a 4×4 block in registers
      // (16 loads from workgroup memory per 16 multiply-adds instead of 2 per 1). Small ones:
      // 16×16 tiles, one output per invocation. Both sum over k in order, so they agree exactly.
      let blocked = m >= 32 && n >= 32
      try gpu.dispatch(
        blocked ? "matmul.blocked64.\(dtype)" : "matmul.strided16.\(dtype)",
        source: blocked ? Self.blockedMatmulSource(dtype) : Self.tiledMatmulSource(dtype),
        buffers: [a.buffer, b.buffer, staged.buffer, p, base],
        workgroups: blocked ? ((n + 63) / 64, (m + 63) / 64, slice) : ((n + 15) / 16, (m + 15) / 16, slice), output: 2)
      z += slice
    }
    try finishValues(staged, shape: shape, dtype: dtype, into: out)
  }

  /// Matmul parameters (M, N, K, A's row and column strides, B's) and each batch's A and B
  /// offsets.
  static func matmulParams(_ aLayout: Layout, _ bLayout: Layout) -> (params: [UInt32], offsets: [UInt32]) {
    let r = aLayout.shape.count
    let (m, k, n) = (aLayout.shape[r - 2], aLayout.shape[r - 1], bLayout.shape[r - 1])
    let batchShape = Array(aLayout.shape.array.dropLast(2))
    var offsets: [UInt32] = []
    for batch in 0..<batchShape.reduce(1, *) {
      var rest = batch
      var (oa, ob) = (aLayout.offset, bLayout.offset)
      for axis in stride(from: batchShape.count - 1, through: 0, by: -1) {
        let c = rest % batchShape[axis]
        rest /= batchShape[axis]
        oa += c * aLayout.strides[axis]
        ob += c * bLayout.strides[axis]
      }
      offsets += [UInt32(oa), UInt32(ob)]
    }
    let params: [UInt32] = [
      UInt32(m), UInt32(n), UInt32(k), UInt32(aLayout.strides[r - 2]), UInt32(aLayout.strides[r - 1]),
      UInt32(bLayout.strides[r - 2]), UInt32(bLayout.strides[r - 1]),
    ]
    return (params, offsets)
  }

  /// Batched integer and i64 `C = A·B`: one invocation per output element, summing over k in
  /// order with the CPU's wrapping.
  static func matmulTyped(
    _ a: WebGPUStorage, _ aLayout: Layout, _ b: WebGPUStorage, _ bLayout: Layout, into out: WebGPUStorage,
    dtype: DType
  ) throws(WebGPUError) {
    guard let kind = valueKind(dtype), kind == .int || kind == .long else {
      preconditionFailure("integer matmul of \(dtype)")
    }
    let r = aLayout.shape.count
    let (m, n) = (aLayout.shape[r - 2], bLayout.shape[r - 1])
    let batchShape = Array(aLayout.shape.array.dropLast(2))
    let batches = batchShape.reduce(1, *)
    let count = batches * m * n
    guard count > 0 else { return }
    let (params, offsets) = matmulParams(aLayout, bLayout)
    let shape = Shape(batchShape + [m, n])
    let staged = valueStaging(out, count: count, dtype: dtype)
    let (zero, step, store) =
      switch kind {
      case .int: ("0i", "acc + x * y", "output[i] = bitcast<u32>(acc);")
      default:
        ("vec2<u32>(0u, 0u)", "i64_add(acc, i64_mul(x, y))", "output[2u * i] = acc.x; output[2u * i + 1u] = acc.y;")
      }
    let offsetBuffer = try gpu.upload(offsets)
    try perOutput(
      "matmul.typed.\(dtype)", inputs: [a.buffer, b.buffer, offsetBuffer], inputTypes: ["u32", "u32", "u32"],
      output: staged, outputType: "u32", count: count, params: params, functions: typedHelpers,
      body: """
          let M = P(0u); let N = P(1u); let K = P(2u);
          let col = i % N; let row = (i / N) % M; let z = i / (N * M);
          let oa = in2[2u * z] + row * P(3u);
          let ob = in2[2u * z + 1u] + col * P(6u);
          var acc = \(zero);
          for (var kk = 0u; kk < K; kk++) {
            let x = \(typedLoad(dtype, 0, "(oa + kk * P(4u))"));
            let y = \(typedLoad(dtype, 1, "(ob + kk * P(5u))"));
            acc = \(step);
          }
          \(store)
        """)
    try finishValues(staged, shape: shape, dtype: dtype, into: out)
  }

  /// Matmul bindings shared by both kernels: A, B, C, params (M, N, K, A's row and column
  /// strides, B's, then per batch A's and B's offsets) and the first batch of this dispatch.
  static func matmulBindings(_ dtype: DType) -> String {
    """
    @group(0) @binding(0) var<storage, read> in0: array<u32>;
    @group(0) @binding(1) var<storage, read> in1: array<u32>;
    @group(0) @binding(2) var<storage, read_write> C: array<u32>;
    @group(0) @binding(3) var<storage, read> params: array<u32>;
    @group(0) @binding(4) var<storage, read> zBase: array<u32>;
    \(WebGPUDevice.linearIndex)
    \(typedHelpers)
    fn loadA(off: u32, row: u32, k: u32) -> f32 {
      if (row < params[0] && k < params[2]) { return \(typedLoad(dtype, 0, "(off + row * params[3] + k * params[4])")); }
      return 0.0;
    }
    fn loadB(off: u32, k: u32, col: u32) -> f32 {
      if (k < params[2] && col < params[1]) { return \(typedLoad(dtype, 1, "(off + k * params[5] + col * params[6])")); }
      return 0.0;
    }
    """
  }

  static func tiledMatmulSource(_ dtype: DType) -> String {
    """
    \(matmulBindings(dtype))
    var<workgroup> tileA: array<array<f32, 16>, 16>;
    var<workgroup> tileB: array<array<f32, 16>, 16>;
    @compute @workgroup_size(16, 16)
    fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
      let batch = zBase[0] + wid.z;
      let offA = params[7u + 2u * batch];
      let offB = params[8u + 2u * batch];
      let row = wid.y * 16u + lid.y;
      let col = wid.x * 16u + lid.x;
      var acc = 0.0;
      for (var t = 0u; t < params[2]; t += 16u) {
        tileA[lid.y][lid.x] = loadA(offA, row, t + lid.x);
        tileB[lid.y][lid.x] = loadB(offB, t + lid.y, col);
        workgroupBarrier();
        for (var j = 0u; j < 16u; j++) { acc += tileA[lid.y][j] * tileB[j][lid.x]; }
        workgroupBarrier();
      }
      if (row < params[0] && col < params[1]) { C[batch * params[0] * params[1] + row * params[1] + col] = bitcast<u32>(acc); }
    }
    """
  }

  static func blockedMatmulSource(_ dtype: DType) -> String {
    """
    \(matmulBindings(dtype))
    var<workgroup> tileA: array<array<f32, 16>, 64>;
    var<workgroup> tileB: array<array<f32, 64>, 16>;
    @compute @workgroup_size(16, 16)
    fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
      let batch = zBase[0] + wid.z;
      let offA = params[7u + 2u * batch];
      let offB = params[8u + 2u * batch];
      let row0 = wid.y * 64u;
      let col0 = wid.x * 64u;
      var acc: array<array<f32, 4>, 4>;
      for (var t = 0u; t < params[2]; t += 16u) {
        for (var r = 0u; r < 4u; r++) {
          tileA[lid.y + 16u * r][lid.x] = loadA(offA, row0 + lid.y + 16u * r, t + lid.x);
          tileB[lid.y][lid.x + 16u * r] = loadB(offB, t + lid.y, col0 + lid.x + 16u * r);
        }
        workgroupBarrier();
        for (var j = 0u; j < 16u; j++) {
          var a: array<f32, 4>;
          var b: array<f32, 4>;
          for (var r = 0u; r < 4u; r++) {
            a[r] = tileA[lid.y + 16u * r][j];
            b[r] = tileB[j][lid.x + 16u * r];
          }
          for (var r = 0u; r < 4u; r++) {
            for (var c = 0u; c < 4u; c++) { acc[r][c] += a[r] * b[c]; }
          }
        }
        workgroupBarrier();
      }
      for (var r = 0u; r < 4u; r++) {
        let row = row0 + lid.y + 16u * r;
        for (var c = 0u; c < 4u; c++) {
          let col = col0 + lid.x + 16u * c;
          if (row < params[0] && col < params[1]) {
            C[batch * params[0] * params[1] + row * params[1] + col] = bitcast<u32>(acc[r][c]);
          }
        }
      }
    }
    """
  }

  /// The fused Adam/AdamW update (PyTorch's arithmetic, as the CPU kernel).
  static func adamF32(
    _ h: AdamStep, parameter: WebGPUStorage, gradient: WebGPUStorage, m: WebGPUStorage, v: WebGPUStorage,
    vMax: WebGPUStorage?, into out: WebGPUStorage, count: Int
  ) throws(WebGPUError) {
    guard count > 0 else { return }
    let t = Double(h.step)
    let bc1 = 1 - Glibc.pow(h.beta1, t)
    let bc2Root = (1 - Glibc.pow(h.beta2, t)).squareRoot()
    let shrink = h.decoupled ? Float(1 - h.learningRate * h.weightDecay) : 1
    let wd: Float = h.decoupled ? 0 : Float(h.weightDecay)
    let floats: [Float] = [
      Float(h.beta1), Float(h.beta2), shrink, wd, Float(h.learningRate / bc1), Float(1 / bc2Root), Float(h.epsilon),
    ]
    let p = try gpu.upload(floats.map(\.bitPattern) + [UInt32(count), vMax == nil ? 0 : 1])
    let vmaxBuffer: GPUBuffer
    if let vMax { vmaxBuffer = vMax.buffer } else { vmaxBuffer = try gpu.buffer(bytes: 4) }
    try gpu.dispatch(
      "adam.f32",
      source: """
        @group(0) @binding(0) var<storage, read> param: array<f32>;
        @group(0) @binding(1) var<storage, read> grad: array<f32>;
        @group(0) @binding(2) var<storage, read_write> m: array<f32>;
        @group(0) @binding(3) var<storage, read_write> v: array<f32>;
        @group(0) @binding(4) var<storage, read_write> vmax: array<f32>;
        @group(0) @binding(5) var<storage, read_write> output: array<f32>;
        @group(0) @binding(6) var<storage, read> params: array<u32>;
        \(WebGPUDevice.linearIndex)
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
          let i = linear_index(wid, lid, groups);
          if (i >= params[7]) { return; }
          let beta1 = bitcast<f32>(params[0]);
          let beta2 = bitcast<f32>(params[1]);
          let p = param[i] * bitcast<f32>(params[2]);
          let g = grad[i] + p * bitcast<f32>(params[3]);
          let mi = m[i] * beta1 + g * (1.0 - beta1);
          var vi = v[i] * beta2 + g * g * (1.0 - beta2);
          m[i] = mi;
          v[i] = vi;
          if (params[8] == 1u) {
            vi = max(vmax[i], vi);
            vmax[i] = vi;
          }
          output[i] = p - (mi / (sqrt(vi) * bitcast<f32>(params[5]) + bitcast<f32>(params[6]))) * bitcast<f32>(params[4]);
        }
        """, buffers: [parameter.buffer, gradient.buffer, m.buffer, v.buffer, vmaxBuffer, out.buffer, p],
      workgroups: WebGPUDevice.grid(count), output: 5)
  }
}
