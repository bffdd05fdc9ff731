import BornCPU
import BornCore
import Synchronization

/// A tensor's memory on the GPU: the bytes of its elements in the same little-endian layout as
/// on the host (so every dtype can be stored), padded to a multiple of 4 bytes.
public final class WebGPUStorage: @unchecked Sendable {
  public let buffer: GPUBuffer
  /// The elements' bytes (the buffer may be larger).
  public let byteCount: Int

  init(buffer: GPUBuffer, byteCount: Int) {
    self.buffer = buffer
    self.byteCount = byteCount
  }
}

/// The WebGPU backend: tensors live on the GPU and ops run as WGSL compute kernels recorded
/// lazily (see ``WebGPUDevice``).
///
/// ```swift
/// guard WebGPU.isAvailable else { return }
/// let x = Tensor<Float, WebGPU>.randn([64, 784])
/// let y = (x.matmul(w.T) + b).relu()      // runs on the GPU
/// print(y.sum().item())                    // one submit, one read-back
/// ```
///
/// Every op has WGSL kernels for f32, f16 and bf16 (computed in f32, rounded once), and for the
/// integer, i64 and Bool dtypes where the op applies; elementwise ops fuse into one kernel per
/// chain (see Fusion.swift). WGSL has no 64-bit float, so f64 arithmetic runs on the CPU
/// backend (inputs read back, result uploaded), counted in ``WebGPUStatistics/fallbacks`` and
/// ``fallbackOps``; results are the CPU's, so behaviour is the same, only slower.
public enum WebGPU: Backend {
  public typealias Storage = WebGPUStorage

