import Born
import BornTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

typealias AD = Autodiff<CPU>

@Suite("Checkpoints and exact resume", .serialized)
struct CheckpointTests {
  typealias Net = Sequential<Chain<Chain<Linear<Float, AD>, Tanh<Float, AD>>, Linear<Float, AD>>>

  func makeModel() -> Net {
    var g = RandomGenerator(seed: 7)
    return Sequential {
      Linear<Float, AD>(6, 16, using: &g)
      Tanh<Float, AD>()
      Linear<Float, AD>(16, 3, using: &g)
    }
  }

  /// Deterministic batches: batch i depends only on i.
  func batch(_ i: Int) -> (Tensor<Float, AD>, Tensor<Int64, AD>) {
    var g = RandomGenerator(seed: UInt64(i) &+ 1000)
    return (Tensor.randn([8, 6], using: &g), Tensor.randint(0, 3, [8], using: &g))
  }

  func train(_ model: inout Net, _ opt: inout AdamW<Float, CPU>, _ schedule: inout CosineAnnealingLR, steps: Range<Int>)
  {
    model.requireGradients()
    for i in steps {
      let (x, y) = batch(i)
      let grads = Loss.crossEntropy(model(x), y).backward()
      opt.step(&model, gradients: grads)
      schedule.step(&opt)
    }
  }

  @Test func checkpointRoundTripsEveryPart() throws {
    let dir = try scratchDirectory("ck-roundtrip")
    var model = makeModel()
    var opt = AdamW<Float, CPU>(learningRate: 1e-2, amsgrad: true)
    var schedule = CosineAnnealingLR(&opt, maximumSteps: 50)
    train(&model, &opt, &schedule, steps: 0..<3)
    var g = RandomGenerator(seed: 99)
    _ = g.next()
    var ck = Checkpoint(model: model, optimizer: opt, epoch: 2, batch: 5, step: 3, metadata: ["run": "test"])
    ck.generators["dropout"] = g
    try ck.setScheduler(schedule)
    try ck.write(to: dir + "/ck.born")
    let back = try Checkpoint.read(from: dir + "/ck.born")
    #expect(back.model == model.stateDictionary)
    #expect(back.optimizer == opt.exportState())
    #expect(try back.scheduler(as: CosineAnnealingLR.self) == schedule)
    #expect(back.generators["dropout"] == g)
    #expect((back.epoch, back.batch, back.step) == (2, 5, 3))
    #expect(back.metadata == ["run": "test"])
    // A plain model file is not a checkpoint.
    try model.save(to: dir + "/model.born")
    #expect(throws: ModelFileError.self) { try Checkpoint.read(from: dir + "/model.born") }
  }

  @Test func resumeIsBitIdenticalAndWeightsOnlyIsNot() throws {
    // Other suites switch the process-wide kernel variant; none may do so mid-comparison.
    try KernelSelection.exclusively { try resumeComparison() }
  }

  func resumeComparison() throws {
    let dir = try scratchDirectory("ck-resume")
    // 200 steps straight.
    var straight = makeModel()
    var opt = AdamW<Float, CPU>(learningRate: 1e-2)
    var schedule = CosineAnnealingLR(&opt, maximumSteps: 200)
    train(&straight, &opt, &schedule, steps: 0..<200)

    // 100 steps, checkpoint, then a fresh model/optimizer/scheduler restored from the file.
    var first = makeModel()
    var opt1 = AdamW<Float, CPU>(learningRate: 1e-2)
    var schedule1 = CosineAnnealingLR(&opt1, maximumSteps: 200)
    train(&first, &opt1, &schedule1, steps: 0..<100)
    var ck = Checkpoint(model: first, optimizer: opt1, epoch: 0, batch: 100, step: 100)
    try ck.setScheduler(schedule1)
    try ck.write(to: dir + "/ck.born")

    let saved = try Checkpoint.read(from: dir + "/ck.born")
    var resumed = makeModel()
    try resumed.load(saved.model)
    var opt2 = AdamW<Float, CPU>(learningRate: 1e-2)
    try opt2.importState(saved.optimizer!)
    var schedule2 = try saved.scheduler(as: CosineAnnealingLR.self)!
    train(&resumed, &opt2, &schedule2, steps: saved.step..<200)
    #expect(resumed.stateDictionary == straight.stateDictionary)

    // Weights only (a cold optimizer and schedule): must not match.
    var cold = makeModel()
    try cold.load(saved.model)
    var opt3 = AdamW<Float, CPU>(learningRate: 1e-2)
    var schedule3 = CosineAnnealingLR(&opt3, maximumSteps: 200)
    train(&cold, &opt3, &schedule3, steps: 100..<200)
    #expect(cold.stateDictionary != straight.stateDictionary)
  }

