import CBornWebGPU
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A GPU device with a buffer pool, a kernel cache and a lazy command recorder.
///
/// Work is recorded into one command encoder and submitted when a value is read back, when
/// ``maximumPendingDispatches`` dispatches are waiting, or on ``flush()``. Buffers freed while
/// recorded work may still use them are retired, and return to the pool only after the next
/// submit, so a recycled buffer is never overwritten (by an upload, which the queue runs before
/// pending commands) while earlier work still reads it.
///
/// ```swift
/// let gpu = try WebGPUDevice.shared()
/// let x = try gpu.upload([1, 2, 3] as [Float])
/// let y = try gpu.unary("exp", x, count: 3)
/// print(try gpu.download(y, count: 3, as: Float.self))
/// ```
public final class WebGPUDevice: @unchecked Sendable {
  public let library: WebGPULibrary
  public let adapter: WebGPUAdapterInfo
  let device: WGPUDevice
  let queue: WGPUQueue
  var api: BornWGPU { library.api }

  /// Dispatches recorded before a submit is forced.
  public var maximumPendingDispatches = 64

  /// Whether elementwise ops wait to be fused (see Fusion.swift); when false, each records its
  /// own kernel at once (for comparisons and debugging).
  public var fusesElementwiseOps: Bool {
    get { fusing.load(ordering: .relaxed) }
    set { fusing.store(newValue, ordering: .relaxed) }
  }
  let fusing = Atomic<Bool>(true)

  struct State {
    var encoder: WGPUCommandEncoder?
    /// The compute pass consecutive dispatches share; ended before a copy or a submit.
    var pass: WGPUComputePassEncoder?
    var pendingDispatches = 0
    var retired: [GPUBufferHandle] = []
    var pool: [Int: [GPUBufferHandle]] = [:]
    var pipelines: [String: Pipeline] = [:]
    var stats = WebGPUStatistics()
  }
  let state = Mutex(State())
  let recording = Mutex(())
  /// Elementwise ops waiting to be recorded as one fused kernel (see Fusion.swift).
  let fusion = Mutex<FusionGroup?>(nil)

  struct Pipeline: @unchecked Sendable {
    let pipeline: WGPUComputePipeline
    let layout: WGPUBindGroupLayout
  }

  /// The device on the first adapter (`BORN_WGPU_ADAPTER=N` picks another), created once.
  public static func shared() throws(WebGPUError) -> WebGPUDevice {
    try sharedDevice.withLock { (slot) throws(WebGPUError) -> WebGPUDevice in
      if let d = slot.device { return d }
      if let e = slot.error { throw e }
      do throws(WebGPUError) {
        let library = try WebGPULibrary.shared()
        var index = 0
        if let s = getenv("BORN_WGPU_ADAPTER"), let i = Int(String(cString: s)) { index = i }
        let d = try WebGPUDevice(library: library, adapterIndex: index)
        slot.device = d
        return d
      } catch {
        slot.error = error
        throw error
      }
    }
  }

  struct SharedSlot: @unchecked Sendable {
    var device: WebGPUDevice?
    var error: WebGPUError?
  }
  static let sharedDevice = Mutex(SharedSlot())

  /// A device on adapter `adapterIndex` of `library.adapters()`.
  public init(library: WebGPULibrary, adapterIndex: Int = 0) throws(WebGPUError) {
    self.library = library
    let handles = library.adapterHandles()
    guard handles.indices.contains(adapterIndex) else { throw .noAdapter }
    let handle = handles[adapterIndex]
    adapter = library.info(of: handle)
    // No optional features: halves are decoded from words, so no kernel needs `shader-f16`.
    let features: [UInt32] = []
    var error = [CChar](repeating: 0, count: 1024)
    var table = library.api
    guard
      let device = born_wgpu_request_device(
        &table, library.instance, handle, features, features.count, &error, error.count)
    else {
      throw .deviceFailed(adapter: adapter.name, reason: text(error))
    }
    self.device = device
    guard let queue = library.api.deviceGetQueue(device) else {
      throw .deviceFailed(adapter: adapter.name, reason: "the device has no queue")
    }
    self.queue = queue
  }

