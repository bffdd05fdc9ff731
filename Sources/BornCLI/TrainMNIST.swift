import ArgumentParser
import Born
import Foundation

/// Set by SIGINT: training stops after the current batch and saves what it has.
nonisolated(unsafe) var interruptRequested = false

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Train a model.", subcommands: [TrainMNIST.self])
}

public struct TrainMNIST: ParsableCommand {
  public init() {}
  public static let configuration = CommandConfiguration(
    commandName: "mnist",
    abstract: "Train the MNIST MLP or LeNet-5 on the bundled data and report test accuracy.",
    discussion: """
      Defaults reach ≥ 98% (MLP) and ≥ 99% (CNN) test accuracy: inputs normalized with the
      training set's mean and standard deviation, Adam with a one-cycle learning-rate schedule.
      Ctrl-C stops after the current batch and saves the model trained so far.
      """)

  enum ModelKind: String, ExpressibleByArgument, CaseIterable { case mlp, cnn }
  enum OptimizerKind: String, ExpressibleByArgument, CaseIterable { case adam, sgd }
  enum DeviceKind: String, ExpressibleByArgument, CaseIterable { case cpu, webgpu }

  @Option(help: "mlp (784-128-10) or cnn (LeNet-5).") var model: ModelKind = .cnn
  @Option(help: "Epochs (default: 15 for mlp, 8 for cnn).") var epochs: Int?
  @Option(name: .customLong("batch-size"), help: "Samples per batch.") var batchSize = 64
  @Option(help: "Peak learning rate (default with adam: 2e-3 for mlp, 3e-3 for cnn; 0.1 with sgd).") var lr: Double?
  @Option(help: "adam or sgd (with Nesterov momentum 0.9).") var optimizer: OptimizerKind = .adam
  @Option(help: "cpu, or webgpu (the GPU through wgpu-native; see `born doctor`).") var device: DeviceKind = .cpu
  @Option(help: "Seed for initialization and shuffling.") var seed: UInt64 = 42
  @Option(help: "Directory with the four MNIST-format IDX files (.gz or raw).") var data: String?
  @Option(help: "Where to save the trained model (safetensors).") var save: String?
  @Option(help: "Train on only the first N training images (quick runs).") var limit: Int?
  @Option(
    help: ArgumentHelp(
      "Write a training checkpoint (.born) here after every epoch and when stopping.",
      discussion: "It holds the model, optimizer and scheduler state and the data position; --resume continues from it."
    ))
  var checkpoint: String?
  @Option(name: .customLong("checkpoint-every"), help: "Also write the checkpoint every N steps.")
  var checkpointEvery: Int?
  @Option(help: "Continue training from a checkpoint written with --checkpoint (same options as that run).")
  var resume: String?
  @Option(name: .customLong("max-steps"), help: "Stop (and save) after N optimizer steps in all.") var maxSteps: Int?

  public func validate() throws {
    if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
    if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
    if let lr, !(lr > 0) { throw ValidationError("--lr must be positive, got \(lr)") }
    if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    if let checkpointEvery, checkpointEvery < 1 {
      throw ValidationError("--checkpoint-every must be at least 1, got \(checkpointEvery)")
    }
    if checkpointEvery != nil, checkpoint == nil { throw ValidationError("--checkpoint-every needs --checkpoint FILE") }
    if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1, got \(maxSteps)") }
  }

  /// The options that determine a run's arithmetic; a resumed run must repeat them.
  var runConfiguration: [String: String] {
    [
      "model": model.rawValue, "device": device.rawValue, "epochs": epochs.map(String.init) ?? "default",
      "batch-size": String(batchSize),
      "lr": lr.map { "\($0)" } ?? "default", "optimizer": optimizer.rawValue, "seed": String(seed),
      "limit": limit.map(String.init) ?? "none",
    ]
  }

  public func run() throws {
    let dir = data ?? defaultMNISTDirectory()
    var train = try MNIST(directory: dir, split: .train)
    let test = try MNIST(directory: dir, split: .test)
    if let limit { train = train.prefix(limit) }
    let savePath = save ?? "mnist-\(model.rawValue).safetensors"
    signal(SIGINT) { _ in interruptRequested = true }
    switch device {
    case .cpu: try run(on: CPU.self, train: train, test: test, savePath: savePath)
    case .webgpu:
      do {
        let gpu = try WebGPUDevice.shared()
        print("WebGPU: \(gpu.adapter.name) (\(gpu.adapter.backend))")
      } catch {
        throw ValidationError("--device webgpu: \(error)")
      }
      try run(on: WebGPU.self, train: train, test: test, savePath: savePath)
    }
  }

  func run<Base: Backend>(on _: Base.Type, train: MNIST, test: MNIST, savePath: String) throws {
    switch model {
    case .mlp:
      var m = mnistMLP(seed: seed, on: Base.self)
      try runTraining(&m, base: Base.self, train: train, test: test, epochs: epochs ?? 15, savePath: savePath)
    case .cnn:
      var m = mnistLeNet(seed: seed, on: Base.self)
      try runTraining(&m, base: Base.self, train: train, test: test, epochs: epochs ?? 8, savePath: savePath)
    }
  }

