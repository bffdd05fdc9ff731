import BornCore

// Convolution, pooling, arg-reductions and index gathers as WGSL kernels (f32). Convolutions
// are direct (each output element loops over its window), and the backward passes gather
// rather than scatter, so no atomics are needed and results do not depend on scheduling.

extension WebGPU {
  /// The [N, C, H, W] geometry of a layout as kernel parameters: sizes, then offset and strides.
  static func nchw(_ l: Layout) -> [UInt32] {
    (0..<4).map { UInt32(l.shape[$0]) } + [UInt32(l.offset)] + (0..<4).map { UInt32(l.strides[$0]) }
  }

  /// WGSL functions `ld0`, `ld1`, ... reading element `i` of operand k as f32 (f32, f16 or bf16
  /// storage; no shader-f16 needed).
  static func floatLoads(_ dtype: DType, _ operands: Int) -> String {
    (0..<operands).map { "fn ld\($0)(i: u32) -> f32 { return \(typedLoad(dtype, $0, "i")); }\n" }.joined()
      + typedHelpers
  }

  static func convParams(_ p: Conv2DParams) -> [UInt32] {
    [p.stride.0, p.stride.1, p.padding.0, p.padding.1, p.dilation.0, p.dilation.1, p.groups].map { UInt32($0) }
  }

  /// Runs a kernel with one invocation per element of a contiguous output of `count` elements;
  /// `body` computes `output[i]` from `params` (layout described by the caller).
  /// `output` holds `outputType` elements (f32 or f16); bodies store through `OUT(...)`.
  static func perOutput(
    _ name: String, inputs: [GPUBuffer], inputTypes: [String], output: WebGPUStorage, outputType: String = "f32",
    count: Int, params: [UInt32], functions: String = "", body: String
  ) throws(WebGPUError) {
    guard count > 0 else { return }
    let p = try gpu.upload([UInt32(count)] + params)
    var decl = (inputTypes + [outputType]).contains("f16") ? "enable f16;\n" : ""
    decl += "alias OUT = \(outputType);\n"
    for (k, t) in inputTypes.enumerated() {
      decl += "@group(0) @binding(\(k)) var<storage, read> in\(k): array<\(t)>;\n"
    }
    let n = inputs.count
    decl += "@group(0) @binding(\(n)) var<storage, read_write> output: array<OUT>;\n"
    decl += "@group(0) @binding(\(n + 1)) var<storage, read> params: array<u32>;\n"
    try gpu.dispatch(
      name,
      source: """
        \(decl)\(WebGPUDevice.linearIndex)
          fn P(k: u32) -> u32 { return params[k + 1u]; }
        fn Pi(k: u32) -> i32 { return i32(params[k + 1u]); }
        \(functions)
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
          let i = linear_index(wid, lid, groups);
          if (i >= params[0]) { return; }
        \(inputs.indices.map { "  _ = in\($0)[0];  // every binding stays in the automatic layout\n" }.joined())
        \(body)
        }
        """, buffers: inputs + [output.buffer, p], workgroups: WebGPUDevice.grid(count), output: inputs.count)
  }

  /// Direct 2-D convolution. Parameters: x (N, C, H, W, offset, 4 strides), w (O, Cg, KH, KW,
  /// offset, 4 strides), stride, padding, dilation, groups, OH, OW.
  static func conv2dKernel(
    _ x: WebGPUStorage, _ xl: Layout, _ w: WebGPUStorage, _ wl: Layout, _ p: Conv2DParams, into out: WebGPUStorage,
    _ outShape: Shape, dtype: DType
  ) throws(WebGPUError) {
    let staged = valueStaging(out, count: outShape.elementCount, dtype: dtype)
    try perOutput(
      "conv2d.\(dtype)", inputs: [x.buffer, w.buffer], inputTypes: ["u32", "u32"], output: staged, outputType: "u32",
      count: outShape.elementCount,
      params: nchw(xl) + nchw(wl) + convParams(p) + [UInt32(outShape[2]), UInt32(outShape[3])],
      functions: floatLoads(dtype, 2),
      body: """
          let OW = P(26u); let OH = P(25u); let O = P(9u);
          let oj = i % OW; let oi = (i / OW) % OH; let o = (i / (OW * OH)) % O; let n = i / (OW * OH * O);
          let Cg = P(10u); let KH = P(11u); let KW = P(12u);
          let g = o / (O / P(24u));
          var acc = 0.0;
          for (var c = 0u; c < Cg; c++) {
            for (var ki = 0u; ki < KH; ki++) {
              let hi = i32(oi * P(18u) + ki * P(22u)) - Pi(20u);
              if (hi < 0 || hi >= Pi(2u)) { continue; }
              for (var kj = 0u; kj < KW; kj++) {
                let wi = i32(oj * P(19u) + kj * P(23u)) - Pi(21u);
                if (wi < 0 || wi >= Pi(3u)) { continue; }
                let xv = ld0(P(4u) + n * P(5u) + (g * Cg + c) * P(6u) + u32(hi) * P(7u) + u32(wi) * P(8u));
                let wv = ld1(P(13u) + o * P(14u) + c * P(15u) + ki * P(16u) + kj * P(17u));
                acc += xv * wv;
              }
            }
          }
          output[i] = bitcast<u32>(acc);
        """)
    try finishValues(staged, shape: outShape, dtype: dtype, into: out)
  }