  /// 200 steps in one `born train` process versus 100 steps, a checkpoint, and a second process
  /// that resumes from it for 100 more: the saved models are identical byte for byte.
  @Test func cliResumeInANewProcessIsBitIdentical() throws {
    let data = try tinyMNIST(train: 320, test: 50)
    let dir = try scratchDirectory("ck-cli")
    let common = [
      "train", "mnist", "--model", "mlp", "--data", data, "--batch-size", "16", "--epochs", "12", "--seed", "3",
    ]
    try ChildProcess.run(common + ["--max-steps", "200", "--save", dir + "/straight.safetensors"], log: dir + "/a.log")
    try ChildProcess.run(
      common + ["--max-steps", "100", "--checkpoint", dir + "/ck.born", "--save", dir + "/half.safetensors"],
      log: dir + "/b.log")
    try ChildProcess.run(
      common + ["--max-steps", "200", "--resume", dir + "/ck.born", "--save", dir + "/resumed.safetensors"],
      log: dir + "/c.log")
    let straight = try readBytes(dir + "/straight.safetensors")
    #expect(straight == (try readBytes(dir + "/resumed.safetensors")))
    #expect(straight != (try readBytes(dir + "/half.safetensors")))
    // Resuming with other options is refused with a message naming them.
    let status = try ChildProcess(
      bornExecutable, common.map { $0 == "16" ? "32" : $0 } + ["--resume", dir + "/ck.born"], log: dir + "/d.log"
    ).wait()
    #expect(status != 0)
    #expect(String(decoding: try readBytes(dir + "/d.log"), as: UTF8.self).contains("--batch-size"))
  }

  /// Kills (SIGKILL) a training process that checkpoints after every step at random moments,
  /// 100 times. After each kill the checkpoint loads (checksum verified) and its step never goes
  /// back; each run resumes from it. Temporary files left by killed writers are removed by the
  /// next save.
  @Test func checkpointsSurviveSIGKILLAtRandomMoments() throws {
    let data = try tinyMNIST(train: 256, test: 20)
    let dir = try scratchDirectory("ck-crash")
    let path = dir + "/run.ckpt.born"
    let args = [
      "train", "mnist", "--model", "mlp", "--data", data, "--batch-size", "16", "--epochs", "100000",
      "--checkpoint", path, "--checkpoint-every", "1", "--save", dir + "/model.safetensors",
    ]
    var g = RandomGenerator(seed: 2026)
    var lastStep = -1
    var killedWithTemporary = 0
    var loads = 0
    for kill in 0..<100 {
      let exists = FileManager.default.fileExists(atPath: path)
      let child = try ChildProcess(
        bornExecutable, args + (exists ? ["--resume", path] : []), log: dir + "/log-\(kill % 2)")
      usleep(UInt32(20_000 + g.next(upperBound: UInt64(250_000))))
      Glibc.kill(child.pid, SIGKILL)
      #expect(child.wait() == -SIGKILL, "the child ended before the kill (see \(dir)/log-\(kill % 2))")
      let names = try FileManager.default.contentsOfDirectory(atPath: dir)
      if names.contains(where: { $0.hasPrefix("run.ckpt.born.tmp-") }) { killedWithTemporary += 1 }
      guard FileManager.default.fileExists(atPath: path) else { continue }
      let ck = try Checkpoint.read(from: path)
      #expect(ck.step >= lastStep, "checkpoint went back from step \(lastStep) to \(ck.step)")
      lastStep = ck.step
      loads += 1
    }
    print(
      "crash harness: 100 kills, \(loads) checkpoints loaded, last step \(lastStep), \(killedWithTemporary) kills left a temporary file"
    )
    #expect(loads >= 90)
    #expect(lastStep > 0)
    // One more run to a clean stop: its saves remove the stale temporaries.
    try ChildProcess.run(args + ["--resume", path, "--max-steps", String(lastStep + 1)], log: dir + "/final.log")
    let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
    #expect(left.isEmpty, "stale temporaries: \(left)")
    #expect(try Checkpoint.read(from: path).step == lastStep + 1)
  }
}
