import Born
import BornTestSupport
import Foundation
import Testing

@Suite("Gradient clipping")
struct ClippingTests {
  /// weight gradient [3, -4], bias gradient [12]: 2-norm 13, 1-norm 19, ∞-norm 12.
  func setUp() -> (TinyModel<Float>, Gradients<CPU>) {
    let model = TinyModel<Float>(weight: [1, 2], weightShape: [2], bias: [0.5], biasShape: [1])
    return (model, model.gradients(weight: [3, -4], bias: [12]))
  }

  @Test func norms() {
    let (model, grads) = setUp()
    #expect(grads.globalNorm(of: model) == 13)
    #expect(grads.globalNorm(of: model, normType: 1) == 19)
    #expect(grads.globalNorm(of: model, normType: .infinity) == 12)
    let p3 = grads.globalNorm(of: model, normType: 3)
    #expect(abs(p3 - pow(27.0 + 64 + 1728, 1.0 / 3)) < 1e-5)
  }

  @Test func clipByGlobalNormScalesEveryGradient() {
    var (model, grads) = setUp()
    let norm = grads.clipGlobalNorm(of: model, to: 6.5)
    #expect(norm == 13)
    let scale = Float(6.5 / (13 + 1e-6))
    #expect(grads[model.weight]!.toArray() == [3 * scale, -4 * scale])
    #expect(grads[model.bias]!.toArray() == [12 * scale])
    #expect(abs(grads.globalNorm(of: model) - 6.5) < 1e-5)
    // The clipped gradients drive an optimizer like any others.
    var opt = SGD<Float, CPU>(learningRate: 1)
    opt.step(&model, gradients: grads)
    #expect(model.bias.baseTensor().toArray() == [0.5 - 12 * scale])
  }

  @Test func clipByGlobalNormLeavesSmallGradients() {
    let (model, g) = setUp()
    var grads = g
    #expect(grads.clipGlobalNorm(of: model, to: 20) == 13)
    #expect(grads[model.weight]!.toArray() == [3, -4])
    #expect(grads[model.bias]!.toArray() == [12])
    #expect(grads.clipGlobalNorm(of: model, to: 13) == 13)  // 13 / (13 + 1e-6) < 1: scaled a hair
    #expect(grads[model.bias]!.item() < 12)
  }

  @Test func clipByInfinityNorm() {
    let (model, g) = setUp()
    var grads = g
    #expect(grads.clipGlobalNorm(of: model, to: 6, normType: .infinity) == 12)
    #expect(abs(Double(grads[model.bias]!.item()) - 6) < 1e-5)
    #expect(abs(Double(grads[model.weight]!.toArray()[1]) + 2) < 1e-5)
  }

  @Test func clipByValue() {
    let (model, g) = setUp()
    var grads = g
    grads.clipValues(of: model, to: 3.5)
    #expect(grads[model.weight]!.toArray() == [3, -3.5])
    #expect(grads[model.bias]!.toArray() == [3.5])
  }

  @Test func onlyTheModelsGradientsRemain() {
    let model = setUp().0
    let input = Tensor<Float, AD>([2, 2]).requiringGrad()
    var grads = ((model.weight * input).sum() + model.bias.sum()).backward()
    #expect(grads.count == 3)
    grads.clipValues(of: model, to: 1)
    #expect(grads.count == 2)
    #expect(grads[input] == nil)
    #expect(grads[model.weight]!.toArray() == [1, 1])
  }
}
