import BornCore

// Kernels over rows (softmax, cross-entropy), the comparison rules, and packed copies of 1- and
// 2-byte elements.

extension WebGPU {
  /// The WGSL test for a comparison of `x0` and `x1` with Born's NaN rules (false, except
  /// not-equal), or nil for an unsupported dtype.
  static func compareExpression(_ op: CompareOp, _ dtype: DType) -> String? {
    switch dtype {
    case .f32, .f16:
      let nan = "(is_nan(x0) || is_nan(x1))"
      return switch op {
      case .equal: "!\(nan) && x0 == x1"
      case .notEqual: "\(nan) || x0 != x1"
      case .less: "!\(nan) && x0 < x1"
      case .lessEqual: "!\(nan) && x0 <= x1"
      case .greater: "!\(nan) && x0 > x1"
      case .greaterEqual: "!\(nan) && x0 >= x1"
      }
    case .i64:
      return switch op {
      case .equal: "i64_eq(x0, x1)"
      case .notEqual: "!i64_eq(x0, x1)"
      case .less: "i64_lt(x0, x1)"
      case .lessEqual: "!i64_lt(x1, x0)"
      case .greater: "i64_lt(x1, x0)"
      case .greaterEqual: "!i64_lt(x0, x1)"
      }
    default: return nil
    }
  }

  /// Softmax or log-softmax along `axis`: one workgroup per row (all other coordinates), three
  /// passes over the row (max, sum of exponentials, output). `out` is contiguous.
  static func softmaxKernel(
    _ x: WebGPUStorage, _ layout: Layout, axis: Int, log: Bool, into out: WebGPUStorage, dtype: DType
  ) throws(WebGPUError) {
    let shape = layout.shape
    let rows = shape.elementCount / Swift.max(shape[axis], 1)
    guard shape.elementCount > 0 else { return }
    let outStrides = Layout(contiguous: shape).strides
    var params: [UInt32] = [
      UInt32(rows), UInt32(shape[axis]), UInt32(layout.strides[axis]), UInt32(outStrides[axis]), UInt32(layout.offset),
      UInt32(shape.count - 1),
    ]
    for a in (0..<shape.count).reversed() where a != axis {
      params += [UInt32(shape[a]), UInt32(layout.strides[a]), UInt32(outStrides[a])]
    }
    let p = try gpu.upload(params)
    let result = log ? "v - m - log(s)" : "exp(v - m) / s"
    let staged = valueStaging(out, count: shape.elementCount, dtype: dtype)
    try gpu.dispatch(
      "softmax.\(log ? "log" : "exp").\(dtype)",
      source: """
        @group(0) @binding(0) var<storage, read> in0: array<u32>;
        @group(0) @binding(1) var<storage, read_write> output: array<u32>;
        @group(0) @binding(2) var<storage, read> params: array<u32>;
        \(WebGPUDevice.linearIndex)
        \(WebGPUDevice.workgroupReductions)
        \(floatLoads(dtype, 1))
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
          let row = wid.y * groups.x + wid.x;
          let valid = row < params[0];
          var inBase = params[4];
          var outBase = 0u;
          var rest = row;
          for (var a = 0u; a < params[5]; a++) {
            let size = params[6u + 3u * a];
            let c = rest % size;
            rest = rest / size;
            inBase += c * params[7u + 3u * a];
            outBase += c * params[8u + 3u * a];
          }
          let n = select(0u, params[1], valid);
          var m = bitcast<f32>(0xff800000u);
          for (var j = lid.x; j < n; j += 256u) {
            let v = ld0(inBase + j * params[2]);
            m = select(max(m, v), v, is_nan(v));
          }
          m = workgroup_max(lid.x, m);
          var s = 0.0;
          for (var j = lid.x; j < n; j += 256u) { s += exp(ld0(inBase + j * params[2]) - m); }
          s = workgroup_sum(lid.x, s);
          for (var j = lid.x; j < n; j += 256u) {
            let v = ld0(inBase + j * params[2]);
            output[outBase + j * params[3]] = bitcast<u32>(\(result));
          }
        }
        """, buffers: [x.buffer, staged.buffer, p], workgroups: WebGPUDevice.rowGrid(rows), output: 1)
    try finishValues(staged, shape: shape, dtype: dtype, into: out)
  }