  // MARK: Buffers

  /// Bytes per pool bucket: powers of two from 256 B, then multiples of 1 MiB above 1 MiB.
  static func bucket(_ bytes: Int) -> Int {
    let n = Swift.max(bytes, 256)
    if n > 1 << 20 { return ((n + (1 << 20) - 1) >> 20) << 20 }
    return 1 << (Int.bitWidth - (n - 1).leadingZeroBitCount)
  }

  /// A storage buffer of at least `bytes` bytes, from the pool when one of its size is free.
  public func buffer(bytes: Int) throws(WebGPUError) -> GPUBuffer {
    let size = Self.bucket(bytes)
    if let reused = state.withLock({ s -> GPUBufferHandle? in
      guard let h = s.pool[size]?.popLast() else { return nil }
      s.stats.pooledBytes -= size
      s.stats.liveBytes += size
      s.stats.peakBytes = Swift.max(s.stats.peakBytes, s.stats.liveBytes)
      return h
    }) {
      return GPUBuffer(handle: reused, device: self)
    }
    var descriptor = WGPUBufferDescriptor()
    descriptor.usage =
      UInt64(BORN_WGPU_BUFFER_STORAGE | BORN_WGPU_BUFFER_COPY_SRC | BORN_WGPU_BUFFER_COPY_DST)
    descriptor.size = UInt64(size)
    guard let raw = api.deviceCreateBuffer(device, &descriptor) else {
      throw .gpu(operation: "allocate \(size) bytes", message: takeError() ?? "no buffer")
    }
    state.withLock { s in
      s.stats.liveBytes += size
      s.stats.peakBytes = Swift.max(s.stats.peakBytes, s.stats.liveBytes)
      s.stats.buffersCreated += 1
    }
    return GPUBuffer(handle: GPUBufferHandle(raw: raw, size: size), device: self)
  }

  /// Called by `GPUBuffer.deinit`.
  func release(_ handle: GPUBufferHandle) {
    state.withLock { s in
      s.stats.liveBytes -= handle.size
      if s.encoder == nil {
        s.pool[handle.size, default: []].append(handle)
        s.stats.pooledBytes += handle.size
      } else {
        s.retired.append(handle)
      }
    }
  }

  /// Memory and work counters.
  public var statistics: WebGPUStatistics { state.withLock { $0.stats } }

  /// A buffer holding `values`.
  public func upload<T: BitwiseCopyable>(_ values: [T]) throws(WebGPUError) -> GPUBuffer {
    let bytes = values.count * MemoryLayout<T>.stride
    let b = try buffer(bytes: bytes)
    values.withUnsafeBytes { raw in
      if let base = raw.baseAddress, raw.count > 0 { api.queueWriteBuffer(queue, b.handle.raw, 0, base, raw.count) }
    }
    return b
  }