  /// Gradient of conv2d with respect to its input, gathered per input element.
  static func conv2dBackwardInputKernel(
    _ gy: WebGPUStorage, _ gyShape: Shape, _ w: WebGPUStorage, _ wl: Layout, _ p: Conv2DParams,
    into out: WebGPUStorage, inputShape: Shape, dtype: DType
  ) throws(WebGPUError) {
    let gyl = Layout(contiguous: gyShape)
    let staged = valueStaging(out, count: inputShape.elementCount, dtype: dtype)
    try perOutput(
      "conv2dBackwardInput.\(dtype)", inputs: [gy.buffer, w.buffer], inputTypes: ["u32", "u32"], output: staged,
      outputType: "u32", count: inputShape.elementCount,
      params: nchw(gyl) + nchw(wl) + convParams(p) + (0..<4).map { UInt32(inputShape[$0]) },
      functions: floatLoads(dtype, 2),
      body: """
          let W = P(28u); let H = P(27u); let C = P(26u);
          let wi = i32(i % W); let hi = i32((i / W) % H); let ci = (i / (W * H)) % C; let n = i / (W * H * C);
          let O = P(1u); let OH = Pi(2u); let OW = Pi(3u);
          let Cg = P(10u); let KH = P(11u); let KW = P(12u);
          let groupsCount = P(24u);
          let Og = O / groupsCount;
          let g = ci / Cg;
          let c = ci % Cg;
          var acc = 0.0;
          for (var ki = 0u; ki < KH; ki++) {
            let th = hi + Pi(20u) - i32(ki * P(22u));
            if (th < 0 || th % Pi(18u) != 0) { continue; }
            let oi = th / Pi(18u);
            if (oi >= OH) { continue; }
            for (var kj = 0u; kj < KW; kj++) {
              let tw = wi + Pi(21u) - i32(kj * P(23u));
              if (tw < 0 || tw % Pi(19u) != 0) { continue; }
              let oj = tw / Pi(19u);
              if (oj >= OW) { continue; }
              for (var oo = 0u; oo < Og; oo++) {
                let o = g * Og + oo;
                let gv = ld0(P(4u) + n * P(5u) + o * P(6u) + u32(oi) * P(7u) + u32(oj) * P(8u));
                let wv = ld1(P(13u) + o * P(14u) + c * P(15u) + ki * P(16u) + kj * P(17u));
                acc += gv * wv;
              }
            }
          }
          output[i] = bitcast<u32>(acc);
        """)
    try finishValues(staged, shape: inputShape, dtype: dtype, into: out)
  }