  /// Per-row cross-entropy (`backward: false`) or its gradient: one workgroup per sample.
  static func crossEntropyKernel(
    _ logits: WebGPUStorage, _ layout: Layout, targets: WebGPUStorage, _ targetsLayout: Layout, ignoreIndex: Int64,
    gradient: WebGPUStorage?, into out: WebGPUStorage
  ) throws(WebGPUError) {
    let (n, c) = (layout.shape[0], layout.shape[1])
    guard n > 0 else { return }
    let ignore = UInt64(bitPattern: ignoreIndex)
    let params: [UInt32] = [
      UInt32(n), UInt32(c), UInt32(layout.strides[0]), UInt32(layout.strides[1]), UInt32(layout.offset),
      UInt32(targetsLayout.strides[0]), UInt32(targetsLayout.offset), UInt32(truncatingIfNeeded: ignore),
      UInt32(truncatingIfNeeded: ignore >> 32),
    ]
    let p = try gpu.upload(params)
    let backward = gradient != nil
    let g: GPUBuffer
    if let gradient { g = gradient.buffer } else { g = try gpu.buffer(bytes: 4) }
    let finish =
      backward
      ? """
      let scale = select(grad[row], 0.0, ignored);
      for (var j = lid.x; j < n; j += 256u) {
        let v = logits[base + j * params[3]];
        let hot = select(0.0, 1.0, i32(j) == i32(t.x) && !ignored);
        output[row * n + j] = scale * (exp(v - m) / s - hot);
      }
      """
      : """
      _ = grad[0];  // keeps the binding in the pipeline's layout
      if (lid.x == 0u) {
        output[row] = select(log(s) + m - logits[base + t.x * params[3]], 0.0, ignored);
      }
      """
    try gpu.dispatch(
      "crossEntropy.\(backward ? "backward" : "forward").f32",
      source: """
        @group(0) @binding(0) var<storage, read> logits: array<f32>;
        @group(0) @binding(1) var<storage, read> targets: array<u32>;
        @group(0) @binding(2) var<storage, read> grad: array<f32>;
        @group(0) @binding(3) var<storage, read_write> output: array<f32>;
        @group(0) @binding(4) var<storage, read> params: array<u32>;
        \(WebGPUDevice.linearIndex)
        \(WebGPUDevice.workgroupReductions)
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
          let row = wid.y * groups.x + wid.x;
          if (row >= params[0]) { return; }
          let n = params[1];
          let base = params[4] + row * params[2];
          let ti = params[6] + row * params[5];
          let t = vec2<u32>(targets[2u * ti], targets[2u * ti + 1u]);
          let ignored = t.x == params[7] && t.y == params[8];
          var m = bitcast<f32>(0xff800000u);
          for (var j = lid.x; j < n; j += 256u) { m = max(m, logits[base + j * params[3]]); }
          m = workgroup_max(lid.x, m);
          var s = 0.0;
          for (var j = lid.x; j < n; j += 256u) { s += exp(logits[base + j * params[3]] - m); }
          s = workgroup_sum(lid.x, s);
          \(finish)
        }
        """, buffers: [logits.buffer, targets.buffer, g, out.buffer, p], workgroups: WebGPUDevice.rowGrid(n), output: 3)
  }
}