  /// A WebGPU adapter (Born uses one: `BORN_WGPU_ADAPTER` picks it).
  public struct Device: Hashable, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "webgpu" }
  }

  public static var name: String { "webgpu" }
  public static var defaultDevice: Device { Device() }
  public static func device(of storage: WebGPUStorage) -> Device { Device() }

  /// Whether a wgpu-native library and an adapter were found.
  public static var isAvailable: Bool { (try? WebGPUDevice.shared()) != nil }

  /// The device; stops with the reason when WebGPU is unavailable (check ``isAvailable``).
  public static var gpu: WebGPUDevice {
    do {
      return try WebGPUDevice.shared()
    } catch {
      fatalError("WebGPU backend: \(error)")
    }
  }

  /// Names of ops that ran on the CPU fallback, with counts.
  public static var fallbackOps: [String: Int] { fallbackCounts.withLock { $0 } }
  static let fallbackCounts = Mutex([String: Int]())

  static func check(_ body: () throws -> Void) {
    do { try body() } catch { fatalError("WebGPU backend: \(error)") }
  }

  // MARK: Memory

  public static func allocate(_ count: Int, dtype: DType, on device: Device) -> WebGPUStorage {
    let bytes = count * dtype.byteSize
    var buffer: GPUBuffer!
    check { buffer = try gpu.buffer(bytes: (bytes + 3) & ~3) }
    return WebGPUStorage(buffer: buffer, byteCount: bytes)
  }

  public static func upload(_ bytes: UnsafeRawBufferPointer, dtype: DType, on device: Device) -> WebGPUStorage {
    let s = allocate(bytes.count / dtype.byteSize, dtype: dtype, on: device)
    writeHost(bytes, into: s)
    return s
  }

  public static func download(
    _ storage: WebGPUStorage, _ layout: Layout, dtype: DType, into bytes: UnsafeMutableRawBufferPointer
  ) {
    CPU.download(host(storage), layout, dtype: dtype, into: bytes)
  }

  /// The storage's bytes as CPU storage, after all recorded work has run.
  static func host(_ s: WebGPUStorage) -> CPUStorage {
    let padded = (s.byteCount + 3) & ~3
    let c = CPUStorage(byteCount: Swift.max(padded, 4))
    guard padded > 0 else { return c }
    check {
      let words = try gpu.download(s.buffer, count: padded / 4, as: UInt32.self)
      words.withUnsafeBytes { c.raw.copyMemory(from: $0.baseAddress!, byteCount: padded) }
    }
    return c
  }

  static func writeHost(_ bytes: UnsafeRawBufferPointer, into s: WebGPUStorage) {
    let padded = (bytes.count + 3) & ~3
    guard padded > 0 else { return }
    if padded == bytes.count {
      check { try gpu.write(bytes, into: s.buffer) }
    } else {
      var copy = [UInt8](repeating: 0, count: padded)
      copy.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
      copy.withUnsafeBytes { b in check { try gpu.write(b, into: s.buffer) } }
    }
  }

  /// Runs `body` on CPU copies of `inputs` and `outputs` and uploads the outputs back.
  static func fallback(
    _ op: String, inputs: [WebGPUStorage], outputs: [WebGPUStorage], _ body: ([CPUStorage], [CPUStorage]) -> Void
  ) {
    fallbackCounts.withLock { $0[op, default: 0] += 1 }
    gpu.state.withLock { $0.stats.fallbacks += 1 }
    let ins = inputs.map(host)
    // Outputs start from their current contents (scatter and in-place updates read them).
    let outs = outputs.map { o in inputs.firstIndex { $0 === o }.map { ins[$0] } ?? host(o) }
    body(ins, outs)
    for (o, c) in zip(outputs, outs) { writeHost(UnsafeRawBufferPointer(start: c.raw, count: o.byteCount), into: o) }
  }

  public static func copy(
    _ src: WebGPUStorage, _ srcLayout: Layout, into dst: WebGPUStorage, _ dstLayout: Layout, dtype: DType
  ) {
    if dtype.byteSize == 4 || dtype.byteSize == 8 {
      check { try wordCopy(src, srcLayout, into: dst, dstLayout, words: dtype.byteSize / 4) }
      return
    }
    // 1- and 2-byte elements share words: whole words when the destination is contiguous from a
    // word boundary, else each element's bytes set atomically.
    let perWord = 4 / dtype.byteSize
    check {
      if dstLayout.isContiguous, dstLayout.offset % perWord == 0 {
        try packedCopy(src, srcLayout, into: dst, dstOffset: dstLayout.offset, elementBytes: dtype.byteSize)
      } else {
        try scatteredCopy(src, srcLayout, into: dst, dstLayout, elementBytes: dtype.byteSize)
      }
    }
  }

  public static func cast(_ src: WebGPUStorage, _ layout: Layout, from: DType, into dst: WebGPUStorage, to: DType) {
    if valueKind(from) != nil || from == .f64, valueKind(to) != nil || to == .f64 {
      fused(convert("x0", from: from, to: to), [(src, layout, from)], shape: layout.shape, into: dst, dtype: to)
      return
    }
    fallback("cast \(from)→\(to)", inputs: [src], outputs: [dst]) { i, o in
      CPU.cast(i[0], layout, from: from, into: o[0], to: to)
    }
  }

  /// Adds `out = expression(x0, x1, ...)` (over the inputs' value kinds, see TypedKernels.swift)
  /// to the device's pending fused kernel.
  static func fused(
    _ expression: String, _ inputs: [(WebGPUStorage, Layout, DType)], shape: Shape, into out: WebGPUStorage,
    dtype: DType
  ) {
    check {
      try gpu.fuse(
        expression: expression, inputs: inputs.map { ($0.0.buffer, $0.1, $0.2) }, shape: shape, dtype: dtype,
        into: out.buffer)
    }
  }

  public static func fill(_ dst: WebGPUStorage, count: Int, value: Double, dtype: DType) {
    // The element's bytes (Born's casting rules), repeated to fill whole 32-bit words.
    let one = CPU.allocate(1, dtype: dtype, on: CPU.defaultDevice)
    CPU.fill(one, count: 1, value: value, dtype: dtype)
    var pattern = [UInt8](repeating: 0, count: 8)
    withExtendedLifetime(one) {
      for k in 0..<8 { pattern[k] = one.raw.load(fromByteOffset: k % dtype.byteSize, as: UInt8.self) }
    }
    let words = pattern.withUnsafeBytes { [$0.load(as: UInt32.self), $0.load(fromByteOffset: 4, as: UInt32.self)] }
    let wordCount = (count * dtype.byteSize + 3) / 4
    check {
      let p = try gpu.upload([UInt32(wordCount), words[0], words[1]])
      try gpu.dispatch(
        "fill.words",
        source: """
          @group(0) @binding(0) var<storage, read_write> output: array<u32>;
          @group(0) @binding(1) var<storage, read> params: array<u32>;
          \(WebGPUDevice.linearIndex)
          @compute @workgroup_size(256)
          fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                  @builtin(num_workgroups) groups: vec3<u32>) {
            let i = linear_index(wid, lid, groups);
            if (i >= params[0]) { return; }
            output[i] = params[1u + (i & 1u)];
          }
          """, buffers: [dst.buffer, p], workgroups: WebGPUDevice.grid(wordCount))
    }
  }

  public static func arange(into dst: WebGPUStorage, count: Int, start: Double, step: Double, dtype: DType) {
    // Computed on the host in double precision with the CPU's rounding rules, then uploaded
    // (one write, like any tensor created from values).
    let host = CPU.allocate(count, dtype: dtype, on: CPU.defaultDevice)
    CPU.arange(into: host, count: count, start: start, step: step, dtype: dtype)
    withExtendedLifetime(host) {
      writeHost(UnsafeRawBufferPointer(start: host.raw, count: count * dtype.byteSize), into: dst)
    }
  }

  // MARK: Elementwise

  public static func unary(_ op: UnaryOp, _ x: WebGPUStorage, _ layout: Layout, into out: WebGPUStorage, dtype: DType) {
    let expression = dtype == .bool && op == .logicalNot ? "!x0" : typedUnaryExpression(op, dtype)?.expression
    if let expression {
      fused(expression, [(x, layout, dtype)], shape: layout.shape, into: out, dtype: dtype)
      return
    }
    fallback("unary \(op) \(dtype)", inputs: [x], outputs: [out]) { i, o in
      CPU.unary(op, i[0], layout, into: o[0], dtype: dtype)
    }
  }

  public static func binary(
    _ op: BinaryOp, _ a: WebGPUStorage, _ aLayout: Layout, _ b: WebGPUStorage, _ bLayout: Layout,
    into out: WebGPUStorage, dtype: DType
  ) {
    let logic = [BinaryOp.and: "(x0 && x1)", .or: "(x0 || x1)", .xor: "(x0 != x1)"]
    let expression = dtype == .bool ? logic[op] : typedBinaryExpression(op, dtype)?.expression
    if let expression {
      fused(expression, [(a, aLayout, dtype), (b, bLayout, dtype)], shape: aLayout.shape, into: out, dtype: dtype)
      return
    }
    fallback("binary \(op) \(dtype)", inputs: [a, b], outputs: [out]) { i, o in
      CPU.binary(op, i[0], aLayout, i[1], bLayout, into: o[0], dtype: dtype)
    }
  }

  public static func compare(
    _ op: CompareOp, _ a: WebGPUStorage, _ aLayout: Layout, _ b: WebGPUStorage, _ bLayout: Layout,
    into out: WebGPUStorage, dtype: DType
  ) {
    if let expression = typedCompareExpression(op, dtype) {
      fused(expression, [(a, aLayout, dtype), (b, bLayout, dtype)], shape: aLayout.shape, into: out, dtype: .bool)
      return
    }
    fallback("compare \(op) \(dtype)", inputs: [a, b], outputs: [out]) { i, o in
      CPU.compare(op, i[0], aLayout, i[1], bLayout, into: o[0], dtype: dtype)
    }
  }

  public static func test(
    _ test: ElementTest, _ x: WebGPUStorage, _ layout: Layout, into out: WebGPUStorage, dtype: DType
  ) {
    if dtype == .f64 {
      let expression: String =
        switch test {
        case .isNaN: "f64_is_nan(x0)"
        case .isInfinite: "(x0.x == 0u && (x0.y & 0x7fffffffu) == 0x7ff00000u)"
        case .isFinite: "(((x0.y >> 20u) & 0x7ffu) != 0x7ffu)"
        }
      fused(expression, [(x, layout, dtype)], shape: layout.shape, into: out, dtype: .bool)
      return
    }
    if let kind = valueKind(dtype) {
      // Halves decode to f32 first; integers and Bools are always finite.
      let expression: String =
        switch test {
        case _ where kind != .float: test == .isFinite ? "true" : "false"
        case .isNaN: "is_nan(x0)"
        case .isInfinite: "((bitcast<u32>(x0) & 0x7fffffffu) == 0x7f800000u)"
        case .isFinite: "((bitcast<u32>(x0) & 0x7f800000u) != 0x7f800000u)"
        }
      fused(expression, [(x, layout, dtype)], shape: layout.shape, into: out, dtype: .bool)
      return
    }
    fallback("test \(test) \(dtype)", inputs: [x], outputs: [out]) { i, o in
      CPU.test(test, i[0], layout, into: o[0], dtype: dtype)
    }
  }

  public static func select(
    _ cond: WebGPUStorage, _ condLayout: Layout, _ a: WebGPUStorage, _ aLayout: Layout, _ b: WebGPUStorage,
    _ bLayout: Layout, into out: WebGPUStorage, dtype: DType
  ) {
    // Selection moves bits, so f64 goes through as Int64 words.
    let bits = dtype == .f64 ? DType.i64 : dtype
    fused(
      "select(x2, x1, x0)", [(cond, condLayout, .bool), (a, aLayout, bits), (b, bLayout, bits)], shape: aLayout.shape,
      into: out, dtype: bits)
  }

  // MARK: Reductions

  public static func reduce(
    _ op: ReduceOp, _ x: WebGPUStorage, _ layout: Layout, axes: AxisSet, into out: WebGPUStorage, dtype: DType
  ) {
    if valueKind(dtype) != nil {
      check { try reduceTyped(op, x, layout, axes: axes, into: out, dtype: dtype) }
      return
    }
    fallback("reduce \(op) \(dtype)", inputs: [x], outputs: [out]) { i, o in
      CPU.reduce(op, i[0], layout, axes: axes, into: o[0], dtype: dtype)
    }
  }

  public static func argReduce(
    _ op: ArgReduceOp, _ x: WebGPUStorage, _ layout: Layout, axis: Int, into out: WebGPUStorage, dtype: DType
  ) {
    if valueKind(dtype) != nil {
      check { try argReduceKernel(op, x, layout, axis: axis, into: out, dtype: dtype) }
      return
    }
    fallback("argReduce \(op) \(dtype)", inputs: [x], outputs: [out]) { i, o in
      CPU.argReduce(op, i[0], layout, axis: axis, into: o[0], dtype: dtype)
    }
  }

  public static func scan(
    _ op: ScanOp, _ x: WebGPUStorage, _ layout: Layout, axis: Int, into out: WebGPUStorage, dtype: DType
  ) {
    if let kind = valueKind(dtype), kind != .bool {
      check { try scanKernel(op, x, layout, axis: axis, into: out, dtype: dtype) }
      return
    }
    fallback("scan \(op) \(dtype)", inputs: [x], outputs: [out]) { i, o in
      CPU.scan(op, i[0], layout, axis: axis, into: o[0], dtype: dtype)
    }
  }

  public static func softmax(
    _ x: WebGPUStorage, _ layout: Layout, axis: Int, log: Bool, into out: WebGPUStorage, dtype: DType
  ) {
    if valueKind(dtype) == .float {
      check { try softmaxKernel(x, layout, axis: axis, log: log, into: out, dtype: dtype) }
      return
    }
    fallback("softmax \(dtype)", inputs: [x], outputs: [out]) { i, o in
      CPU.softmax(i[0], layout, axis: axis, log: log, into: o[0], dtype: dtype)
    }
  }

  // MARK: Linear algebra

  public static func matmul(
    _ a: WebGPUStorage, _ aLayout: Layout, _ b: WebGPUStorage, _ bLayout: Layout, into out: WebGPUStorage,
    dtype: DType
  ) {
    if valueKind(dtype) == .float {
      check { try matmulFloat(a, aLayout, b, bLayout, into: out, dtype: dtype) }
      return
    }
    if valueKind(dtype) == .int || valueKind(dtype) == .long {
      check { try matmulTyped(a, aLayout, b, bLayout, into: out, dtype: dtype) }
      return
    }
    fallback("matmul \(dtype)", inputs: [a, b], outputs: [out]) { i, o in
      CPU.matmul(i[0], aLayout, i[1], bLayout, into: o[0], dtype: dtype)
    }
  }

  // MARK: Indexing

  public static func gather(
    _ x: WebGPUStorage, _ layout: Layout, axis: Int, index: WebGPUStorage, _ indexLayout: Layout,
    into out: WebGPUStorage, dtype: DType
  ) {
    check {
      try gatherKernel(
        x, layout, axis: axis, index: index, indexLayout, outShape: indexLayout.shape, indexPerAxis: false, into: out,
        dtype: dtype)
    }
  }

  public static func scatter(
    _ mode: ScatterMode, into dst: WebGPUStorage, _ dstLayout: Layout, axis: Int, index: WebGPUStorage,
    _ indexLayout: Layout, source: WebGPUStorage, _ sourceLayout: Layout, dtype: DType
  ) {
    // f64 moves as word pairs but has no additions; 1- and 2-byte destinations are unpacked,
    // so they must be contiguous.
    let supported =
      (dtype != .f64 || mode == .assign) && (dtype.byteSize >= 4 || (dstLayout.isContiguous && dstLayout.offset == 0))
    if supported, index.buffer !== dst.buffer, source.buffer !== dst.buffer {
      check {
        try scatterKernel(
          mode, into: dst, dstLayout, axis: axis, index: index, indexLayout, source: source, sourceLayout,
          dtype: dtype == .f64 ? .i64 : dtype)
      }
      return
    }
    fallback("scatter \(mode) \(dtype)", inputs: [index, source], outputs: [dst]) { i, o in
      CPU.scatter(
        mode, into: o[0], dstLayout, axis: axis, index: i[0], indexLayout, source: i[1], sourceLayout, dtype: dtype)
    }
  }

  public static func indexSelect(
    _ x: WebGPUStorage, _ layout: Layout, axis: Int, indices: WebGPUStorage, _ indicesLayout: Layout,
    into out: WebGPUStorage, dtype: DType
  ) {
    var shape = layout.shape
    shape[axis] = indicesLayout.shape[0]
    check {
      try gatherKernel(
        x, layout, axis: axis, index: indices, indicesLayout, outShape: shape, indexPerAxis: true, into: out,
        dtype: dtype)
    }
  }

  public static func sort(
    _ x: WebGPUStorage, _ layout: Layout, axis: Int, descending: Bool, values: WebGPUStorage, indices: WebGPUStorage,
    dtype: DType
  ) {
    if valueKind(dtype) != nil, x.buffer !== values.buffer {
      check {
        try rankSortKernel(
          x, layout, axis: axis, keep: layout.shape[axis], largestFirst: descending, values: values, indices: indices,
          dtype: dtype)
      }
      return
    }
    fallback("sort \(dtype)", inputs: [x], outputs: [values, indices]) { i, o in
      CPU.sort(i[0], layout, axis: axis, descending: descending, values: o[0], indices: o[1], dtype: dtype)
    }
  }

  public static func topK(
    _ x: WebGPUStorage, _ layout: Layout, axis: Int, k: Int, largest: Bool, values: WebGPUStorage,
    indices: WebGPUStorage, dtype: DType
  ) {
    if valueKind(dtype) != nil, x.buffer !== values.buffer {
      check {
        try rankSortKernel(
          x, layout, axis: axis, keep: k, largestFirst: largest, values: values, indices: indices, dtype: dtype)
      }
      return
    }
    fallback("topK \(dtype)", inputs: [x], outputs: [values, indices]) { i, o in
      CPU.topK(i[0], layout, axis: axis, k: k, largest: largest, values: o[0], indices: o[1], dtype: dtype)
    }
  }

  // MARK: Neural-network primitives

  public static func conv2d(
    _ x: WebGPUStorage, _ xLayout: Layout, _ w: WebGPUStorage, _ wLayout: Layout, params: Conv2DParams,
    into out: WebGPUStorage, _ outShape: Shape, dtype: DType
  ) {
    if valueKind(dtype) == .float {
      check { try conv2dKernel(x, xLayout, w, wLayout, params, into: out, outShape, dtype: dtype) }
      return
    }
    fallback("conv2d \(dtype)", inputs: [x, w], outputs: [out]) { i, o in
      CPU.conv2d(i[0], xLayout, i[1], wLayout, params: params, into: o[0], outShape, dtype: dtype)
    }
  }

  public static func pool2d(
    _ kind: PoolKind, _ x: WebGPUStorage, _ xLayout: Layout, params: Pool2DParams, into out: WebGPUStorage,
    _ outShape: Shape, dtype: DType
  ) {
    if valueKind(dtype) == .float {
      check { try pool2dKernel(kind, x, xLayout, params, into: out, outShape, dtype: dtype) }
      return
    }
    fallback("pool2d \(kind) \(dtype)", inputs: [x], outputs: [out]) { i, o in
      CPU.pool2d(kind, i[0], xLayout, params: params, into: o[0], outShape, dtype: dtype)
    }
  }

  public static func conv2dBackwardInput(
    _ gradOut: WebGPUStorage, _ gradOutShape: Shape, _ w: WebGPUStorage, _ wLayout: Layout, params: Conv2DParams,
    into out: WebGPUStorage, inputShape: Shape, dtype: DType
  ) {
    if valueKind(dtype) == .float {
      check {
        try conv2dBackwardInputKernel(
          gradOut, gradOutShape, w, wLayout, params, into: out, inputShape: inputShape, dtype: dtype)
      }
      return
    }
    fallback("conv2dBackwardInput \(dtype)", inputs: [gradOut, w], outputs: [out]) { i, o in
      CPU.conv2dBackwardInput(
        i[0], gradOutShape, i[1], wLayout, params: params, into: o[0], inputShape: inputShape, dtype: dtype)
    }
  }

  public static func conv2dBackwardWeight(
    _ x: WebGPUStorage, _ xLayout: Layout, _ gradOut: WebGPUStorage, _ gradOutShape: Shape, params: Conv2DParams,
    into out: WebGPUStorage, weightShape: Shape, dtype: DType
  ) {
    if valueKind(dtype) == .float {
      check {
        try conv2dBackwardWeightKernel(
          x, xLayout, gradOut, gradOutShape, params, into: out, weightShape: weightShape, dtype: dtype)
      }
      return
    }
    fallback("conv2dBackwardWeight \(dtype)", inputs: [x, gradOut], outputs: [out]) { i, o in
      CPU.conv2dBackwardWeight(
        i[0], xLayout, i[1], gradOutShape, params: params, into: o[0], weightShape: weightShape, dtype: dtype)
    }
  }

  public static func pool2dBackward(
    _ kind: PoolKind, _ x: WebGPUStorage, _ xLayout: Layout, _ gradOut: WebGPUStorage, _ gradOutShape: Shape,
    params: Pool2DParams, into out: WebGPUStorage, dtype: DType
  ) {
    if valueKind(dtype) == .float {
      check { try pool2dBackwardKernel(kind, x, xLayout, gradOut, gradOutShape, params, into: out, dtype: dtype) }
      return
    }
    fallback("pool2dBackward \(kind) \(dtype)", inputs: [x, gradOut], outputs: [out]) { i, o in
      CPU.pool2dBackward(kind, i[0], xLayout, i[1], gradOutShape, params: params, into: o[0], dtype: dtype)
    }
  }

  // MARK: Losses

  public static func crossEntropy(
    _ logits: WebGPUStorage, _ layout: Layout, targets: WebGPUStorage, _ targetsLayout: Layout, ignoreIndex: Int64,
    into losses: WebGPUStorage, dtype: DType
  ) {
    guard dtype == .f32 else {
      compositeCrossEntropy(
        logits, layout, targets: targets, targetsLayout, ignoreIndex: ignoreIndex, into: losses, dtype: dtype)
      return
    }
    check {
      try crossEntropyKernel(
        logits, layout, targets: targets, targetsLayout, ignoreIndex: ignoreIndex, gradient: nil, into: losses)
    }
  }

  public static func crossEntropyBackward(
    _ logits: WebGPUStorage, _ layout: Layout, targets: WebGPUStorage, _ targetsLayout: Layout, ignoreIndex: Int64,
    gradient: WebGPUStorage, into out: WebGPUStorage, dtype: DType
  ) {
    guard dtype == .f32 else {
      compositeCrossEntropyBackward(
        logits, layout, targets: targets, targetsLayout, ignoreIndex: ignoreIndex, gradient: gradient, into: out,
        dtype: dtype)
      return
    }
    check {
      try crossEntropyKernel(
        logits, layout, targets: targets, targetsLayout, ignoreIndex: ignoreIndex, gradient: gradient, into: out)
    }
  }

  // MARK: Optimizer updates

  public static func adamStep(
    _ h: AdamStep, parameter: WebGPUStorage, gradient: WebGPUStorage, m: WebGPUStorage, v: WebGPUStorage,
    vMax: WebGPUStorage?, into out: WebGPUStorage, count: Int, dtype: DType
  ) {
    if dtype == .f16 || dtype == .bf16 {
      // Primitive half ops on the GPU, the same sequence the CPU backend runs for halves.
      compositeAdamStep(
        h, parameter: parameter, gradient: gradient, m: m, v: v, vMax: vMax, into: out, count: count, dtype: dtype)
      return
    }
    guard dtype == .f32 else {
      fallback(
        "adamStep \(dtype)", inputs: [parameter, gradient], outputs: [m, v] + (vMax.map { [$0] } ?? []) + [out]
      ) { i, o in
        CPU.adamStep(
          h, parameter: i[0], gradient: i[1], m: o[0], v: o[1], vMax: vMax == nil ? nil : o[2], into: o.last!,
          count: count, dtype: dtype)
      }
      return
    }
    check { try adamF32(h, parameter: parameter, gradient: gradient, m: m, v: v, vMax: vMax, into: out, count: count) }
  }
}

extension String {
  /// The expression with the variable `x` renamed.
  func replacingX(_ name: String) -> String { replacingOccurrencesOfWord("x", with: name) }

  /// Replaces `word` where it stands alone (not inside another identifier or a number).
  func replacingOccurrencesOfWord(_ word: String, with replacement: String) -> String {
    var out = ""
    let chars = Array(self)
    let w = Array(word)
    var i = 0
    func isIdent(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
    while i < chars.count {
      if i + w.count <= chars.count, Array(chars[i..<(i + w.count)]) == w,
        i == 0 || !isIdent(chars[i - 1]), i + w.count == chars.count || !isIdent(chars[i + w.count])
      {
        out += replacement
        i += w.count
      } else {
        out.append(chars[i])
        i += 1
      }
    }
    return out
  }
}