  func runTraining<Base: Backend, M: MNISTClassifier<Autodiff<Base>>>(
    _ model: inout M, base: Base.Type, train: MNIST, test: MNIST, epochs: Int, savePath: String
  ) throws {
    print(
      "Training \(self.model.rawValue) (\(model.parameterCount) parameters) on \(train.count) images for \(epochs) epochs, batch \(batchSize), \(optimizer.rawValue), seed \(seed), \(device.rawValue)"
    )
    let loader = DataLoader(train, batchSize: batchSize, shuffle: true, seed: seed)
    let totalSteps = epochs * loader.batchesPerEpoch
    switch optimizer {
    case .adam:
      let peak = lr ?? (self.model == .mlp ? 2e-3 : 3e-3)
      var opt = Adam<Float, Base>(learningRate: peak)
      var schedule = OneCycleLR(&opt, maximumLearningRate: peak, totalSteps: totalSteps)
      try loop(&model, &opt, &schedule, loader: loader, test: test, epochs: epochs, savePath: savePath)
    case .sgd:
      var opt = SGD<Float, Base>(learningRate: lr ?? 0.1, momentum: 0.9, nesterov: true)
      var schedule = OneCycleLR(&opt, maximumLearningRate: lr ?? 0.1, totalSteps: totalSteps)
      try loop(&model, &opt, &schedule, loader: loader, test: test, epochs: epochs, savePath: savePath)
    }
  }

  func loop<Base: Backend, M: MNISTClassifier<Autodiff<Base>>, O: Optimizer>(
    _ model: inout M, _ opt: inout O, _ schedule: inout OneCycleLR, loader: DataLoader<MNIST>, test: MNIST, epochs: Int,
    savePath: String
  ) throws where O.Element == Float, O.Base == Base {
    var (startEpoch, startBatch, step) = (0, 0, 0)
    if let resume {
      let ck = try Checkpoint.read(from: resume)
      let differences = runConfiguration.keys.sorted().compactMap { key -> String? in
        let saved = ck.metadata["run." + key] ?? "?"
        return saved == runConfiguration[key] ? nil : "--\(key): checkpoint \(saved), now \(runConfiguration[key]!)"
      }
      guard differences.isEmpty else {
        throw ValidationError(
          "\(resume) was written by a run with other options (\(differences.joined(separator: "; "))); repeat that run's options to resume it"
        )
      }
      try model.load(ck.model, path: resume)
      guard let state = ck.optimizer, let saved = try ck.scheduler(as: OneCycleLR.self) else {
        throw ValidationError("\(resume) has no optimizer or scheduler state")
      }
      try opt.importState(state)
      schedule = saved
      (startEpoch, startBatch, step) = (ck.epoch, ck.batch, ck.step)
      print("Resuming from \(resume): epoch \(startEpoch + 1), batch \(startBatch), step \(step).")
    }
    model.requireGradients()
    func writeCheckpoint(epoch: Int, batch: Int) throws {
      guard let checkpoint else { return }
      var ck = Checkpoint(
        model: model, optimizer: opt, epoch: epoch, batch: batch, step: step,
        metadata: Dictionary(uniqueKeysWithValues: runConfiguration.map { ("run." + $0.key, $0.value) }))
      try ck.setScheduler(schedule)
      try ck.write(to: checkpoint)
    }
    let clock = ContinuousClock()
    let start = clock.now
    var accuracy = 0.0
    var stopped = false
    training: for epoch in startEpoch..<epochs {
      let first = epoch == startEpoch ? startBatch : 0
      var progress = ProgressBar(title: "epoch \(epoch + 1)/\(epochs)", total: loader.batchesPerEpoch)
      let epochStart = clock.now
      var lossSum = 0.0
      var seen = 0
      for (i, batch) in zip(first..., loader.epoch(epoch, startingAt: first)) {
        let (x, y): (Tensor<Float, Autodiff<Base>>, Tensor<Int64, Autodiff<Base>>) = batch.tensors()
        let loss = Loss.crossEntropy(model(x), y)
        let grads = loss.backward()
        opt.step(&model, gradients: grads)
        schedule.step(&opt)
        step += 1
        lossSum += Double(loss.item()) * Double(batch.count)
        seen += batch.count
        let elapsed = (clock.now - epochStart).seconds
        progress.update(
          i + 1, "loss \(format(lossSum / Double(seen), 4))  \(Int(Double(seen) / max(elapsed, 1e-9))) samples/s")
        let done = i + 1 == loader.batchesPerEpoch
        if let every = checkpointEvery, step % every == 0, !done {
          try writeCheckpoint(epoch: epoch, batch: i + 1)
        }
        if interruptRequested || step == maxSteps {
          progress.finish(interruptRequested ? "interrupted" : "reached --max-steps \(step)")
          print("Stopped after batch \(i + 1) of epoch \(epoch + 1) (step \(step)); saving.")
          try done ? writeCheckpoint(epoch: epoch + 1, batch: 0) : writeCheckpoint(epoch: epoch, batch: i + 1)
          stopped = true
          break training
        }
      }
      try writeCheckpoint(epoch: epoch + 1, batch: 0)
      let epochTime = (clock.now - epochStart).seconds
      accuracy = evaluate(model, test).accuracy
      progress.finish(
        "loss \(format(lossSum / Double(max(seen, 1)), 4))  \(format(epochTime, 2)) s  test accuracy \(format(accuracy * 100, 2))%"
      )
    }
    if stopped { accuracy = evaluate(model, test).accuracy }
    let total = (clock.now - start).seconds
    print("Test accuracy \(format(accuracy * 100, 2))% after \(format(total, 1)) s of training.")
    if let checkpoint { print("Checkpoint: \(checkpoint) (step \(step)).") }
    try model.save(to: savePath, metadata: ["model": self.model.rawValue, "format": "born-mnist"])
    print("Saved the model to \(savePath).")
  }
}