  /// Gradient of conv2d with respect to its weights: one workgroup per weight element reducing
  /// over batch and output positions.
  static func conv2dBackwardWeightKernel(
    _ x: WebGPUStorage, _ xl: Layout, _ gy: WebGPUStorage, _ gyShape: Shape, _ p: Conv2DParams,
    into out: WebGPUStorage, weightShape: Shape, dtype: DType
  ) throws(WebGPUError) {
    let count = weightShape.elementCount
    guard count > 0 else { return }
    let gyl = Layout(contiguous: gyShape)
    let params = nchw(xl) + nchw(gyl) + convParams(p) + (0..<4).map { UInt32(weightShape[$0]) }
    let pb = try gpu.upload([UInt32(count)] + params)
    let staged = valueStaging(out, count: count, dtype: dtype)
    try gpu.dispatch(
      "conv2dBackwardWeight.\(dtype)",
      source: """
        @group(0) @binding(0) var<storage, read> in0: array<u32>;
        @group(0) @binding(1) var<storage, read> in1: array<u32>;
        @group(0) @binding(2) var<storage, read_write> output: array<u32>;
        @group(0) @binding(3) var<storage, read> params: array<u32>;
        \(WebGPUDevice.linearIndex)
        \(WebGPUDevice.workgroupReductions)
        \(floatLoads(dtype, 2))
        fn P(k: u32) -> u32 { return params[k + 1u]; }
        fn Pi(k: u32) -> i32 { return i32(params[k + 1u]); }
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
          let e = wid.y * groups.x + wid.x;
          var acc = 0.0;
          if (e < params[0]) {
            let KW = P(28u); let KH = P(27u); let Cg = P(26u);
            let kj = e % KW; let ki = (e / KW) % KH; let c = (e / (KW * KH)) % Cg; let o = e / (KW * KH * Cg);
            let O = P(10u); let OH = P(11u); let OW = P(12u); let N = P(0u);
            let g = o / (O / P(24u));
            let total = N * OH * OW;
            for (var r = lid.x; r < total; r += 256u) {
              let oj = r % OW; let oi = (r / OW) % OH; let n = r / (OW * OH);
              let hi = i32(oi * P(18u) + ki * P(22u)) - Pi(20u);
              let wi = i32(oj * P(19u) + kj * P(23u)) - Pi(21u);
              if (hi < 0 || hi >= Pi(2u) || wi < 0 || wi >= Pi(3u)) { continue; }
              let xv = ld0(P(4u) + n * P(5u) + (g * Cg + c) * P(6u) + u32(hi) * P(7u) + u32(wi) * P(8u));
              let gv = ld1(P(13u) + n * P(14u) + o * P(15u) + oi * P(16u) + oj * P(17u));
              acc += xv * gv;
            }
          }
          let total = workgroup_sum(lid.x, acc);
          if (lid.x == 0u && e < params[0]) { output[e] = bitcast<u32>(total); }
        }
        """, buffers: [x.buffer, gy.buffer, staged.buffer, pb], workgroups: WebGPUDevice.rowGrid(count), output: 2)
    try finishValues(staged, shape: weightShape, dtype: dtype, into: out)
  }

  static func poolParams(_ p: Pool2DParams) -> [UInt32] {
    [p.kernel.0, p.kernel.1, p.stride.0, p.stride.1, p.padding.0, p.padding.1, p.dilation.0, p.dilation.1].map {
      UInt32($0)
    } + [p.countIncludePad ? 1 : 0]
  }

  /// WGSL that computes window (oi, oj) of plane (n, c): `m` (max, NaN wins) and `at` (the
  /// first position of the maximum, as hi * W + wi), or `s` and `divisor` for averages. Uses
  /// x's geometry at P(0...8) and the pooling parameters at P(9...17).
  static let poolWindow = """
    fn window_base(n: u32, c: u32) -> u32 { return P(4u) + n * P(5u) + c * P(6u); }
    fn window_max(base: u32, oi: u32, oj: u32) -> vec2<f32> {
      var m = bitcast<f32>(0xff800000u);
      var at = -1.0;
      let h0 = i32(oi * P(11u)) - Pi(13u);
      let w0 = i32(oj * P(12u)) - Pi(14u);
      for (var ki = 0u; ki < P(9u); ki++) {
        let hi = h0 + i32(ki * P(15u));
        if (hi < 0 || hi >= Pi(2u)) { continue; }
        for (var kj = 0u; kj < P(10u); kj++) {
          let wi = w0 + i32(kj * P(16u));
          if (wi < 0 || wi >= Pi(3u)) { continue; }
          let v = ld0(base + u32(hi) * P(7u) + u32(wi) * P(8u));
          let position = f32(u32(hi) * P(3u) + u32(wi));
          if (is_nan(v)) { return vec2<f32>(v, position); }
          if (at < 0.0 || v > m) { m = v; at = position; }
        }
      }
      return vec2<f32>(m, at);
    }
    fn window_divisor(oi: u32, oj: u32) -> f32 {
      let h0 = i32(oi * P(11u)) - Pi(13u);
      let w0 = i32(oj * P(12u)) - Pi(14u);
      let h1 = min(h0 + Pi(9u), Pi(2u) + Pi(13u));
      let w1 = min(w0 + Pi(10u), Pi(3u) + Pi(14u));
      let ha = max(h0, 0); let hb = min(h1, Pi(2u));
      let wa = max(w0, 0); let wb = min(w1, Pi(3u));
      let d = select((hb - ha) * (wb - wa), (h1 - h0) * (w1 - w0), P(17u) == 1u);
      return f32(max(d, 1));
    }
    fn window_sum(base: u32, oi: u32, oj: u32) -> f32 {
      let h0 = i32(oi * P(11u)) - Pi(13u);
      let w0 = i32(oj * P(12u)) - Pi(14u);
      let h1 = min(h0 + Pi(9u), Pi(2u) + Pi(13u));
      let w1 = min(w0 + Pi(10u), Pi(3u) + Pi(14u));
      var s = 0.0;
      for (var hi = max(h0, 0); hi < min(h1, Pi(2u)); hi++) {
        for (var wi = max(w0, 0); wi < min(w1, Pi(3u)); wi++) { s += ld0(base + u32(hi) * P(7u) + u32(wi) * P(8u)); }
      }
      return s;
    }
    """