  /// The first `count` elements of `buffer`, after all recorded work has run.
  public func download<T: BitwiseCopyable>(_ buffer: GPUBuffer, count: Int, as _: T.Type) throws(WebGPUError) -> [T] {
    try recordFusion()
    let bytes = (count * MemoryLayout<T>.stride + 3) & ~3
    guard bytes > 0 else { return [] }
    var descriptor = WGPUBufferDescriptor()
    descriptor.usage = UInt64(BORN_WGPU_BUFFER_MAP_READ | BORN_WGPU_BUFFER_COPY_DST)
    descriptor.size = UInt64(bytes)
    guard let staging = api.deviceCreateBuffer(device, &descriptor) else {
      throw .gpu(operation: "download", message: takeError() ?? "no staging buffer")
    }
    defer {
      api.bufferDestroy(staging)
      api.bufferRelease(staging)
    }
    withEncoder { api.commandEncoderCopyBufferToBuffer($0, buffer.handle.raw, 0, staging, 0, UInt64(bytes)) }
    try flush()
    var error = [CChar](repeating: 0, count: 512)
    var table = self.api
    guard let mapped = born_wgpu_map_read(&table, library.instance, device, staging, bytes, &error, error.count) else {
      throw .gpu(operation: "download", message: text(error))
    }
    defer { api.bufferUnmap(staging) }
    state.withLock { $0.stats.downloads += 1 }
    return [T](unsafeUninitializedCapacity: count) { out, n in
      UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: mapped, byteCount: count * MemoryLayout<T>.stride)
      n = count
    }
  }

  /// Writes `bytes` (a multiple of 4 long) at the start of `buffer`. The queue runs writes
  /// before commands still being recorded, so `buffer` must not be used by any: a fresh or
  /// pooled buffer qualifies (freed buffers stay retired until the work using them is
  /// submitted), as does any buffer right after a read-back.
  public func write(_ bytes: UnsafeRawBufferPointer, into buffer: GPUBuffer) throws(WebGPUError) {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    try recordFusion(ifTouching: [buffer])
    api.queueWriteBuffer(queue, buffer.handle.raw, 0, base, bytes.count)
  }

  /// Records a copy of `bytes` bytes (a multiple of 4) from `source` to `destination`.
  public func copy(_ source: GPUBuffer, to destination: GPUBuffer, bytes: Int) throws(WebGPUError) {
    try recordFusion(ifTouching: [source, destination])
    copyDirect(source, to: destination, bytes: bytes)
  }

  /// ``copy(_:to:bytes:)`` without looking at pending fused work (which records through it).
  func copyDirect(_ source: GPUBuffer, to destination: GPUBuffer, bytes: Int) {
    guard bytes > 0 else { return }
    withEncoder {
      api.commandEncoderCopyBufferToBuffer($0, source.handle.raw, 0, destination.handle.raw, 0, UInt64(bytes))
    }
    state.withLock { $0.stats.copies += 1 }
  }

  // MARK: Recording

  /// Runs `body` with the open command encoder (created when none is open). Recording and
  /// submitting hold one lock, so threads never record into an encoder being submitted.
  func withEncoder(_ body: (WGPUCommandEncoder) -> Void) {
    recording.withLock { _ in
      endPass()
      body(openEncoder())
    }
  }

  /// Runs `body` with the open compute pass (begun when none is open). Consecutive dispatches
  /// share one pass (wgpu orders the buffer accesses of dispatches within it).
  func withComputePass(_ body: (WGPUComputePassEncoder) -> Void) {
    recording.withLock { _ in
      _ = openEncoder()
      let pass = state.withLock { s -> WGPUComputePassEncoder in
        if let p = s.pass { return p }
        let p = api.commandEncoderBeginComputePass(s.encoder!, nil)!
        s.pass = p
        return p
      }
      body(pass)
    }
  }

  /// The open command encoder, created when none is open (call holding `recording`).
  func openEncoder() -> WGPUCommandEncoder {
    state.withLock { s -> WGPUCommandEncoder in
      if let e = s.encoder { return e }
      let e = api.deviceCreateCommandEncoder(device, nil)!
      s.encoder = e
      return e
    }
  }

  /// Ends the open compute pass, if any (call holding `recording`).
  func endPass() {
    if let pass = state.withLock({ s -> WGPUComputePassEncoder? in
      defer { s.pass = nil }
      return s.pass
    }) {
      api.computePassEncoderEnd(pass)
      api.computePassEncoderRelease(pass)
    }
  }

  /// Submits recorded work (if any) and recycles buffers retired meanwhile.
  public func flush() throws(WebGPUError) {
    try recordFusion()
    try submit()
  }

  /// Submits the encoder's commands (pending fused work stays pending).
  func submit() throws(WebGPUError) {
    recording.withLock { _ in
      guard let encoder = state.withLock({ $0.encoder }) else { return }
      endPass()
      let commands = api.commandEncoderFinish(encoder, nil)
      api.commandEncoderRelease(encoder)
      var list: [WGPUCommandBuffer?] = [commands]
      api.queueSubmit(queue, 1, &list)
      if let commands { api.commandBufferRelease(commands) }
      // Only now may buffers the submitted work uses return to the pool: until the encoder
      // is cleared, `release` retires them.
      state.withLock { s in
        s.encoder = nil
        s.pendingDispatches = 0
        s.stats.submits += 1
        for h in s.retired {
          s.pool[h.size, default: []].append(h)
          s.stats.pooledBytes += h.size
        }
        s.retired = []
      }
    }
    if let message = takeError() { throw .gpu(operation: "submit", message: message) }
  }

  /// Records one compute dispatch of kernel `name` (compiled from `source` once) over
  /// `buffers` bound at 0, 1, 2, ... in group 0.
  ///
  /// `output` is the binding the kernel writes. WebGPU forbids binding a buffer as writable and
  /// readable in one dispatch, so when that buffer is also bound elsewhere (an op reusing an
  /// input's storage in place) the kernel writes a temporary that is copied back after it;
  /// `overwritesAll: false` first copies the buffer's contents in, for kernels that write only
  /// part of it.
  func dispatch(
    _ name: String, source: @autoclosure () -> String, buffers: [GPUBuffer], workgroups: (Int, Int, Int),
    output: Int? = nil, overwritesAll: Bool = true
  ) throws(WebGPUError) {
    // Pending elementwise work that this kernel may read or overwrite goes first.
    try recordFusion(ifTouching: buffers)
    try dispatchDirect(
      name, source: source(), buffers: buffers, workgroups: workgroups, output: output, overwritesAll: overwritesAll)
  }

  /// ``dispatch(_:source:buffers:workgroups:output:overwritesAll:)`` without looking at pending
  /// fused work (the fused kernels themselves record through it).
  func dispatchDirect(
    _ name: String, source: @autoclosure () -> String, buffers: [GPUBuffer], workgroups: (Int, Int, Int),
    output: Int? = nil, overwritesAll: Bool = true
  ) throws(WebGPUError) {
    guard let output, buffers.indices.contains(where: { $0 != output && buffers[$0] === buffers[output] }) else {
      return try record(name, source: source, buffers: buffers, workgroups: workgroups)
    }
    let original = buffers[output]
    let temporary = try buffer(bytes: original.byteCount)
    if !overwritesAll { copyDirect(original, to: temporary, bytes: original.byteCount) }
    var bound = buffers
    bound[output] = temporary
    try record(name, source: source, buffers: bound, workgroups: workgroups)
    copyDirect(temporary, to: original, bytes: original.byteCount)
  }

  func record(
    _ name: String, source: () -> String, buffers: [GPUBuffer], workgroups: (Int, Int, Int)
  ) throws(WebGPUError) {
    let pipeline = try pipeline(name, source: source)
    var entries = buffers.enumerated().map { i, b in
      var e = WGPUBindGroupEntry()
      e.binding = UInt32(i)
      e.buffer = b.handle.raw
      e.offset = 0
      e.size = UInt64(b.handle.size)
      return e
    }
    var descriptor = WGPUBindGroupDescriptor()
    descriptor.layout = pipeline.layout
    descriptor.entryCount = entries.count
    let group = entries.withUnsafeMutableBufferPointer { p -> WGPUBindGroup? in
      descriptor.entries = UnsafePointer(p.baseAddress)
      return api.deviceCreateBindGroup(device, &descriptor)
    }
    // A rejected bind group would make the whole command buffer invalid (and wgpu-native
    // aborts on submitting one): report it here, before recording.
    if let message = takeError() {
      if let group { api.bindGroupRelease(group) }
      throw .gpu(operation: name, message: message)
    }
    guard let group else { throw .gpu(operation: name, message: "no bind group") }
    withComputePass { pass in
      api.computePassEncoderSetPipeline(pass, pipeline.pipeline)
      api.computePassEncoderSetBindGroup(pass, 0, group, 0, nil)
      api.computePassEncoderDispatchWorkgroups(pass, UInt32(workgroups.0), UInt32(workgroups.1), UInt32(workgroups.2))
    }
    api.bindGroupRelease(group)
    let submitNow = state.withLock { s -> Bool in
      s.pendingDispatches += 1
      s.stats.dispatches += 1
      return s.pendingDispatches >= maximumPendingDispatches
    }
    if submitNow { try submit() }
  }

  func pipeline(_ name: String, source: () -> String) throws(WebGPUError) -> Pipeline {
    if let p = state.withLock({ $0.pipelines[name] }) { return p }
    let code = source()
    api.devicePushErrorScope(device, UInt32(BORN_WGPU_ERROR_FILTER_VALIDATION))
    let module = code.withCString { cstr -> WGPUShaderModule? in
      var wgsl = WGPUShaderSourceWGSL()
      wgsl.chain.sType = UInt32(BORN_WGPU_STYPE_SHADER_SOURCE_WGSL)
      wgsl.code = WGPUStringView(data: cstr, length: code.utf8.count)
      return withUnsafeMutablePointer(to: &wgsl) { w in
        var d = WGPUShaderModuleDescriptor()
        d.nextInChain = UnsafeMutableRawPointer(w).assumingMemoryBound(to: WGPUChainedStruct.self)
        return api.deviceCreateShaderModule(device, &d)
      }
    }
    var pipeline: WGPUComputePipeline?
    if let module {
      pipeline = "main".withCString { entry in
        var d = WGPUComputePipelineDescriptor()
        d.compute.module = module
        d.compute.entryPoint = WGPUStringView(data: entry, length: 4)
        return api.deviceCreateComputePipeline(device, &d)
      }
      api.shaderModuleRelease(module)
    }
    var error = [CChar](repeating: 0, count: 4096)
    var table = self.api
    if born_wgpu_pop_error_scope(&table, library.instance, device, &error, error.count) != 0 || pipeline == nil {
      throw .shader(kernel: name, message: text(error))
    }
    guard let layout = api.computePipelineGetBindGroupLayout(pipeline!, 0) else {
      throw .shader(kernel: name, message: "the pipeline has no bind group layout")
    }
    let p = Pipeline(pipeline: pipeline!, layout: layout)
    state.withLock {
      $0.pipelines[name] = p
      $0.stats.pipelinesCompiled += 1
    }
    return p
  }

  func takeError() -> String? {
    var error = [CChar](repeating: 0, count: 1024)
    return born_wgpu_take_error(&error, error.count) != 0 ? text(error) : nil
  }
}

