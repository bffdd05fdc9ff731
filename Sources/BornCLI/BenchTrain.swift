import ArgumentParser
import Born
import Foundation

struct BenchTrain: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Time one training step (forward, backward, Adam) in Born and PyTorch on the same batch.",
    discussion: """
      Cases: the MNIST MLP 784-128-10 at batch 64 and 256, and LeNet-5 at batch 64. Both sides
      run warm-up steps, then report the median of timed steps; PyTorch runs
      Benchmarks/peers/torch_train.py in the same run on the same inputs. The ratio is Born's
      time over PyTorch's.
      """)

  @Flag(help: "Print one JSON object per case instead of a table.") var json = false
  @Option(help: "Timed steps per case on each side.") var steps = 100
  @Flag(help: "Also print Born's time split into forward, backward and optimizer step.") var breakdown = false
  @Option(help: "The Python interpreter for the peer.") var python = "python3"
  @Option(help: "Run only the cases whose name contains this text (for example \"lenet\" or \"256\").")
  var only: String?

  struct Case {
    var name: String
    var model: String
    var batch: Int
  }

  static let cases = [
    Case(name: "mlp batch 64", model: "mlp", batch: 64), Case(name: "mlp batch 256", model: "mlp", batch: 256),
    Case(name: "lenet5 batch 64", model: "cnn", batch: 64),
  ]

  func run() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("born-bench-train-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var manifest = ""
    var results: [String: (Double, [Double])] = [:]
    var g = RandomGenerator(seed: 7)
    let cases = Self.cases.filter { c in only.map { c.name.contains($0) } ?? true }
    if cases.isEmpty { throw ValidationError("no case matches --only \(only ?? "")") }
    for (i, c) in cases.enumerated() {
      let x = Tensor<Float, CPU>.randn([c.batch, 1, 28, 28], using: &g)
      let y = Tensor<Int64, CPU>.randint(0, 10, [c.batch], using: &g)
      try x.toArray().withUnsafeBytes { Data($0) }.write(to: dir.appendingPathComponent("x\(i).f32"))
      try y.toArray().withUnsafeBytes { Data($0) }.write(to: dir.appendingPathComponent("y\(i).i64"))
      let entry: [String: Any] = [
        "case": c.name, "model": c.model, "input": "x\(i).f32", "target": "y\(i).i64",
        "input_shape": [c.batch, 1, 28, 28],
      ]
      manifest += String(decoding: try JSONSerialization.data(withJSONObject: entry), as: UTF8.self) + "\n"
      let ax = Tensor<Float, AD>(constant: x)
      let ay = Tensor<Int64, AD>(constant: y)
      if c.model == "mlp" {
        var m = mnistMLP(seed: 0)
        results[c.name] = timeSteps(&m, ax, ay)
      } else {
        var m = mnistLeNet(seed: 0)
        results[c.name] = timeSteps(&m, ax, ay)
      }
    }
    try manifest.write(to: dir.appendingPathComponent("manifest.jsonl"), atomically: true, encoding: .utf8)
    let (peer, info, problem) = runPeer(dir)
    if !json {
      print("Born \(CPU.kernelVariant) kernels, \(cpuThreadCount) threads; peer: \(info ?? problem ?? "torch")")
      print("case                born        torch       ratio" + (breakdown ? "   forward / backward / step" : ""))
    }
    for c in cases {
      let (b, parts) = results[c.name]!
      let p = peer[c.name]
      let ratio = p.map { b / $0 }
      if json {
        var obj: [String: Any] = ["case": c.name, "born_s": b, "peer": "torch"]
        obj["peer_s"] = p ?? NSNull()
        obj["ratio"] = ratio ?? NSNull()
        if p == nil { obj["peer_missing"] = problem ?? "no result" }
        print(String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self))
      } else {
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(1, n - s.count)) }
        var line = pad(c.name, 20) + pad(String(format: "%.1f µs", b * 1e6), 12)
        line +=
          pad(p.map { String(format: "%.1f µs", $0 * 1e6) } ?? "missing", 12)
          + (ratio.map { String(format: "%.2f", $0) } ?? "-")
        if breakdown {
          line += String(format: "    %.0f / %.0f / %.0f µs", parts[0] * 1e6, parts[1] * 1e6, parts[2] * 1e6)
        }
        print(line)
      }
    }
  }

  /// Median step time and the medians of its three phases.
  func timeSteps<M: MNISTClassifier<AD>>(_ model: inout M, _ x: Tensor<Float, AD>, _ y: Tensor<Int64, AD>) -> (
    Double, [Double]
  ) {
    model.requireGradients()
    var opt = Adam<Float, CPU>(learningRate: 1e-3)
    let clock = ContinuousClock()
    var totals: [Double] = []
    var phases: [[Double]] = [[], [], []]
    for i in 0..<(steps + 10) {
      let t0 = clock.now
      let loss = Loss.crossEntropy(model(x), y)
      let t1 = clock.now
      let grads = loss.backward()
      let t2 = clock.now
      opt.step(&model, gradients: grads)
      let t3 = clock.now
      if i >= 10 {
        totals.append((t3 - t0).seconds)
        phases[0].append((t1 - t0).seconds)
        phases[1].append((t2 - t1).seconds)
        phases[2].append((t3 - t2).seconds)
      }
    }
    return (median(totals), phases.map(median))
  }

  func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }

  func runPeer(_ dir: URL) -> ([String: Double], String?, String?) {
    let output = PeerScript(name: "torch_train.py", python: python).run([dir.path, String(steps)])
    var results: [String: Double] = [:]
    var info: String?
    for obj in output.jsonLines {
      if let i = obj["info"] as? [String: Any] {
        info = "torch \(i["torch"] ?? "?"), \(i["threads"] ?? "?") threads"
      } else if let name = obj["case"] as? String, let s = obj["peer_s"] as? Double {
        results[name] = s
      }
    }
    return (results, info, output.failure)
  }

}
