import ArgumentParser
import Born
import Foundation

struct BenchGPU: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gpu",
    abstract: "Time the WebGPU backend against the CPU backend on the same inputs.",
    discussion: """
      Cases: square matmul (n = 256 … 4096), elementwise add and exp over 16M elements, and a
      training step (forward, backward, Adam) of the MNIST MLP at batch 64. Each case runs
      on both backends in one run; the GPU time includes waiting for the result (one read-back
      per repetition). Prints both times (best of --repeats), the ratio GPU/CPU, and the
      dispatches, submits and CPU-fallback ops per training step.
      """)

  @Option(help: "Largest matmul size.") var maxSize = 4096
  @Option(help: "Repetitions per case (best is reported).") var repeats = 3
  @Flag(help: "Print one JSON object per case instead of a table.") var json = false

  /// The best of `repeats` timings of `body`, after one warm-up run (kernel compilation, buffer
  /// pool).
  func best(_ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    body()
    var t = Double.infinity
    for _ in 0..<repeats {
      let start = clock.now
      body()
      t = min(t, (clock.now - start).seconds)
    }
    return t
  }

  func run() throws {
    let gpu: WebGPUDevice
    do {
      gpu = try WebGPUDevice.shared()
    } catch {
      throw ValidationError("no WebGPU device: \(error)")
    }
    if !json {
      print(
        "WebGPU adapter: \(gpu.adapter.name) (\(gpu.adapter.backend)); CPU: \(CPU.kernelVariant), \(cpuThreadCount) threads"
      )
    }
    func report(_ name: String, _ g: Double, _ c: Double, _ extra: [String: Any]) throws {
      if json {
        var obj: [String: Any] = ["case": name, "gpu_s": g, "cpu_s": c, "ratio": g / c]
        obj.merge(extra) { a, _ in a }
        print(String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self))
      } else {
        let e =
          extra.isEmpty
          ? "" : "  " + extra.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print(
          "\(name.padding(toLength: 26, withPad: " ", startingAt: 0)) gpu \(durationText(g))  cpu \(durationText(c))  ratio \(format(g / c, 2))\(e)"
        )
      }
    }
    var n = 256
    while n <= maxSize {
      var g = RandomGenerator(seed: 1)
      let values = (0..<(n * n)).map { _ in Float(g.nextNormal()) }
      let (ga, gb) = (Tensor<Float, WebGPU>(values, shape: [n, n]), Tensor<Float, WebGPU>(values, shape: [n, n]).T)
      let (ca, cb) = (Tensor<Float, CPU>(values, shape: [n, n]), Tensor<Float, CPU>(values, shape: [n, n]).T)
      let tg = best { _ = ga.matmul(gb).sum().item() }
      let tc = best { _ = ca.matmul(cb).sum().item() }
      try report("matmul \(n)", tg, tc, ["gpu_gflops": format(2 * pow(Double(n), 3) / tg / 1e9, 1)])
      n *= 2
    }
    let count = 1 << 24
    let big = (0..<count).map { Float($0 % 1000) * 1e-3 }
    let (gx, cx) = (Tensor<Float, WebGPU>(big, shape: [count]), Tensor<Float, CPU>(big, shape: [count]))
    try report("add 16M", best { _ = (gx + gx).sum().item() }, best { _ = (cx + cx).sum().item() }, [:])
    try report("exp 16M", best { _ = gx.exp().sum().item() }, best { _ = cx.exp().sum().item() }, [:])
    // Six elementwise ops and a sum: one fused kernel, against one kernel per op.
    func chain<B: Backend>(_ x: Tensor<Float, B>) -> Float { ((x * 0.5 + 1).relu() * x - 0.25).exp().sum().item() }
    let dispatchesBefore = gpu.statistics.dispatches
    let fused = best { _ = chain(gx) }
    let fusedDispatches = (gpu.statistics.dispatches - dispatchesBefore) / (repeats + 1)
    gpu.fusesElementwiseOps = false
    let unfusedBefore = gpu.statistics.dispatches
    let unfused = best { _ = chain(gx) }
    let unfusedDispatches = (gpu.statistics.dispatches - unfusedBefore) / (repeats + 1)
    gpu.fusesElementwiseOps = true
    try report(
      "6-op chain + sum 16M", fused, best { _ = chain(cx) },
      [
        "unfused": durationText(unfused), "dispatches": "\(fusedDispatches) fused, \(unfusedDispatches) unfused",
      ])

    let batch = try MNIST(directory: defaultMNISTDirectory(), split: .train).batch(Array(0..<64))
    try step(
      "mlp train step batch 64", mnistMLP(seed: 0, on: WebGPU.self), mnistMLP(seed: 0, on: CPU.self), batch, report)
    try step(
      "lenet5 train step batch 64", mnistLeNet(seed: 0, on: WebGPU.self), mnistLeNet(seed: 0, on: CPU.self), batch,
      report)
  }

  /// Times forward + backward + Adam of the same model on both backends, and counts the GPU's
  /// dispatches, submits and CPU fallbacks in one step.
  func step<MG: MNISTClassifier<Autodiff<WebGPU>>, MC: MNISTClassifier<Autodiff<CPU>>>(
    _ name: String, _ gpuModel: MG, _ cpuModel: MC, _ batch: MNIST.Batch,
    _ report: (String, Double, Double, [String: Any]) throws -> Void
  ) throws {
    var (gm, cm) = (gpuModel, cpuModel)
    let gpu = WebGPU.gpu
    let (xg, yg): (Tensor<Float, Autodiff<WebGPU>>, Tensor<Int64, Autodiff<WebGPU>>) = batch.tensors()
    let (xc, yc): (Tensor<Float, Autodiff<CPU>>, Tensor<Int64, Autodiff<CPU>>) = batch.tensors()
    gm.requireGradients()
    cm.requireGradients()
    var og = Adam<Float, WebGPU>(learningRate: 1e-3)
    var oc = Adam<Float, CPU>(learningRate: 1e-3)
    let tg = best {
      let loss = Loss.crossEntropy(gm(xg), yg)
      og.step(&gm, gradients: loss.backward())
      _ = loss.item()
    }
    let tc = best {
      let loss = Loss.crossEntropy(cm(xc), yc)
      oc.step(&cm, gradients: loss.backward())
      _ = loss.item()
    }
    let before = gpu.statistics
    let opsBefore = WebGPU.fallbackOps
    let loss = Loss.crossEntropy(gm(xg), yg)
    og.step(&gm, gradients: loss.backward())
    _ = loss.item()
    let after = gpu.statistics
    try report(
      name, tg, tc,
      [
        "dispatches": after.dispatches - before.dispatches, "submits": after.submits - before.submits,
        "fallbacks": after.fallbacks - before.fallbacks,
      ])
    let fallbackOps = WebGPU.fallbackOps.compactMap { op, n -> String? in
      let d = n - (opsBefore[op] ?? 0)
      return d > 0 ? "\(op) ×\(d)" : nil
    }.sorted()
    if !json, !fallbackOps.isEmpty {
      print("  ops on the CPU fallback per step: " + fallbackOps.joined(separator: ", "))
    }
  }
}

func durationText(_ s: Double) -> String {
  s >= 1e-1 ? format(s, 2) + " s" : s >= 1e-4 ? format(s * 1e3, 2) + " ms" : format(s * 1e6, 1) + " µs"
}
