import ArgumentParser
import Born
import Foundation

struct Doctor: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List the GPU adapters WebGPU finds and check the WebGPU backend against the CPU backend.",
    discussion: """
      Looks for libwgpu_native (BORN_WGPU_LIBRARY, the standard library paths, the Python wgpu
      package), lists every adapter with its backend and limits, and runs a conformance check
      on one (BORN_WGPU_ADAPTER or --adapter): each op on random inputs on the GPU and on the
      CPU, with the largest relative difference.
      """)

  @Option(help: "The adapter to check (its index in the list).") var adapter: Int?
  @Flag(name: .customLong("list-only"), help: "Only list the adapters.") var listOnly = false

  func run() throws {
    let library: WebGPULibrary
    do {
      library = try WebGPULibrary.shared()
    } catch {
      print("WebGPU: \(error)")
      throw ExitCode(1)
    }
    print("wgpu-native \(library.version) from \(library.path)")
    let adapters = library.adapters()
    if adapters.isEmpty { print("No adapters.") }
    for (i, a) in adapters.enumerated() { print("  [\(i)] \(a)") }
    guard !listOnly, !adapters.isEmpty else { return }
    let index = adapter ?? Int(ProcessInfo.processInfo.environment["BORN_WGPU_ADAPTER"] ?? "") ?? 0
    guard adapters.indices.contains(index) else {
      throw ValidationError("--adapter \(index): there are \(adapters.count) adapters")
    }
    if index != 0 { setenv("BORN_WGPU_ADAPTER", String(index), 1) }
    let device = try WebGPUDevice.shared()
    print("Checking adapter [\(index)] \(device.adapter.name):")
    var failures = 0
    for check in conformanceChecks() {
      let error = check.run()
      let ok = error <= check.tolerance
      if !ok { failures += 1 }
      print(
        "  \(ok ? "ok  " : "FAIL") \(check.name.padding(toLength: 40, withPad: " ", startingAt: 0)) max relative difference \(String(format: "%.2e", error))"
      )
    }
    let stats = device.statistics
    print(
      "\(failures == 0 ? "All checks passed" : "\(failures) checks failed"); \(stats.dispatches) dispatches, \(stats.submits) submits, \(stats.fallbacks) ops on the CPU fallback."
    )
    if failures > 0 { throw ExitCode(1) }
  }
}

/// One op compared between the WebGPU and CPU backends.
struct ConformanceCheck {
  var name: String
  var tolerance: Float = 1e-5
  var run: () -> Float
}

/// Largest |a - b| / max(|b|, 1), NaNs matching NaNs.
func relativeDifference(_ a: [Float], _ b: [Float]) -> Float {
  guard a.count == b.count else { return .infinity }
  return zip(a, b).map { x, y in x.isNaN && y.isNaN ? 0 : Swift.abs(x - y) / Swift.max(Swift.abs(y), 1) }.max() ?? 0
}

