import ArgumentParser
import Born
import Foundation

/// One benchmark case: how to make its inputs, how Born runs it, and the peer's op name.
struct CPUBenchCase {
  var name: String
  var shapes: [[Int]]
  var peerOp: String
  var flops: Double?
  var run: ([Tensor<Float, CPU>]) -> Tensor<Float, CPU>
}

struct BenchCPU: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cpu",
    abstract: "Time Born's CPU kernels against NumPy on the same inputs.",
    discussion: """
      Born writes each case's inputs to a temporary folder and runs Benchmarks/peers/numpy_cpu.py
      on them in the same run. Times are the best of repeated runs after a warm-up; the ratio is
      Born's time over NumPy's (below 1 means Born is faster). NumPy runs with
      OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset so OpenBLAS picks its best kernel for the CPU,
      unless --keep-peer-env is given.
      """
  )

  @Flag(help: "Print one JSON object per case instead of a table.")
  var json = false

  @Option(help: "Seconds to spend timing each case on each side.")
  var seconds = 0.3

  @Option(help: "Only run cases whose name contains this text.")
  var filter: String?

  @Flag(help: "Run NumPy with this environment's OPENBLAS_* settings as they are.")
  var keepPeerEnv = false

  @Option(help: "The Python interpreter for the peer.")
  var python = "python3"

  static var cases: [CPUBenchCase] {
    var list: [CPUBenchCase] = []
    for n in [256, 512, 1024, 2048] {
      list.append(
        CPUBenchCase(name: "sgemm \(n)", shapes: [[n, n], [n, n]], peerOp: "matmul", flops: 2 * pow(Double(n), 3)) {
          $0[0].matmul($0[1])
        })
    }
    func mm(_ name: String, _ m: Int, _ k: Int, _ n: Int, _ op: String) -> CPUBenchCase {
      let flops = 2.0 * Double(m * k * n)
      switch op {
      case "matmul_at":
        return CPUBenchCase(name: name, shapes: [[k, m], [k, n]], peerOp: op, flops: flops) { $0[0].T.matmul($0[1]) }
      case "matmul_bt":
        return CPUBenchCase(name: name, shapes: [[m, k], [n, k]], peerOp: op, flops: flops) { $0[0].matmul($0[1].T) }
      default:
        return CPUBenchCase(name: name, shapes: [[m, k], [k, n]], peerOp: op, flops: flops) { $0[0].matmul($0[1]) }
      }
    }
    list.append(mm("mlp fc1 64x784x128", 64, 784, 128, "matmul"))
    list.append(mm("mlp fc2 64x128x10", 64, 128, 10, "matmul"))
    list.append(mm("mlp fc1 dW 784x64x128 (Xᵀ·dH)", 784, 64, 128, "matmul_at"))
    list.append(mm("mlp fc2 dW 128x64x10 (Hᵀ·dY)", 128, 64, 10, "matmul_at"))
    list.append(mm("mlp fc2 dX 64x10x128 (dY·W2ᵀ)", 64, 10, 128, "matmul_bt"))
    list.append(mm("mlp fc1 dWᵀ 128x64x784 (dHᵀ·X)", 128, 64, 784, "matmul_at"))
    list.append(mm("gemv 1x576x1536", 1, 576, 1536, "matmul"))
    let big = 1 << 24
    list.append(CPUBenchCase(name: "add 16M", shapes: [[big], [big]], peerOp: "add", flops: nil) { $0[0] + $0[1] })
    list.append(CPUBenchCase(name: "exp 16M", shapes: [[big]], peerOp: "exp", flops: nil) { $0[0].exp() })
    list.append(CPUBenchCase(name: "sum 16M", shapes: [[big]], peerOp: "sum", flops: nil) { $0[0].sum() })
    list.append(
      CPUBenchCase(name: "softmax 4096x4096", shapes: [[4096, 4096]], peerOp: "softmax", flops: nil) {
        $0[0].softmax(axis: 1)
      })
    return list
  }

  /// Best time of repeated runs after one warm-up, spending about `seconds`.
  static func bestTime(seconds: Double, _ body: () -> Void) -> Double {
    body()
    var best = Double.infinity
    var runs = 0
    let clock = ContinuousClock()
    let start = clock.now
    while runs < 3 || (clock.now - start < .seconds(seconds) && runs < 1000) {
      let t0 = clock.now
      body()
      let d = clock.now - t0
      best = min(best, Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
      runs += 1
    }
    return best
  }

  func run() throws {
    let cases = Self.cases.filter { filter == nil || $0.name.contains(filter!) }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("born-bench-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }

    var generator = RandomGenerator(seed: 2026)
    var manifest = ""
    var bornTimes: [String: Double] = [:]
    for (ci, c) in cases.enumerated() {
      let inputs = c.shapes.map { Tensor<Float, CPU>.randn(Shape($0), using: &generator) }
      var output = c.run(inputs)
      bornTimes[c.name] = Self.bestTime(seconds: seconds) { output = c.run(inputs) }
      var files: [String] = []
      for (i, t) in inputs.enumerated() {
        let file = "case\(ci)_in\(i).f32"
        try write(t, to: dir.appendingPathComponent(file))
        files.append(file)
      }
      let outFile = "case\(ci)_out.f32"
      try write(output, to: dir.appendingPathComponent(outFile))
      let entry: [String: Any] = [
        "case": c.name, "op": c.peerOp, "inputs": files, "shapes": c.shapes, "output": outFile,
      ]
      manifest += String(decoding: try JSONSerialization.data(withJSONObject: entry), as: UTF8.self) + "\n"
    }
    try manifest.write(to: dir.appendingPathComponent("manifest.jsonl"), atomically: true, encoding: .utf8)

    let (peer, peerInfo, peerProblem) = runPeer(dir)
    if !json {
      print("Born \(CPU.kernelVariant) kernels, \(cpuThreadCount) threads; peer: \(peerInfo ?? peerProblem ?? "numpy")")
      print(pad("case", 34) + pad("born", 12) + pad("numpy", 12) + pad("ratio", 8) + "born GFLOP/s")
    }
    for c in cases {
      let b = bornTimes[c.name]!
      let p = peer[c.name]
      let ratio = p.map { b / $0.seconds }
      if json {
        var obj: [String: Any] = ["case": c.name, "born_s": b, "peer": "numpy"]
        obj["peer_s"] = p?.seconds ?? NSNull()
        obj["ratio"] = ratio ?? NSNull()
        if p == nil { obj["peer_missing"] = peerProblem ?? "no result" }
        if let d = p?.maxRelativeDiff { obj["max_rel_diff"] = d }
        print(String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self))
      } else {
        let gflops = c.flops.map { String(format: "%.1f", $0 / b / 1e9) } ?? ""
        print(
          pad(c.name, 34) + pad(format(b), 12) + pad(p.map { format($0.seconds) } ?? "missing", 12)
            + pad(ratio.map { String(format: "%.2f", $0) } ?? "-", 8) + gflops)
      }
    }
    if !json, let peerProblem, peer.isEmpty { print("peer missing: \(peerProblem)") }
  }

  func write(_ t: Tensor<Float, CPU>, to url: URL) throws {
    let data = t.contiguous().toArray().withUnsafeBytes { Data($0) }
    try data.write(to: url)
  }

  struct PeerResult {
    var seconds: Double
    var maxRelativeDiff: Double
  }

  /// Runs the NumPy script; returns its results by case, its info line, or why it is missing.
  func runPeer(_ dir: URL) -> ([String: PeerResult], String?, String?) {
    let output = PeerScript(name: "numpy_cpu.py", python: python).run(
      [dir.path, String(seconds)], removing: keepPeerEnv ? [] : ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"])
    var results: [String: PeerResult] = [:]
    var info: String?
    for obj in output.jsonLines {
      if let i = obj["info"] as? [String: Any] {
        info = "numpy \(i["numpy"] ?? "?")" + ((i["blas"] as? String).map { ", \($0)" } ?? "")
      } else if let name = obj["case"] as? String, let s = obj["peer_s"] as? Double {
        let diff = (obj["max_abs_diff"] as? Double) ?? 0
        let scale = max((obj["max_abs"] as? Double) ?? 1, 1e-30)
        results[name] = PeerResult(seconds: s, maxRelativeDiff: diff / scale)
      }
    }
    return (results, info, output.failure)
  }

  func format(_ s: Double) -> String {
    s < 1e-3 ? String(format: "%.1f µs", s * 1e6) : String(format: "%.2f ms", s * 1e3)
  }

  func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
}