  static func pool2dKernel(
    _ kind: PoolKind, _ x: WebGPUStorage, _ xl: Layout, _ p: Pool2DParams, into out: WebGPUStorage, _ outShape: Shape,
    dtype: DType
  ) throws(WebGPUError) {
    let value = kind == .max ? "window_max(base, oi, oj).x" : "window_sum(base, oi, oj) / window_divisor(oi, oj)"
    let staged = valueStaging(out, count: outShape.elementCount, dtype: dtype)
    try perOutput(
      "pool2d.\(kind).\(dtype)", inputs: [x.buffer], inputTypes: ["u32"], output: staged, outputType: "u32",
      count: outShape.elementCount,
      params: nchw(xl) + poolParams(p) + [UInt32(outShape[2]), UInt32(outShape[3])],
      functions: floatLoads(dtype, 1) + poolWindow,
      body: """
          let OW = P(19u); let OH = P(18u);
          let oj = i % OW; let oi = (i / OW) % OH; let c = (i / (OW * OH)) % P(1u); let n = i / (OW * OH * P(1u));
          let base = window_base(n, c);
          output[i] = bitcast<u32>(\(value));
        """)
    try finishValues(staged, shape: outShape, dtype: dtype, into: out)
  }

  /// Pooling gradient, gathered per input element over the windows that contain it.
  static func pool2dBackwardKernel(
    _ kind: PoolKind, _ x: WebGPUStorage, _ xl: Layout, _ gy: WebGPUStorage, _ gyShape: Shape, _ p: Pool2DParams,
    into out: WebGPUStorage, dtype: DType
  ) throws(WebGPUError) {
    let staged = valueStaging(out, count: xl.shape.elementCount, dtype: dtype)
    let contribution =
      kind == .max
      ? "if (u32(window_max(base, oi, oj).y) == u32(hi) * P(3u) + u32(wi)) { acc += ld1(gbase + oi * OW + oj); }"
      : "acc += ld1(gbase + oi * OW + oj) / window_divisor(oi, oj);"
    try perOutput(
      "pool2dBackward.\(kind).\(dtype)", inputs: [x.buffer, gy.buffer], inputTypes: ["u32", "u32"], output: staged,
      outputType: "u32",
      count: xl.shape.elementCount, params: nchw(xl) + poolParams(p) + [UInt32(gyShape[2]), UInt32(gyShape[3])],
      functions: floatLoads(dtype, 2) + poolWindow,
      body: """
          let W = P(3u); let H = P(2u); let C = P(1u);
          let wi = i32(i % W); let hi = i32((i / W) % H); let c = (i / (W * H)) % C; let n = i / (W * H * C);
          let OH = P(18u); let OW = P(19u);
          let base = window_base(n, c);
          let gbase = (n * C + c) * OH * OW;
          var acc = 0.0;
          for (var ki = 0u; ki < P(9u); ki++) {
            let th = hi + Pi(13u) - i32(ki * P(15u));
            if (th < 0 || th % Pi(11u) != 0) { continue; }
            let oi = u32(th / Pi(11u));
            if (oi >= OH) { continue; }
            for (var kj = 0u; kj < P(10u); kj++) {
              let tw = wi + Pi(14u) - i32(kj * P(16u));
              if (tw < 0 || tw % Pi(12u) != 0) { continue; }
              let oj = u32(tw / Pi(12u));
              if (oj >= OW) { continue; }
              \(contribution)
            }
          }
          output[i] = bitcast<u32>(acc);
        """)
    try finishValues(staged, shape: xl.shape, dtype: dtype, into: out)
  }
}

