import Born
import BornTestSupport
import Testing

@testable import BornCLI
@testable import BornWebGPU

/// The device, or nil (the tests then pass with a message) when this machine has no
/// wgpu-native library or no adapter. CI installs both (lavapipe and pip's wgpu 0.32.0).
let gpu: WebGPUDevice? = {
  do {
    return try WebGPUDevice.shared()
  } catch {
    print("WebGPU tests skipped: \(error)")
    return nil
  }
}()

func randomFloats(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
  var g = RandomGenerator(seed: seed)
  return (0..<n).map { _ in Float(g.nextNormal()) * scale }
}

/// The CPU backend's result of `op` on `x` (the reference the GPU must match).
func cpuUnary(_ op: UnaryOp, _ x: [Float]) -> [Float] {
  let input = x.withUnsafeBytes { CPU.upload($0, dtype: .f32, on: CPU.defaultDevice) }
  let out = CPU.allocate(x.count, dtype: .f32, on: CPU.defaultDevice)
  CPU.unary(op, input, Layout(contiguous: Shape([x.count])), into: out, dtype: .f32)
  return Tensor<Float, CPU>(storage: out, layout: Layout(contiguous: Shape([x.count]))).toArray()
}

/// Largest |a - b| / max(|b|, 1).
func worstError(_ a: [Float], _ b: [Float]) -> Float {
  zip(a, b).map { x, y in x.isNaN && y.isNaN ? 0 : abs(x - y) / max(abs(y), 1) }.max() ?? 0
}

/// Every GPU suite nests in this one: they share one device and its global statistics
/// (dispatches, submits, fallbacks), so they run one test at a time.
@Suite("WebGPU", .serialized, .enabled(if: gpu != nil, "no WebGPU adapter"))
struct WebGPUSuites {}

extension WebGPUSuites {
  @Suite(
    "WebGPU runtime and kernels against the CPU backend", .serialized, .enabled(if: gpu != nil, "no WebGPU adapter"))
  struct WebGPUTests {
    @Test func listsAdaptersAndRoundTripsBuffers() throws {
      let d = gpu!
      #expect(!(try WebGPULibrary.shared().adapters()).isEmpty)
      print("WebGPU adapter: \(d.adapter) via \(d.library.path) (wgpu-native \(d.library.version))")
      for n in [0, 1, 5, 1000, 70_001] {
        let values = randomFloats(n, seed: UInt64(n))
        let b = try d.upload(values)
        #expect(try d.download(b, count: n, as: Float.self) == values)
      }
    }

    @Test func bufferPoolReusesFreedBuffers() throws {
      let d = gpu!
      try d.flush()
      let before = d.statistics
      for _ in 0..<10 {
        let b = try d.buffer(bytes: 123_456)
        #expect(b.byteCount >= 123_456)
      }
      let after = d.statistics
      #expect(after.buffersCreated - before.buffersCreated <= 1, "\(before) → \(after)")
      #expect(after.liveBytes == before.liveBytes)
      #expect(after.pooledBytes >= 123_456)
    }

    @Test(arguments: [
      UnaryOp.neg, .abs, .exp, .log, .sqrt, .rsqrt, .square, .sin, .cos, .tanh, .sigmoid, .relu, .silu, .floor, .ceil,
      .sign, .round, .reciprocal, .leakyRelu(alpha: 0.1), .clamp(min: -0.5, max: 0.5), .powScalar(2.5), .erf, .log1p,
      .expm1,
      .gelu, .geluTanh, .softplus, .elu(alpha: 1.5),
    ])
    func unaryKernelMatchesCPU(_ op: UnaryOp) throws {
      var x = randomFloats(3001, seed: 7, scale: 3)
      if [UnaryOp.log, .sqrt, .rsqrt, .powScalar(2.5)].contains(op) { x = x.map { abs($0) + 0.01 } }
      if op == .log1p { x = x.map { abs($0) - 0.99 } }
      // Small arguments, where log1p, expm1 and erf must not lose precision to cancellation.
      x += [1e-7, -3e-6, 2e-4, -5e-3]
      let n = x.count
      let input = Tensor<Float, WebGPU>(x, shape: [n])
      let out = WebGPU.allocate(n, dtype: .f32, on: WebGPU.defaultDevice)
      WebGPU.unary(op, input.storage, input.layout, into: out, dtype: .f32)
      let got = Tensor<Float, WebGPU>(storage: out, layout: Layout(contiguous: [n])).toArray()
      let expected = cpuUnary(op, x)
      #expect(worstError(got, expected) < 2e-5, "\(op)")
      // Relative error where the values are tiny (the cases a naive formula gets wrong).
      let tiny = zip(got, expected).suffix(4).map { abs($0 - $1) / max(abs($1), 1e-30) }.max() ?? 0
      #expect(
        tiny < 1e-4 || [UnaryOp.floor, .ceil, .sign, .relu, .round].contains(op), "\(op) on tiny inputs: \(tiny)")
      #expect(WebGPU.fallbackOps.keys.allSatisfy { !$0.hasPrefix("unary \(op)") }, "\(op) ran on the CPU fallback")
    }

