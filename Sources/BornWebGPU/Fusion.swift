import BornCore
import Synchronization

// Fused elementwise chains.
//
// Elementwise ops (unary, binary, comparisons, element tests, selection, casts) do not record
// a dispatch right away: each becomes a node of the device's pending group, an expression over
// the group's external inputs and earlier nodes. A node that reads an earlier node's result
// (contiguously, over the same shape) reads the value the kernel already holds in a register.
// The group becomes one dispatch when something needs it: a kernel or copy that binds one of
// its outputs, or writes one of its inputs; a read-back; a submit; or a node that cannot join
// (another shape, a strided read of a pending result, too many bindings). At that point only
// the results whose tensors are still alive are written; a temporary such as the Bool mask of
// a ReLU gradient never reaches memory.
//
// Work that touches none of the group's buffers may be recorded while the group waits: it
// neither reads what the group writes nor writes what it reads, so the order does not matter.

/// One elementwise op waiting in a fused group.
struct FusionNode {
  /// The expression, with inputs renamed to `a<k>` (external input k) and `v<m>` (node m).
  var expression: String
  var dtype: DType
  /// The buffer receiving the result; nil once no tensor can read it.
  weak var output: GPUBuffer?
}

/// The device's pending group: elementwise nodes over one shape, not yet recorded.
struct FusionGroup {
  var shape: Shape
  var externals: [(buffer: GPUBuffer, layout: Layout, dtype: DType)] = []
  var nodes: [FusionNode] = []

  init(shape: Shape) { self.shape = shape }

  /// Whether the group reads or writes `buffer`.
  func touches(_ buffer: GPUBuffer) -> Bool {
    externals.contains { $0.buffer === buffer } || node(writing: buffer) != nil
  }

  /// The node whose result `buffer` receives.
  func node(writing buffer: GPUBuffer) -> Int? { nodes.firstIndex { $0.output === buffer } }

  /// The external input read exactly as `input` is.
  func external(_ input: (buffer: GPUBuffer, layout: Layout, dtype: DType)) -> Int? {
    externals.firstIndex { $0.buffer === input.buffer && $0.layout == input.layout && $0.dtype == input.dtype }
  }
}

extension WebGPUDevice {
  /// Most storage buffers a fused kernel binds: the device's limit (the device is created with
  /// the adapter's limits; WebGPU guarantees 8), at most 16.
  var maximumBindings: Int { Int(Swift.min(Swift.max(adapter.maxStorageBuffersPerShaderStage, 8), 16)) }
  /// Most nodes in one fused kernel.
  static let maximumFusedNodes = 24

  /// Adds the elementwise op `out = expression(x0, x1, ...)` to the pending group (starting a
  /// new group when it cannot join the current one). `out` is a fresh contiguous buffer over
  /// `shape`, or one of the inputs' buffers reused in place.
  func fuse(
    expression: String, inputs: [(buffer: GPUBuffer, layout: Layout, dtype: DType)], shape: Shape, dtype: DType,
    into out: GPUBuffer
  ) throws(WebGPUError) {
    guard shape.elementCount > 0 else { return }
    // Taking a group and recording it happen under the lock, so no thread records work that
    // reads a group's results before the group itself.
    try withFusion { (slot) throws(WebGPUError) in
      if let group = slot, !canJoin(group, inputs: inputs, shape: shape, out: out) {
        slot = nil
        try record(group)
      }
      join(&slot, expression: expression, inputs: inputs, shape: shape, dtype: dtype, out: out)
      if !fusesElementwiseOps, let group = slot {
        slot = nil
        try record(group)
      }
    }
    state.withLock { $0.stats.fusedOps += 1 }
  }