extension WebGPU {
  /// Index (Int64) of the largest or smallest element along `axis`: one workgroup per row, the
  /// first index on ties, NaN counting as the extreme (its first occurrence). Every dtype but
  /// f64, decoded from its words by the typed loads.
  static func argReduceKernel(
    _ op: ArgReduceOp, _ x: WebGPUStorage, _ layout: Layout, axis: Int, into out: WebGPUStorage, dtype: DType
  )
    throws(WebGPUError)
  {
    guard let kind = valueKind(dtype) else { preconditionFailure("f64 has no WGSL kernels") }
    let shape = layout.shape
    let rows = shape.elementCount / Swift.max(shape[axis], 1)
    guard rows > 0 else { return }
    var params: [UInt32] = [UInt32(rows), UInt32(shape[axis]), UInt32(layout.strides[axis]), UInt32(layout.offset)]
    params.append(UInt32(shape.count - 1))
    for a in (0..<shape.count).reversed() where a != axis { params += [UInt32(shape[a]), UInt32(layout.strides[a])] }
    let p = try gpu.upload(params)
    let (t, load) = comparableLoad(dtype, 0, "at")
    let zero = "\(t)()"
    let better =
      kind == .long ? (op == .argmax ? "i64_lt(a, b)" : "i64_lt(b, a)") : (op == .argmax ? "b > a" : "b < a")
    let nanRules =
      kind == .float
      ? """
        if (is_nan(a)) { return is_nan(b) && ib < ia; }
        if (is_nan(b)) { return true; }
      """ : ""
    try gpu.dispatch(
      "argReduce.\(op).\(dtype)",
      source: """
        @group(0) @binding(0) var<storage, read> in0: array<u32>;
        @group(0) @binding(1) var<storage, read_write> output: array<u32>;
        @group(0) @binding(2) var<storage, read> params: array<u32>;
        var<workgroup> values: array<\(t), 256>;
        var<workgroup> indices: array<u32, 256>;
        \(WebGPUDevice.linearIndex)
        \(typedHelpers)
        // Whether (b, ib) beats (a, ia): NaN first, then the extreme, then the lower index.
        fn beats(a: \(t), ia: u32, b: \(t), ib: u32) -> bool {
          if (ib == 0xffffffffu) { return false; }
          if (ia == 0xffffffffu) { return true; }
        \(nanRules)
          return \(better) || (all(b == a) && ib < ia);
        }
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
          let row = wid.y * groups.x + wid.x;
          var base = params[3];
          var rest = row;
          for (var a = 0u; a < params[4]; a++) {
            let size = params[5u + 2u * a];
            base += (rest % size) * params[6u + 2u * a];
            rest = rest / size;
          }
          let n = select(0u, params[1], row < params[0]);
          var v: \(t) = \(zero);
          var iv = 0xffffffffu;
          for (var j = lid.x; j < n; j += 256u) {
            let at = base + j * params[2];
            let candidate = \(load);
            if (beats(v, iv, candidate, j)) { v = candidate; iv = j; }
          }
          values[lid.x] = v;
          indices[lid.x] = iv;
          workgroupBarrier();
          for (var step = 128u; step > 0u; step = step / 2u) {
            if (lid.x < step && beats(values[lid.x], indices[lid.x], values[lid.x + step], indices[lid.x + step])) {
              values[lid.x] = values[lid.x + step];
              indices[lid.x] = indices[lid.x + step];
            }
            workgroupBarrier();
          }
          if (lid.x == 0u && row < params[0]) {
            output[2u * row] = select(indices[0], 0u, indices[0] == 0xffffffffu);
            output[2u * row + 1u] = 0u;
          }
        }
        """, buffers: [x.buffer, out.buffer, p], workgroups: WebGPUDevice.rowGrid(rows), output: 1)
  }