extension WebGPU {
  /// Copies 1- or 2-byte elements into a destination of any layout (a strided view): one
  /// invocation per element, which clears its bytes of the destination word and sets them with
  /// two atomic operations, so invocations sharing a word never overwrite each other's bytes.
  static func scatteredCopy(
    _ src: WebGPUStorage, _ srcLayout: Layout, into dst: WebGPUStorage, _ dstLayout: Layout, elementBytes: Int
  ) throws(WebGPUError) {
    let count = srcLayout.shape.elementCount
    guard count > 0 else { return }
    let perWord = 4 / elementBytes
    let bits = 8 * elementBytes
    let mask = elementBytes == 1 ? "0xffu" : "0xffffu"
    let p = try gpu.upload(stridedParams(count: count, shape: srcLayout.shape, [srcLayout, dstLayout]))
    try gpu.dispatch(
      "scatteredCopy.\(elementBytes)",
      source: """
        @group(0) @binding(0) var<storage, read> in0: array<u32>;
        @group(0) @binding(1) var<storage, read_write> output: array<atomic<u32>>;
        @group(0) @binding(2) var<storage, read> params: array<u32>;
        \(WebGPUDevice.linearIndex)
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
          let e = linear_index(wid, lid, groups);
          if (e >= params[0]) { return; }
        \(stridedIndices(operands: 2, from: "e"))
          let v = (in0[idx0 / \(perWord)u] >> (\(bits)u * (idx0 % \(perWord)u))) & \(mask);
          let shift = \(bits)u * (idx1 % \(perWord)u);
          atomicAnd(&output[idx1 / \(perWord)u], ~(\(mask) << shift));
          atomicOr(&output[idx1 / \(perWord)u], v << shift);
        }
        """, buffers: [src.buffer, dst.buffer, p], workgroups: WebGPUDevice.grid(count), output: 1,
      overwritesAll: false)
  }

  /// Copies 1- or 2-byte elements (Bool, u8, i8, f16, bf16) into a contiguous destination
  /// starting on a word boundary: each invocation assembles one 32-bit word from its 4 or 2
  /// source elements, read through the source layout. Bits are moved, never converted.
  static func packedCopy(
    _ src: WebGPUStorage, _ srcLayout: Layout, into dst: WebGPUStorage, dstOffset: Int, elementBytes: Int
  ) throws(WebGPUError) {
    let shape = srcLayout.shape
    let count = shape.elementCount
    guard count > 0 else { return }
    let perWord = 4 / elementBytes
    let words = (count + perWord - 1) / perWord
    let p = try gpu.upload(
      stridedParams(count: count, shape: shape, [srcLayout]) + [UInt32(dstOffset / perWord), UInt32(count % perWord)])
    let bits = 8 * elementBytes
    let mask = elementBytes == 1 ? "0xffu" : "0xffffu"
    try gpu.dispatch(
      "packedCopy.\(elementBytes)",
      source: """
        @group(0) @binding(0) var<storage, read> in0: array<u32>;
        @group(0) @binding(1) var<storage, read_write> output: array<u32>;
        @group(0) @binding(2) var<storage, read> params: array<u32>;
        \(WebGPUDevice.linearIndex)
        fn element(e: u32) -> u32 {
        \(stridedIndices(operands: 1, from: "e"))
          return (in0[idx0 / \(perWord)u] >> (\(bits)u * (idx0 % \(perWord)u))) & \(mask);
        }
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
          let w = linear_index(wid, lid, groups);
          let count = params[0];
          if (w * \(perWord)u >= count) { return; }
          let extra = 2u + 1u + 2u * params[1];
          var word = 0u;
          var keep = 0xffffffffu;
          for (var j = 0u; j < \(perWord)u; j++) {
            let e = w * \(perWord)u + j;
            if (e >= count) { break; }
            word = word | (element(e) << (\(bits)u * j));
            keep = keep & ~(\(mask) << (\(bits)u * j));
          }
          let o = params[extra] + w;
          // A last partial word keeps the destination's bytes beyond the tensor.
          output[o] = (output[o] & keep) | word;
        }
        """, buffers: [src.buffer, dst.buffer, p], workgroups: WebGPUDevice.grid(words), output: 1,
      overwritesAll: false)
  }
}