  /// Adds the op to `slot`'s group (a new one when there is none); the caller checked it fits.
  func join(
    _ slot: inout FusionGroup?, expression: String, inputs: [(buffer: GPUBuffer, layout: Layout, dtype: DType)],
    shape: Shape, dtype: DType, out: GPUBuffer
  ) {
    var group = slot ?? FusionGroup(shape: shape)
    var e = expression
    for (k, input) in inputs.enumerated() {
      let operand: String
      if let m = group.node(writing: input.buffer) {
        operand = "v\(m)"
      } else if let x = group.external(input) {
        operand = "a\(x)"
      } else {
        group.externals.append(input)
        operand = "a\(group.externals.count - 1)"
      }
      e = e.replacingOccurrencesOfWord("x\(k)", with: operand)
    }
    // Writing in place over a pending result supersedes it: later nodes read the new value.
    for m in group.nodes.indices where group.nodes[m].output === out { group.nodes[m].output = nil }
    group.nodes.append(FusionNode(expression: e, dtype: dtype, output: out))
    slot = group
  }

  /// Whether an op over `shape` reading `inputs` and writing `out` can join `group`.
  func canJoin(
    _ group: FusionGroup, inputs: [(buffer: GPUBuffer, layout: Layout, dtype: DType)], shape: Shape, out: GPUBuffer
  ) -> Bool {
    guard group.shape == shape, group.nodes.count < Self.maximumFusedNodes else { return false }
    // The op may not overwrite what the group still reads; an op writing in place over an
    // input that is not a pending result starts its own group (the one output a kernel may
    // route through a temporary, see WebGPUDevice.dispatch).
    if group.externals.contains(where: { $0.buffer === out }) { return false }
    if inputs.contains(where: { $0.buffer === out }) && group.node(writing: out) == nil { return false }
    var newExternals = 0
    for input in inputs {
      if group.node(writing: input.buffer) != nil {
        // A pending result is only read as it is written: contiguously, over the same shape.
        if input.layout != Layout(contiguous: shape) { return false }
      } else if group.external(input) == nil {
        newExternals += 1
      }
    }
    // Inputs, the nodes whose results a tensor still holds (the possible outputs), this op's
    // output and the parameters.
    let outputs = group.nodes.count { $0.output != nil }
    return group.externals.count + newExternals + outputs + 1 + 1 <= maximumBindings
  }

  /// Records the pending group, if any.
  func recordFusion() throws(WebGPUError) {
    try withFusion { (slot) throws(WebGPUError) in
      guard let group = slot else { return }
      slot = nil
      try record(group)
    }
  }

  /// Records the pending group first when it reads or writes any of `buffers`.
  func recordFusion(ifTouching buffers: [GPUBuffer]) throws(WebGPUError) {
    try withFusion { (slot) throws(WebGPUError) in
      guard let group = slot, buffers.contains(where: { group.touches($0) }) else { return }
      slot = nil
      try record(group)
    }
  }

  /// Runs `body` holding the pending group's lock.
  func withFusion(_ body: (inout FusionGroup?) throws(WebGPUError) -> Void) throws(WebGPUError) {
    try fusion.withLock { (slot) throws(WebGPUError) in try body(&slot) }
  }

  /// One kernel computing every node of `group` and writing the results still in use. Each
  /// invocation handles four elements, so outputs of 1- and 2-byte elements fill whole words.
  func record(_ group: FusionGroup) throws(WebGPUError) {
    let outputs = group.nodes.enumerated().compactMap { m, node in node.output.map { (m, node.dtype, $0) } }
    guard !outputs.isEmpty else { return }
    let count = group.shape.elementCount
    let k = group.externals.count
    // The kernel is a function of the operands' dtypes, the expressions and which results are
    // written: that is its cache key, so the source is only generated on a cache miss.
    let contiguous = group.externals.allSatisfy { $0.layout == Layout(contiguous: group.shape) }
    let key =
      "fused\(contiguous ? "C" : "S"):" + group.externals.map { "\($0.dtype)" }.joined(separator: ",") + "|"
      + group.nodes.map { "\($0.dtype)=\($0.expression)" }.joined(separator: ";") + "|"
      + outputs.map { "\($0.0)" }.joined(separator: ",")
    let p = try upload(WebGPU.stridedParams(count: count, shape: group.shape, group.externals.map(\.layout)))
    let buffers = group.externals.map(\.buffer) + outputs.map(\.2) + [p]
    // An output that is also an input (an op reusing its input's buffer in place, alone in
    // its group) goes through a temporary.
    let aliased = outputs.indices.first { j in group.externals.contains { $0.buffer === outputs[j].2 } }
    try dispatchDirect(
      key, source: Self.fusedSource(group, outputs: outputs.map { ($0.0, $0.1) }, contiguous: contiguous),
      buffers: buffers,
      workgroups: WebGPUDevice.grid((count + 3) / 4), output: aliased.map { k + $0 })
  }