  /// `out[p] = x[p with coordinate axis = index(p)]` over the output shape (f32 values, Int64
  /// indices read through their layout). `indexPerAxis` makes it `indexSelect` (the index is a
  /// vector along `axis`).
  static func gatherKernel(
    _ x: WebGPUStorage, _ layout: Layout, axis: Int, index: WebGPUStorage, _ indexLayout: Layout, outShape: Shape,
    indexPerAxis: Bool, into out: WebGPUStorage, dtype: DType
  ) throws(WebGPUError) {
    let count = outShape.elementCount
    let staged = stagedOutput(out, count: count, dtype: dtype)
    var params: [UInt32] = [UInt32(outShape.count), UInt32(axis), UInt32(layout.offset), UInt32(indexLayout.offset)]
    params.append(indexPerAxis ? 1 : 0)
    params.append(indexPerAxis ? UInt32(indexLayout.strides[0]) : 0)
    for a in (0..<outShape.count).reversed() {
      params += [UInt32(outShape[a]), UInt32(layout.strides[a]), indexPerAxis ? 0 : UInt32(indexLayout.strides[a])]
    }
    // Elements move as raw bits: a word, a pair of words, or a staged 1- or 2-byte element.
    let store =
      dtype.byteSize == 8
      ? "output[2u * i] = in0[2u * source];\n  output[2u * i + 1u] = in0[2u * source + 1u];"
      : "output[i] = \(elementBits(dtype, 0, "source"));"
    try perOutput(
      "gather.\(indexPerAxis ? "select" : "elements").\(dtype.byteSize)", inputs: [x.buffer, index.buffer],
      inputTypes: ["u32", "u32"], output: staged, outputType: "u32", count: count, params: params,
      body: """
          var rest = i;
          var xi = P(2u);
          var ii = P(3u);
          var coordinate = 0u;
          let rank = P(0u);
          for (var a = 0u; a < rank; a++) {
            let base = 6u + 3u * a;
            let c = rest % P(base);
            rest = rest / P(base);
            if (rank - 1u - a == P(1u)) { coordinate = c; } else { xi += c * P(base + 1u); }
            ii += c * P(base + 2u);
          }
          if (P(4u) == 1u) { ii = P(3u) + coordinate * P(5u); }
          let picked = in1[2u * ii];
          var axisStride = 0u;
          for (var a = 0u; a < rank; a++) { if (rank - 1u - a == P(1u)) { axisStride = P(7u + 3u * a); } }
          let source = xi + picked * axisStride;
          \(store)
        """)
    try finishStaged(staged, count: count, dtype: dtype, into: out)
  }
}

extension WebGPU {
  /// Cumulative sum or product along `axis`: one invocation per line, in the CPU's order (so
  /// results are identical). `out` is contiguous. Floats accumulate in f32 (halves round each
  /// output once), integers wrap, i64 runs on word pairs.
  static func scanKernel(
    _ op: ScanOp, _ x: WebGPUStorage, _ layout: Layout, axis: Int, into out: WebGPUStorage, dtype: DType
  ) throws(WebGPUError) {
    guard let kind = valueKind(dtype), kind != .bool else { preconditionFailure("scan of \(dtype) on the GPU") }
    let shape = layout.shape
    let n = shape[axis]
    let count = shape.elementCount
    guard count > 0 else { return }
    let lines = count / n
    let outStrides = Layout(contiguous: shape).strides
    var params: [UInt32] = [UInt32(n), UInt32(layout.strides[axis]), UInt32(outStrides[axis]), UInt32(layout.offset)]
    params.append(UInt32(shape.count - 1))
    for a in (0..<shape.count).reversed() where a != axis {
      params += [UInt32(shape[a]), UInt32(layout.strides[a]), UInt32(outStrides[a])]
    }
    let staged = valueStaging(out, count: count, dtype: dtype)
    let combine =
      switch (kind, op) {
      case (.long, .cumsum): "i64_add(acc, v)"
      case (.long, _): "i64_mul(acc, v)"
      case (_, .cumsum): "acc + v"
      default: "acc * v"
      }
    let store =
      kind == .long
      ? "output[2u * at] = acc.x;\n    output[2u * at + 1u] = acc.y;" : "output[at] = bitcast<u32>(acc);"
    try perOutput(
      "scan.\(op).\(dtype)", inputs: [x.buffer], inputTypes: ["u32"], output: staged, outputType: "u32", count: lines,
      params: params, functions: typedHelpers,
      body: """
          var rest = i;
          var inBase = P(3u);
          var outBase = 0u;
          for (var a = 0u; a < P(4u); a++) {
            let size = P(5u + 3u * a);
            let c = rest % size;
            rest = rest / size;
            inBase += c * P(6u + 3u * a);
            outBase += c * P(7u + 3u * a);
          }
          var acc = \(typedLoad(dtype, 0, "inBase"));
          for (var j = 0u; j < P(0u); j++) {
            if (j > 0u) {
              let v = \(typedLoad(dtype, 0, "(inBase + j * P(1u))"));
              acc = \(combine);
            }
            let at = outBase + j * P(2u);
            \(store)
          }
        """)
    try finishValues(staged, shape: shape, dtype: dtype, into: out)
  }

