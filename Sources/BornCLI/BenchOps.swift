import ArgumentParser
import Born
import Foundation

/// Latency of small ops, where per-op overhead (allocation, planning, dispatch) dominates.
struct BenchOps: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ops", abstract: "Latency of small tensor ops on the CPU backend and with autodiff.")

  func run() {
    var g = RandomGenerator(seed: 1)
    let a = Tensor<Float, CPU>.randn([64, 128], using: &g)
    let b = Tensor<Float, CPU>.randn([64, 128], using: &g)
    let bias = Tensor<Float, CPU>.randn([128], using: &g)
    let w = Tensor<Float, CPU>.randn([10, 128], using: &g)
    let big = Tensor<Float, CPU>.randn([64, 6, 24, 24], using: &g)
    let mask = big .> 0
    let cases: [(String, () -> Void)] = [
      ("add 64x128", { _ = a + b }),
      ("add bias 64x128 + 128", { _ = a + bias }),
      ("relu 64x128", { _ = a.relu() }),
      ("sum 64x128 axis 0", { _ = a.sum(axes: [0]) }),
      ("logSoftmax 64x10", { _ = a[.all, 0..<10].logSoftmax(axis: 1) }),
      ("matmul 64x128·128x10 (Wᵀ)", { _ = a.matmul(w.T) }),
      ("compare > 0 on 64x6x24x24", { _ = big .> 0 }),
      ("where on 64x6x24x24", { _ = Tensor.where(mask, big, 0) }),
      ("relu on 64x6x24x24", { _ = big.relu() }),
      ("maxPool2d 2x2 on 64x6x24x24", { _ = big.maxPool2d(kernel: (2, 2)) }),
      (
        "maxPool2d 2x2 forward+backward",
        {
          let x = Tensor<Float, Autodiff<CPU>>(constant: big).requiringGrad()
          _ = x.maxPool2d(kernel: (2, 2)).sum().backward()
        }
      ),
      (
        "autodiff add+relu+sum+backward",
        {
          let x = Tensor<Float, Autodiff<CPU>>(constant: a).requiringGrad()
          _ = (x + Tensor(constant: b)).relu().sum().backward()
        }
      ),
    ]
    for (name, body) in cases {
      let t = BenchCPU.bestTime(seconds: 0.3, body)
      print(name.padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: "%8.2f µs", t * 1e6))
    }
  }
}