  /// The WGSL of a fused group writing the results of nodes `outputs` (index, dtype). When
  /// every input is contiguous over the group's shape, element e of each is simply at e.
  static func fusedSource(_ group: FusionGroup, outputs: [(Int, DType)], contiguous: Bool) -> String {
    let k = group.externals.count
    var decl = ""
    for x in 0..<k { decl += "@group(0) @binding(\(x)) var<storage, read> in\(x): array<u32>;\n" }
    for (j, _) in outputs.enumerated() {
      decl += "@group(0) @binding(\(k + j)) var<storage, read_write> out\(j): array<u32>;\n"
    }
    decl += "@group(0) @binding(\(k + outputs.count)) var<storage, read> params: array<u32>;\n"
    var element =
      contiguous
      ? (0..<k).map { "    let idx\($0) = e;\n" }.joined() : WebGPU.stridedIndices(operands: k, from: "e")
    for (x, input) in group.externals.enumerated() {
      element += "    let a\(x) = \(WebGPU.typedLoad(input.dtype, x, "idx\(x)"));\n"
    }
    for (m, node) in group.nodes.enumerated() {
      element += "    let v\(m) = \(WebGPU.typedRound(node.dtype, node.expression));\n"
    }
    var before = ""
    var after = ""
    for (j, (m, dtype)) in outputs.enumerated() {
      switch dtype.byteSize {
      case 8:
        element += "    out\(j)[2u * e] = v\(m).x;\n    out\(j)[2u * e + 1u] = v\(m).y;\n"
      case 4:
        element += "    out\(j)[e] = \(WebGPU.typedBits(dtype, "v\(m)"));\n"
      case 2:
        before += "  var w\(j) = vec2<u32>(0u, 0u);\n"
        element += "    w\(j)[j / 2u] = w\(j)[j / 2u] | (\(WebGPU.typedBits(dtype, "v\(m)")) << (16u * (j % 2u)));\n"
        after += "  out\(j)[2u * w] = w\(j).x;\n  if (w * 4u + 2u < params[0]) { out\(j)[2u * w + 1u] = w\(j).y; }\n"
      default:
        before += "  var w\(j) = 0u;\n"
        element += "    w\(j) = w\(j) | (\(WebGPU.typedBits(dtype, "v\(m)")) << (8u * j));\n"
        after += "  out\(j)[w] = w\(j);\n"
      }
    }
    return """
      \(decl)\(WebGPUDevice.linearIndex)
      \(WebGPU.typedHelpers)
      @compute @workgroup_size(256)
      fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
              @builtin(num_workgroups) groups: vec3<u32>) {
        let w = linear_index(wid, lid, groups);
        if (w * 4u >= params[0]) { return; }
      \((0..<k).map { "  _ = in\($0)[0];  // keeps bindings an expression ignores in the layout\n" }.joined())\(before)  for (var j = 0u; j < 4u; j++) {
          let e = w * 4u + j;
          if (e >= params[0]) { break; }
      \(element)  }
      \(after)}
      """
  }
}
