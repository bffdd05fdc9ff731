import Born

/// The autodiff backend the CLI trains on.
typealias AD = Autodiff<CPU>

/// The MNIST multilayer perceptron: 784-128-10 with a ReLU (101,770 parameters).
func mnistMLP(seed: UInt64) -> some MNISTClassifier {
  var g = RandomGenerator(seed: seed)
  return Sequential {
    Flatten<Float, AD>()
    Linear<Float, AD>(784, 128, using: &g)
    ReLU<Float, AD>()
    Linear<Float, AD>(128, 10, using: &g)
  }
}

/// LeNet-5 for 28×28 inputs: conv 1→6 5×5, ReLU, max-pool 2; conv 6→16 5×5, ReLU, max-pool 2;
/// 256→120→84→10 with ReLUs (44,426 parameters).
func mnistLeNet(seed: UInt64) -> some MNISTClassifier {
  var g = RandomGenerator(seed: seed)
  return Sequential {
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
}

/// Models that map [N, 1, 28, 28] images to [N, 10] logits.
protocol MNISTClassifier: Layer
where Input == Tensor<Float, AD>, Output == Tensor<Float, AD>, Element == Float, B == AD {}

extension Sequential: MNISTClassifier
where Body.Input == Tensor<Float, AD>, Body.Output == Tensor<Float, AD>, Body.Element == Float, Body.B == AD {}
