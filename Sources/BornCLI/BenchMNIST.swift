import ArgumentParser
import Born
import Foundation

struct BenchMNIST: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mnist",
    abstract: "Time one MNIST training epoch in Born and in PyTorch on the same data.",
    discussion: """
      Both sides train the same architecture with Adam (lr 1e-3) for one epoch over the 60,000
      training images in shuffled batches, batching included; PyTorch runs
      Benchmarks/peers/torch_mnist_epoch.py in the same run. Prints seconds per epoch for both
      and the ratio Born/PyTorch.
      """)

  @Option(help: "mlp, cnn, or all.") var model = "all"
  @Option(name: .customLong("batch-size")) var batchSize = 64
  @Flag(help: "Print one JSON object per model instead of a table.") var json = false
  @Option(help: "Directory with the MNIST IDX files.") var data: String?
  @Option(help: "The Python interpreter for the peer.") var python = "python3"

  func run() throws {
    let dir = data ?? defaultMNISTDirectory()
    let train = try MNIST(directory: dir, split: .train)
    let models = model == "all" ? ["mlp", "cnn"] : [model]
    for name in models {
      guard name == "mlp" || name == "cnn" else {
        throw ValidationError("--model must be mlp, cnn or all, got \(name)")
      }
      let born: Double
      if name == "mlp" {
        var m = mnistMLP(seed: 0)
        born = epochSeconds(&m, train)
      } else {
        var m = mnistLeNet(seed: 0)
        born = epochSeconds(&m, train)
      }
      let (peer, problem) = runPeer(dir, name)
      let ratio = peer.map { born / $0 }
      if json {
        var obj: [String: Any] = ["case": "\(name) epoch batch \(batchSize)", "born_s": born, "peer": "torch"]
        obj["peer_s"] = peer ?? NSNull()
        obj["ratio"] = ratio ?? NSNull()
        if let problem { obj["peer_missing"] = problem }
        print(String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self))
      } else {
        print(
          "\(name) epoch (batch \(batchSize)): born \(format(born, 2)) s, torch \(peer.map { format($0, 2) + " s" } ?? "missing (\(problem ?? ""))"), ratio \(ratio.map { format($0, 2) } ?? "-")"
        )
      }
    }
  }

  func epochSeconds<M: MNISTClassifier<AD>>(_ model: inout M, _ train: MNIST) -> Double {
    model.requireGradients()
    var opt = Adam<Float, CPU>(learningRate: 1e-3)
    let loader = DataLoader(train, batchSize: batchSize, shuffle: true, seed: 0)
    let clock = ContinuousClock()
    let start = clock.now
    for batch in loader.epoch(0) {
      let (x, y): (Tensor<Float, AD>, Tensor<Int64, AD>) = batch.tensors()
      let loss = Loss.crossEntropy(model(x), y)
      opt.step(&model, gradients: loss.backward())
    }
    return (clock.now - start).seconds
  }

  func runPeer(_ dir: String, _ name: String) -> (Double?, String?) {
    let output = PeerScript(name: "torch_mnist_epoch.py", python: python).run([dir, name, String(batchSize)])
    if let failure = output.failure { return (nil, failure) }
    guard let seconds = output.jsonLines.first?["seconds"] as? Double else {
      return (nil, "torch peer printed no result")
    }
    return (seconds, nil)
  }

}
