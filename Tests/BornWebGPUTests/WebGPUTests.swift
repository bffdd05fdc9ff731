import Born
import BornTestSupport
import Testing

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

@Suite("WebGPU runtime and kernels against the CPU backend", .serialized, .enabled(if: gpu != nil, "no WebGPU adapter"))
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
    .sign, .reciprocal, .leakyRelu(alpha: 0.1), .clamp(min: -0.5, max: 0.5), .powScalar(2.5),
  ])
  func unaryMatchesCPU(_ op: UnaryOp) throws {
    let d = gpu!
    let n = 3001
    var x = randomFloats(n, seed: 7, scale: 3)
    if [UnaryOp.log, .sqrt, .rsqrt, .powScalar(2.5)].contains(op) { x = x.map { abs($0) + 0.01 } }
    let expected = cpuUnary(op, x)
    let got = try d.download(try d.unary(op, try d.upload(x), count: n), count: n, as: Float.self)
    #expect(worstError(got, expected) < 2e-5, "\(op)")
  }

  @Test(arguments: [BinaryOp.add, .sub, .mul, .div, .maximum, .minimum])
  func binaryWithBroadcastingAndViewsMatchesCPU(_ op: BinaryOp) throws {
    let d = gpu!
    let a = Tensor<Float, CPU>(randomFloats(7 * 5 * 3, seed: 1), shape: [7, 5, 3])
    let b = Tensor<Float, CPU>(randomFloats(5 * 3, seed: 2).map { $0 + 3 }, shape: [5, 3])
    // a transposed view against a broadcast row: odd sizes, stride-0 and non-contiguous reads.
    let at = a.transposed(0, 2)  // [3, 5, 7]
    let shape = Shape([3, 5, 7])
    var bLayout = b.transposed(0, 1).layout  // [3, 5]
    bLayout = Layout(shape: shape, strides: Shape([bLayout.strides[0], bLayout.strides[1], 0]), offset: 0)
    let outCPU = CPU.allocate(shape.elementCount, dtype: .f32, on: CPU.defaultDevice)
    CPU.binary(op, a.storage, at.layout, b.storage, bLayout, into: outCPU, dtype: .f32)
    let expected = Tensor<Float, CPU>(storage: outCPU, layout: Layout(contiguous: shape)).toArray()
    let out = try d.binary(op, try d.upload(a.toArray()), at.layout, try d.upload(b.toArray()), bLayout)
    #expect(worstError(try d.download(out, count: shape.elementCount, as: Float.self), expected) < 1e-6, "\(op)")
  }

  @Test(arguments: [(1, 1, 1), (17, 33, 9), (64, 128, 784), (100, 10, 128), (5, 300, 1)])
  func matmulMatchesCPU(_ mnk: (Int, Int, Int)) throws {
    let d = gpu!
    let (m, n, k) = mnk
    let a = randomFloats(m * k, seed: 3)
    let b = randomFloats(k * n, seed: 4)
    let expected = Tensor<Float, CPU>(a, shape: [m, k]).matmul(Tensor<Float, CPU>(b, shape: [k, n])).toArray()
    let c = try d.matmul(try d.upload(a), try d.upload(b), m: m, n: n, k: k)
    #expect(
      worstError(try d.download(c, count: m * n, as: Float.self), expected) < 1e-5 * Float(max(k, 1)).squareRoot())
  }

  @Test func sumRowsMatchesCPU() throws {
    let d = gpu!
    for (rows, columns) in [(1, 1), (3, 1000), (70, 257), (1, 100_000)] {
      let x = randomFloats(rows * columns, seed: 5)
      let expected = Tensor<Float, CPU>(x, shape: [rows, columns]).sum(axes: [1]).toArray()
      let got = try d.download(
        try d.sumRows(try d.upload(x), rows: rows, columns: columns), count: rows, as: Float.self)
      #expect(worstError(got, expected) < 1e-4, "\(rows)x\(columns)")
    }
  }

  @Test func workIsRecordedLazilyAndSubmittedOnRead() throws {
    let d = gpu!
    try d.flush()
    let before = d.statistics
    var x = try d.upload(randomFloats(1000, seed: 9))
    for _ in 0..<10 { x = try d.unary(.relu, x, count: 1000) }
    #expect(d.statistics.submits == before.submits, "dispatches were submitted before a read")
    _ = try d.download(x, count: 1000, as: Float.self)
    let after = d.statistics
    #expect(after.dispatches - before.dispatches == 10)
    #expect(after.submits - before.submits == 1)
  }

  @Test func badKernelIsATypedError() throws {
    let d = gpu!
    #expect(throws: WebGPUError.self) {
      try d.dispatch("broken", source: "fn main( {", buffers: [], workgroups: (1, 1, 1))
    }
    #expect(throws: WebGPUError.self) { try d.unary(.erf, try d.upload([Float(1)]), count: 1) }
  }
}