  /// `scatter` into contiguous `dst`, gathered per destination element: each one walks the
  /// index positions that share its other coordinates in order, so duplicates resolve as on the
  /// CPU (the last assignment wins; additions happen in the same order, bit for bit).
  static func scatterKernel(
    _ mode: ScatterMode, into dst: WebGPUStorage, _ dstLayout: Layout, axis: Int, index: WebGPUStorage,
    _ indexLayout: Layout, source: WebGPUStorage, _ sourceLayout: Layout, dtype: DType
  ) throws(WebGPUError) {
    let shape = dstLayout.shape
    let count = shape.elementCount
    guard count > 0, indexLayout.elementCount > 0 else { return }
    let rank = shape.count
    var params: [UInt32] = [UInt32(count), UInt32(rank), UInt32(axis), UInt32(dstLayout.offset)]
    params += [UInt32(indexLayout.offset), UInt32(sourceLayout.offset)]
    // Per axis, innermost first: destination size and stride, index size, index and source strides.
    for a in (0..<rank).reversed() {
      params += [
        UInt32(shape[a]), UInt32(dstLayout.strides[a]), UInt32(indexLayout.shape[a]), UInt32(indexLayout.strides[a]),
        UInt32(sourceLayout.strides[a]),
      ]
    }
    let p = try gpu.upload(params)
    // The destination's elements as raw words: 1- and 2-byte elements are unpacked to a word
    // each first (the caller passes those only contiguous) and packed back after.
    let staged = dtype.byteSize < 4 ? try unpacked(dst, count: count, dtype: dtype) : dst
    let wide = dtype.byteSize == 8
    let sourceBits = wide ? "vec2<u32>(in2[2u * si2], in2[2u * si2 + 1u])" : elementBits(dtype, 2, "si2")
    // Additions as the CPU does them: halves round through f32 at every step, integers wrap,
    // Bools or.
    let add: String =
      switch dtype {
      case .f32: "bitcast<u32>(bitcast<f32>(acc) + bitcast<f32>(s))"
      case .f16: "f16_bits(f16_value(acc) + f16_value(s))"
      case .bf16: "bf16_bits(bf16_value(acc) + bf16_value(s))"
      case .i32: "bitcast<u32>(bitcast<i32>(acc) + bitcast<i32>(s))"
      case .i8, .u8: "((acc + s) & 0xffu)"
      case .bool: "select(0u, 1u, acc != 0u || s != 0u)"
      case .i64: "i64_add(acc, s)"
      case .f64: preconditionFailure("f64 additions have no WGSL kernel")
      }
    try gpu.dispatch(
      "scatter.\(mode).\(dtype)",
      source: """
        @group(0) @binding(0) var<storage, read_write> dst: array<u32>;
        @group(0) @binding(1) var<storage, read> idx: array<u32>;
        @group(0) @binding(2) var<storage, read> in2: array<u32>;
        @group(0) @binding(3) var<storage, read> params: array<u32>;
        \(WebGPUDevice.linearIndex)
        \(typedHelpers)
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
          let i = linear_index(wid, lid, groups);
          if (i >= params[0]) { return; }
          let rank = params[1];
          let axisSlot = rank - 1u - params[2];
          var rest = i;
          var di = params[3];
          var ii = params[4];
          var si = params[5];
          var wanted = 0u;
          var inside = true;
          for (var a = 0u; a < rank; a++) {
            let base = 6u + 5u * a;
            let c = rest % params[base];
            rest = rest / params[base];
            di += c * params[base + 1u];
            if (a == axisSlot) { wanted = c; } else {
              if (c >= params[base + 2u]) { inside = false; }
              ii += c * params[base + 3u];
              si += c * params[base + 4u];
            }
          }
          if (!inside) { return; }
          let axisBase = 6u + 5u * axisSlot;
          var acc = \(wide ? "vec2<u32>(dst[2u * di], dst[2u * di + 1u])" : "dst[di]");
          for (var k = 0u; k < params[axisBase + 2u]; k++) {
            let at = ii + k * params[axisBase + 3u];
            if (idx[2u * at] == wanted) {
              let si2 = si + k * params[axisBase + 4u];
              let s = \(sourceBits);
              acc = \(mode == .add ? add : "s");
            }
          }
          \(wide ? "dst[2u * di] = acc.x;\n          dst[2u * di + 1u] = acc.y;" : "dst[di] = acc;")
        }
        """, buffers: [staged.buffer, index.buffer, source.buffer, p], workgroups: WebGPUDevice.grid(count))
    try finishStaged(staged, count: count, dtype: dtype, into: dst)
  }

  /// The raw bits of `x`'s first `count` 1- or 2-byte elements, a word each.
  static func unpacked(_ x: WebGPUStorage, count: Int, dtype: DType) throws(WebGPUError) -> WebGPUStorage {
    let words = allocate(count, dtype: .i32, on: defaultDevice)
    try perOutput(
      "unpack.\(dtype.byteSize)", inputs: [x.buffer], inputTypes: ["u32"], output: words, outputType: "u32",
      count: count, params: [], body: "  output[i] = \(elementBits(dtype, 0, "i"));")
    return words
  }
}

