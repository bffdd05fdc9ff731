import Born
import BornTestSupport
import FoundationEssentials
import Testing

@testable import BornCLI

#if canImport(Glibc)
  import Glibc
#endif

@Suite("born train/eval mnist", .serialized)
struct CLITests {
  let path = FileManager.default.temporaryDirectory.path + "/born-cli-test-\(getpid()).safetensors"

  @Test func trainsAndEvaluatesEndToEndOnASubset() throws {
    let train = try TrainMNIST.parse([
      "--model", "mlp", "--epochs", "1", "--limit", "1500", "--batch-size", "50", "--save", path,
    ])
    try train.run()
    #expect(FileManager.default.fileExists(atPath: path))
    let file = try SafeTensors.read(path)
    let (tensors, metadata) = (file.tensors, file.metadata)
    #expect(metadata["model"] == "mlp")
    #expect(tensors["layers.1.weight"]?.shape == [128, 784])
    let eval = try EvalMNIST.parse(["--model", path])
    try eval.run()
    try? FileManager.default.removeItem(atPath: path)
  }

  @Test func badArgumentsGetAMessage() {
    for args in [
      ["--epochs", "0"], ["--batch-size", "-3"], ["--lr", "0"], ["--model", "resnet"], ["--optimizer", "lbfgs"],
    ] {
      do {
        _ = try TrainMNIST.parse(args)
        Issue.record("\(args) was accepted")
      } catch {
        // The message ArgumentParser prints names the offending option.
        let message = TrainMNIST.message(for: error)
        #expect(message.contains(args[0].dropFirst(2)) || message.contains(args[1]), "\(args): \(message)")
      }
    }
    #expect(throws: (any Error).self) {
      let t = try TrainMNIST.parse(["--data", "/nonexistent/mnist"])
      try t.run()
    }
  }
}

@Suite("Training drives the loss down")
struct TrainingTests {
  @Test func mlpLearnsOnASubset() throws {
    let dir = fixturesDirectory.replacingOccurrences(of: "Tests/Fixtures", with: "Data/mnist")
    let data = try MNIST(directory: dir, split: .train).prefix(3200)
    var g = RandomGenerator(seed: 1)
    var model = Sequential {
      Flatten<Float, Autodiff<CPU>>()
      Linear<Float, Autodiff<CPU>>(784, 64, using: &g)
      ReLU<Float, Autodiff<CPU>>()
      Linear<Float, Autodiff<CPU>>(64, 10, using: &g)
    }
    model.requireGradients()
    var opt = Adam<Float, CPU>(learningRate: 2e-3)
    var losses: [Float] = []
    let loader = DataLoader(data, batchSize: 32, shuffle: true, seed: 3)
    for epoch in 0..<3 {
      for batch in loader.epoch(epoch) {
        let (x, y): (Tensor<Float, Autodiff<CPU>>, Tensor<Int64, Autodiff<CPU>>) = batch.tensors()
        let loss = Loss.crossEntropy(model(x), y)
        opt.step(&model, gradients: loss.backward())
        losses.append(loss.item())
      }
    }
    #expect(losses.count == 300)
    let first = losses[0]
    let last = losses.suffix(50).reduce(0, +) / 50
    #expect(first > 2.0, "initial loss \(first)")  // ≈ ln 10 for an untrained classifier
    #expect(last < 0.35, "final loss \(last)")
  }
}

struct InspectTests {
  @Test func listsTensorsMetadataAndChecksum() throws {
    let path = FileManager.default.temporaryDirectory.path + "/born-inspect-\(getpid()).born"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let w = Tensor<Float, CPU>.zeros([3, 4])
    try BornFile.write(["layer.weight": StoredTensor(w)], metadata: ["model": "tiny"], to: path)
    let report = inspectReport(path: path, try ModelFile.read(path))
    #expect(report.contains("born file, 1 tensors, 12 elements"))
    #expect(report.contains("checksum: verified (SHA-256 "))
    #expect(report.contains("model: tiny"))
    #expect(report.contains("layer.weight  f32    [3, 4]     48"))
    // The command itself runs, and a corrupt file is an error naming the problem.
    var command = try BornCommand.parseAsRoot(["inspect", path])
    try command.run()
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    bytes[bytes.count - 1] ^= 1
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    var corrupt = try BornCommand.parseAsRoot(["inspect", path])
    #expect(throws: ModelFileError.self) { try corrupt.run() }
    var unverified = try BornCommand.parseAsRoot(["inspect", "--no-verify", path])
    try unverified.run()
  }
}
