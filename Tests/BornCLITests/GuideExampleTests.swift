import Born
import BornTestSupport
import FoundationEssentials
import Testing

/// docs/guides/training.md, on a small subset so it runs in a debug build.
@Suite("Training guide example")
struct GuideExampleTests {
  @Test func lenetExampleRuns() throws {
    typealias AD = Autodiff<CPU>
    let dataDirectory = fixturesDirectory.replacingOccurrences(of: "Tests/Fixtures", with: "Data/mnist")
    var g = RandomGenerator(seed: 42)
    var model = Sequential {
      Conv2d<Float, AD>(1, 6, kernelSize: (5, 5), using: &g)
      ReLU<Float, AD>()
      MaxPool2d<Float, AD>(2)
      Conv2d<Float, AD>(6, 16, kernelSize: (5, 5), using: &g)
      ReLU<Float, AD>()
      MaxPool2d<Float, AD>(2)
      Flatten<Float, AD>()
      Linear<Float, AD>(256, 120, using: &g)
      ReLU<Float, AD>()
      Linear<Float, AD>(120, 84, using: &g)
      ReLU<Float, AD>()
      Linear<Float, AD>(84, 10, using: &g)
    }
    #expect(model.summary(for: .zeros([1, 1, 28, 28])).contains("44426"))
    let train = try MNIST(directory: dataDirectory, split: .train).prefix(640)
    let loader = DataLoader(train, batchSize: 64, shuffle: true, seed: 42)
    model.requireGradients()
    var opt = Adam<Float, CPU>(learningRate: 3e-3)
    var schedule = OneCycleLR(&opt, maximumLearningRate: 3e-3, totalSteps: 2 * loader.batchesPerEpoch)
    for epoch in 0..<2 {
      for batch in loader.epoch(epoch) {
        let (x, y): (Tensor<Float, AD>, Tensor<Int64, AD>) = batch.tensors()
        let loss = Loss.crossEntropy(model(x), y)
        var grads = loss.backward()
        let norm = grads.clipGlobalNorm(of: model, to: 5)
        #expect(norm.isFinite)
        opt.step(&model, gradients: grads)
        schedule.step(&opt)
      }
    }
    let test = try MNIST(directory: dataDirectory, split: .test).prefix(1000)
    var correct = 0
    for batch in DataLoader(test, batchSize: 500).epoch(0) {
      let (x, _): (Tensor<Float, AD>, Tensor<Int64, AD>) = batch.tensors()
      let predicted = withoutGrad { evaluating { model(x).argmax(axis: 1) } }
      correct += zip(predicted.toArray(), batch.labels).filter { $0 == $1 }.count
    }
    #expect(correct > 500, "accuracy \(correct) / 1000 after 20 steps")
    let path =
      FileManager.default.temporaryDirectory.path + "/born-guide-\(UInt64.random(in: 0...UInt64.max)).safetensors"
    try model.save(to: path)
    var reloaded = model
    try reloaded.load(from: path)
    #expect(reloaded.parameters.map(\.value).map { $0.toArray() } == model.parameters.map(\.value).map { $0.toArray() })
    try? FileManager.default.removeItem(atPath: path)
  }
}