extension String {
  fileprivate func replacingOccurrences(_ a: String, _ b: String) -> String { replacingOccurrencesOfWord(a, with: b) }
}

extension WebGPU {
  /// Sort or top-k along `axis` by rank: each invocation counts the elements of its line that
  /// come before it (NaN above every number; ties in original order, as on the CPU) and, when
  /// its rank is below `keep`, writes its value and index there. Quadratic in the line length,
  /// exact, and identical to the CPU's order.
  static func rankSortKernel(
    _ x: WebGPUStorage, _ layout: Layout, axis: Int, keep: Int, largestFirst: Bool, values: WebGPUStorage,
    indices: WebGPUStorage, dtype: DType
  ) throws(WebGPUError) {
    guard let kind = valueKind(dtype) else { preconditionFailure("sort of f64 on the GPU") }
    let shape = layout.shape
    let n = shape[axis]
    guard shape.elementCount > 0, keep > 0 else { return }
    var outShape = shape
    outShape[axis] = keep
    let outStrides = Layout(contiguous: outShape).strides
    var params: [UInt32] = [
      UInt32(shape.elementCount), UInt32(n), UInt32(keep), UInt32(layout.strides[axis]), UInt32(outStrides[axis]),
      UInt32(layout.offset), UInt32(largestFirst ? 1 : 0), UInt32(shape.count - 1),
    ]
    for a in (0..<shape.count).reversed() where a != axis {
      params += [UInt32(shape[a]), UInt32(layout.strides[a]), UInt32(outStrides[a])]
    }
    let p = try gpu.upload(params)
    let outCount = outShape.elementCount
    let staged = stagedOutput(values, count: outCount, dtype: dtype)
    // Values compare as their kind (NaN above every number for floats) and move as raw bits.
    let (t, load) = comparableLoad(dtype, 0, "at")
    let (less, greater) = kind == .long ? ("i64_lt(a, b)", "i64_lt(b, a)") : ("(a < b)", "(a > b)")
    let nanRules =
      kind == .float
      ? """
        let an = is_nan(a);
        let bn = is_nan(b);
        if (an && bn) { return j < i; }
        if (an || bn) { return select(bn, an, params[6] == 1u); }
      """ : ""
    let store =
      dtype.byteSize == 8
      ? "values[2u * o] = in0[2u * at];\n    values[2u * o + 1u] = in0[2u * at + 1u];"
      : "values[o] = \(elementBits(dtype, 0, "at"));"
    try gpu.dispatch(
      "rankSort.\(dtype)",
      source: """
        @group(0) @binding(0) var<storage, read> in0: array<u32>;
        @group(0) @binding(1) var<storage, read_write> values: array<u32>;
        @group(0) @binding(2) var<storage, read_write> indices: array<u32>;
        @group(0) @binding(3) var<storage, read> params: array<u32>;
        \(WebGPUDevice.linearIndex)
        \(typedHelpers)
        fn value(at: u32) -> \(t) { return \(load); }
        // Whether element (a, j) comes before (b, i).
        fn before(a: \(t), j: u32, b: \(t), i: u32) -> bool {
        \(nanRules)
          if (!all(a == b)) { return select(\(less), \(greater), params[6] == 1u); }
          return j < i;
        }
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
          let e = linear_index(wid, lid, groups);
          if (e >= params[0]) { return; }
          let n = params[1];
          let i = e % n;
          var rest = e / n;
          var inBase = params[5];
          var outBase = 0u;
          for (var a = 0u; a < params[7]; a++) {
            let size = params[8u + 3u * a];
            let c = rest % size;
            rest = rest / size;
            inBase += c * params[9u + 3u * a];
            outBase += c * params[10u + 3u * a];
          }
          let at = inBase + i * params[3];
          let v = value(at);
          var rank = 0u;
          for (var j = 0u; j < n; j++) {
            if (before(value(inBase + j * params[3]), j, v, i)) { rank++; }
          }
          if (rank < params[2]) {
            let o = outBase + rank * params[4];
            \(store)
            indices[2u * o] = i;
            indices[2u * o + 1u] = 0u;
          }
        }
        """, buffers: [x.buffer, staged.buffer, indices.buffer, p], workgroups: WebGPUDevice.grid(shape.elementCount))
    try finishStaged(staged, count: outCount, dtype: dtype, into: values)
  }
}
