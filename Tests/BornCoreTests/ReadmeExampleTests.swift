import Born
import Testing

/// The README's example, kept compiling and checked.
@Suite("README example")
struct ReadmeExampleTests {
  @Test func example() {
    var g = RandomGenerator(seed: 42)
    let x = Tensor<Float, CPU>.randn([64, 784], using: &g)
    let w = Tensor<Float, CPU>.randn([128, 784], using: &g) * 0.05
    let b = Tensor<Float, CPU>.zeros([128])

    let h = (x.matmul(w.T) + b).relu()
    let p = h.softmax(axis: -1)
    let (top, classes) = p.topK(3)
    #expect(abs(p.sum(axes: [1]).max().item() - 1) < 1e-5)
    #expect(top.shape == [64, 3] && classes.shape == [64, 3])
    #expect(h[0..<2, .stride(from: 0, to: 8, by: 2)].shape == [2, 4])

    let m = Tensor<Float, CPU>([[1, 2], [3, 4]])
    #expect(m.description.hasPrefix("Tensor([[1., 2.],"), "\(m.description)")
    #expect((m .> 2).cast(to: Int32.self).toArray() == [0, 0, 1, 1])
  }
}