func conformanceChecks() -> [ConformanceCheck] {
  typealias G = Tensor<Float, WebGPU>
  typealias C = Tensor<Float, CPU>
  func pair(_ shape: Shape, _ seed: UInt64) -> (G, C) {
    var g = RandomGenerator(seed: seed)
    let v = (0..<shape.elementCount).map { _ in Float(g.nextNormal()) }
    return (G(v, shape: shape), C(v, shape: shape))
  }
  func diff(_ g: G, _ c: C) -> Float { relativeDifference(g.toArray(), c.toArray()) }
  let (a, ca) = pair([33, 65], 1)
  let (b, cb) = pair([65], 2)
  let (m, cm) = pair([65, 17], 3)
  let (x, cx) = pair([2, 3, 12, 12], 4)
  let (w, cw) = pair([4, 3, 3, 3], 5)
  return [
    ConformanceCheck(name: "add with broadcasting") { diff(a + b, ca + cb) },
    ConformanceCheck(name: "mul of a transposed view") { diff(a.T * 2, ca.T * 2) },
    ConformanceCheck(name: "exp, tanh, sigmoid, relu") {
      diff(a.exp().tanh() + a.sigmoid() + a.relu(), ca.exp().tanh() + ca.sigmoid() + ca.relu())
    },
    ConformanceCheck(name: "sum over each axis and all", tolerance: 1e-5) {
      Swift.max(
        diff(a.sum(axes: [0]), ca.sum(axes: [0])), diff(a.sum(axes: [1]), ca.sum(axes: [1])), diff(a.sum(), ca.sum()))
    },
    ConformanceCheck(name: "max, min, mean") {
      diff(
        a.max(axes: [1]) + a.min(axes: [0]).sum() + a.mean(), ca.max(axes: [1]) + ca.min(axes: [0]).sum() + ca.mean())
    },
    ConformanceCheck(name: "matmul (33×65·65×17)", tolerance: 1e-5) { diff(a.matmul(m), ca.matmul(cm)) },
    ConformanceCheck(name: "matmul, transposed right operand", tolerance: 1e-5) {
      diff(a.matmul(a.T), ca.matmul(ca.T))
    },
    ConformanceCheck(name: "softmax") { diff(a.softmax(axis: 1), ca.softmax(axis: 1)) },
    ConformanceCheck(name: "conv2d + max pool", tolerance: 1e-5) {
      diff(
        x.conv2d(w, padding: (1, 1)).maxPool2d(kernel: (2, 2)), cx.conv2d(cw, padding: (1, 1)).maxPool2d(kernel: (2, 2))
      )
    },
    ConformanceCheck(name: "cast f32 → i32 → f32") {
      diff((a * 10).cast(to: Int32.self).cast(to: Float.self), (ca * 10).cast(to: Int32.self).cast(to: Float.self))
    },
    ConformanceCheck(name: "cross-entropy gradient (autodiff)", tolerance: 1e-5) {
      let labels = (0..<33).map { Int64($0 % 65) }
      let lg = Tensor<Float, Autodiff<WebGPU>>(a.toArray(), shape: [33, 65]).requiringGrad()
      let lc = Tensor<Float, Autodiff<CPU>>(ca.toArray(), shape: [33, 65]).requiringGrad()
      let gg = Loss.crossEntropy(lg, Tensor<Int64, Autodiff<WebGPU>>(labels, shape: [33])).backward()[lg]!
      let gc = Loss.crossEntropy(lc, Tensor<Int64, Autodiff<CPU>>(labels, shape: [33])).backward()[lc]!
      return relativeDifference(gg.toArray(), gc.toArray())
    },
    ConformanceCheck(name: "fused chain with f16 and Bool steps", tolerance: 0) {
      let gh = (a * 3 + 1).cast(to: Float16.self)
      let ch = (ca * 3 + 1).cast(to: Float16.self)
      return diff(
        Tensor.where(gh .> Float16(0.5), gh, gh * gh).cast(to: Float.self).relu(),
        Tensor.where(ch .> Float16(0.5), ch, ch * ch).cast(to: Float.self).relu())
    },
    ConformanceCheck(name: "i64 and i8 arithmetic, sums (wrapping)", tolerance: 0) {
      let gi = (a * 1e6).cast(to: Int64.self)
      let ci = (ca * 1e6).cast(to: Int64.self)
      let g8 = (a * 100).cast(to: Int8.self)
      let c8 = (ca * 100).cast(to: Int8.self)
      return Swift.max(
        diff(
          (gi * gi / 7 - gi).sum(axes: [1]).cast(to: Float.self), (ci * ci / 7 - ci).sum(axes: [1]).cast(to: Float.self)
        ),
        diff((g8 * g8).sum(axes: [0]).cast(to: Float.self), (c8 * c8).sum(axes: [0]).cast(to: Float.self)))
    },
    ConformanceCheck(name: "bf16 conv2d (f32 inside, rounded once)", tolerance: 1e-2) {
      diff(
        x.cast(to: BFloat16.self).conv2d(w.cast(to: BFloat16.self)).cast(to: Float.self),
        cx.cast(to: BFloat16.self).conv2d(cw.cast(to: BFloat16.self)).cast(to: Float.self))
    },
  ]
}