/// Accuracy and confusion matrix (rows: true class, columns: predicted) on a dataset.
func evaluate<M: MNISTClassifier>(_ model: M, _ data: MNIST) -> (accuracy: Double, confusion: [[Int]]) {
  var confusion = Array(repeating: Array(repeating: 0, count: 10), count: 10)
  var correct = 0
  withoutGrad {
    evaluating {
      for batch in DataLoader(data, batchSize: 1000).epoch(0) {
        let (x, _): (Tensor<Float, M.B>, Tensor<Int64, M.B>) = batch.tensors()
        let predicted = model(x).argmax(axis: 1).toArray()
        for (p, t) in zip(predicted, batch.labels) {
          confusion[Int(t)][Int(p)] += 1
          if p == t { correct += 1 }
        }
      }
    }
  }
  return (Double(correct) / Double(max(data.count, 1)), confusion)
}

/// The repository's Data/mnist, found from this source file (for `swift run`) or the working directory.
func defaultMNISTDirectory() -> String {
  let fromSource = repositoryRoot.appendingPathComponent("Data/mnist").path
  if FileManager.default.fileExists(atPath: fromSource) { return fromSource }
  return "Data/mnist"
}

func format(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }

extension Duration {
  var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// A progress line redrawn in place on a terminal, or plain lines every 10% otherwise.
struct ProgressBar {
  let title: String
  let total: Int
  let interactive = isatty(1) != 0
  let start = ContinuousClock.now
  var lastPrinted = -1

  init(title: String, total: Int) {
    self.title = title
    self.total = total
  }

  mutating func update(_ done: Int, _ status: String) {
    let elapsed = (ContinuousClock.now - start).seconds
    let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
    if interactive {
      let width = 24
      let filled = total > 0 ? width * done / total : width
      let bar =
        String(repeating: "=", count: filled) + (filled < width ? ">" : "")
        + String(repeating: " ", count: max(0, width - filled - 1))
      print("\r\(title) [\(bar)] \(done)/\(total)  \(status)  ETA \(format(eta, 0)) s\u{1B}[K", terminator: "")
      fflush(nil)
    } else {
      let decile = total > 0 ? done * 10 / total : 10
      if decile > lastPrinted && decile < 10 {
        lastPrinted = decile
        print("\(title) \(done)/\(total)  \(status)  ETA \(format(eta, 0)) s")
        fflush(nil)  // a pipe or file would otherwise see nothing until the buffer fills
      }
    }
  }

  func finish(_ status: String) {
    if interactive { print("\r\(title) done  \(status)\u{1B}[K") } else { print("\(title) done  \(status)") }
    fflush(nil)
  }
}

struct Eval: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Evaluate a trained model.", subcommands: [EvalMNIST.self])
}

public struct EvalMNIST: ParsableCommand {
  public init() {}
  public static let configuration = CommandConfiguration(
    commandName: "mnist", abstract: "Test accuracy and confusion matrix of a saved MNIST model.")

  @Option(help: "A model saved by `born train mnist` (safetensors).") var model: String
  @Option(help: "Directory with the MNIST-format IDX files.") var data: String?

  public func run() throws {
    let test = try MNIST(directory: data ?? defaultMNISTDirectory(), split: .test)
    let metadata = try ModelFile.read(model).metadata
    let kind = metadata["model"] ?? "cnn"
    let result: (accuracy: Double, confusion: [[Int]])
    if kind == "mlp" {
      var m = mnistMLP(seed: 0)
      try m.load(from: model)
      result = evaluate(m, test)
    } else {
      var m = mnistLeNet(seed: 0)
      try m.load(from: model)
      result = evaluate(m, test)
    }
    print("Test accuracy: \(format(result.accuracy * 100, 2))% (\(test.count) images)")
    print("Confusion matrix (rows: true digit, columns: predicted):")
    print("     " + (0..<10).map { String(repeating: " ", count: 5 - String($0).count) + String($0) }.joined())
    for (i, row) in result.confusion.enumerated() {
      print("  \(i)  " + row.map { String(repeating: " ", count: max(0, 5 - String($0).count)) + String($0) }.joined())
    }
  }
}