/// Counters of a ``WebGPUDevice``.
public struct WebGPUStatistics: Sendable, Equatable {
  /// Bytes of buffers held by live ``GPUBuffer``s.
  public var liveBytes = 0
  /// Bytes of free buffers kept for reuse.
  public var pooledBytes = 0
  /// The most live bytes at any time.
  public var peakBytes = 0
  /// Buffers created on the device (the rest came from the pool).
  public var buffersCreated = 0
  public var submits = 0
  public var dispatches = 0
  public var downloads = 0
  /// Buffer-to-buffer copies recorded.
  public var copies = 0
  /// Ops that ran on the CPU because no WGSL kernel covers them yet (inputs read back, result
  /// uploaded); see ``WebGPU/fallbackOps``.
  public var fallbacks = 0
  public var pipelinesCompiled = 0
  /// Elementwise ops recorded through fused kernels (each fused kernel counts once in
  /// `dispatches`).
  public var fusedOps = 0
}

/// A device buffer; freeing it returns it to its device's pool.
struct GPUBufferHandle: @unchecked Sendable {
  let raw: WGPUBuffer
  let size: Int
}

/// A storage buffer on a ``WebGPUDevice``; its memory returns to the device's pool when the last
/// reference goes away.
public final class GPUBuffer: @unchecked Sendable {
  let handle: GPUBufferHandle
  let device: WebGPUDevice

  init(handle: GPUBufferHandle, device: WebGPUDevice) {
    self.handle = handle
    self.device = device
  }

  /// The buffer's size in bytes (its pool bucket).
  public var byteCount: Int { handle.size }

  deinit { device.release(handle) }
}
