import Born

/// The autodiff backend the CLI trains on.
typealias AD = Autodiff<CPU>

/// The MNIST multilayer perceptron: 784-128-10 with a ReLU (101,770 parameters).
func mnistMLP(seed: UInt64) -> some MNISTClassifier<AD> { mnistMLP(seed: seed, on: CPU.self) }

/// The MLP with parameters on backend `Base`.
func mnistMLP<Base: Backend>(seed: UInt64, on _: Base.Type) -> some MNISTClassifier<Autodiff<Base>> {
  var g = RandomGenerator(seed: seed)
  return Sequential {
    Flatten<Float, Autodiff<Base>>()
    Linear<Float, Autodiff<Base>>(784, 128, using: &g)
    ReLU<Float, Autodiff<Base>>()
    Linear<Float, Autodiff<Base>>(128, 10, using: &g)
  }
}

/// LeNet-5 for 28×28 inputs: conv 1→6 5×5, ReLU, max-pool 2; conv 6→16 5×5, ReLU, max-pool 2;
/// 256→120→84→10 with ReLUs (44,426 parameters).
func mnistLeNet(seed: UInt64) -> some MNISTClassifier<AD> { mnistLeNet(seed: seed, on: CPU.self) }

/// LeNet-5 with parameters on backend `Base`.
func mnistLeNet<Base: Backend>(seed: UInt64, on _: Base.Type) -> some MNISTClassifier<Autodiff<Base>> {
  typealias T = Autodiff<Base>
  var g = RandomGenerator(seed: seed)
  return Sequential {
    Conv2d<Float, T>(1, 6, kernelSize: (5, 5), using: &g)
    ReLU<Float, T>()
    MaxPool2d<Float, T>(2)
    Conv2d<Float, T>(6, 16, kernelSize: (5, 5), using: &g)
    ReLU<Float, T>()
    MaxPool2d<Float, T>(2)
    Flatten<Float, T>()
    Linear<Float, T>(256, 120, using: &g)
    ReLU<Float, T>()
    Linear<Float, T>(120, 84, using: &g)
    ReLU<Float, T>()
    Linear<Float, T>(84, 10, using: &g)
  }
}

/// Models that map [N, 1, 28, 28] images to [N, 10] logits on the autodiff backend `B`.
protocol MNISTClassifier<B>: Layer where Input == Tensor<Float, B>, Output == Tensor<Float, B>, Element == Float {
  associatedtype B
}

extension Sequential: MNISTClassifier
where Body.Input == Tensor<Float, Body.B>, Body.Output == Tensor<Float, Body.B>, Body.Element == Float {}