    @Test func workIsRecordedLazilyAndSubmittedOnRead() throws {
      let d = gpu!
      try d.flush()
      let before = d.statistics
      var x = Tensor<Float, WebGPU>(randomFloats(1000, seed: 9), shape: [1000])
      for _ in 0..<10 { x = (x * 0.5).relu() }
      #expect(d.statistics.submits == before.submits, "dispatches were submitted before a read")
      _ = x.toArray()
      let after = d.statistics
      #expect(after.submits - before.submits == 1)
      // The 20 elementwise ops fuse into a few kernels.
      #expect(after.fusedOps - before.fusedOps == 20)
      #expect(after.dispatches - before.dispatches < 10)
    }

    /// Fused kernels give the results separate kernels give: each op rounds to its dtype (f16,
    /// bf16, i8 wrap), Bool intermediates, pending results read through views or by other
    /// kernels, and inputs overwritten in place while a result that reads them is pending.
    @Test func fusedChainsMatchTheCPU() throws {
      let d = gpu!
      let (g, c) = pair([33, 17], seed: 50)
      func chain<B: Backend>(_ x: Tensor<Float, B>) -> Tensor<Float, B> {
        let h = (x * 3 + 1).cast(to: Float16.self)
        let mask = h .> Float16(0.5)
        let small = (x * 100).cast(to: Int8.self) * Int8(3)
        let b = (x * 7).cast(to: BFloat16.self) + BFloat16(0.1)
        let mixed = Tensor.where(mask, h, h * h).cast(to: Float.self) + small.cast(to: Float.self)
        return (mixed + b.cast(to: Float.self)).relu()
      }
      try d.flush()
      let before = d.statistics
      let fused = chain(g).toArray()
      let after = d.statistics
      #expect(fused.map(\.bitPattern) == chain(c).toArray().map(\.bitPattern))
      #expect(after.fusedOps - before.fusedOps >= 15)
      #expect(after.dispatches - before.dispatches < 8, "\(after.dispatches - before.dispatches) dispatches")
      // A pending result read through a transposed view, by a copy and by a matmul.
      let y = g * 2
      let cy = c * 2
      #expect((y.T + 1).toArray() == (cy.T + 1).toArray())
      let z = g * 3
      #expect(z.T.contiguous().toArray() == (c * 3).T.contiguous().toArray())
      let w = g.relu()
      expectClose(w.matmul(g.T), c.relu().matmul(c.T), "matmul of a pending result")
      // An input overwritten in place while a result reading it is pending.
      var x = g + 0
      let pending = x * 2
      x += 1
      #expect(pending.toArray() == (c * 2).toArray())
      #expect(x.toArray() == (c + 1).toArray())
    }

    /// With fusion off every elementwise op records its own kernel, with the same results.
    @Test func unfusedChainsGiveTheSameResults() throws {
      let d = gpu!
      let x = Tensor<Float, WebGPU>(randomFloats(5000, seed: 60), shape: [50, 100])
      func chain() -> [Float] { ((x * 0.5 + 1).relu() * x.T.T - 0.25).exp().toArray() }
      try d.flush()
      let fusedStart = d.statistics.dispatches
      let fused = chain()
      let fusedDispatches = d.statistics.dispatches - fusedStart
      d.fusesElementwiseOps = false
      defer { d.fusesElementwiseOps = true }
      let unfusedStart = d.statistics.dispatches
      let unfused = chain()
      let unfusedDispatches = d.statistics.dispatches - unfusedStart
      #expect(fused == unfused)
      #expect(fusedDispatches == 1 && unfusedDispatches == 6, "\(fusedDispatches) fused, \(unfusedDispatches) unfused")
    }

    /// `born doctor`'s checks pass on this adapter.
    @Test func doctorChecksPass() {
      for check in conformanceChecks() {
        let error = check.run()
        #expect(error <= check.tolerance, "\(check.name): \(error)")
      }
    }

    @Test func badKernelIsATypedError() throws {
      let d = gpu!
      #expect(throws: WebGPUError.self) {
        try d.dispatch("broken", source: "fn main( {", buffers: [], workgroups: (1, 1, 1))
      }
    }
  }
}
