import Born
import Testing

typealias T = Tensor<Float, CPU>

@Suite("Tensor creation, views and value semantics")
struct TensorAPITests {
  @Test func creation() {
    #expect(T.zeros([2, 3]).toArray() == [0, 0, 0, 0, 0, 0])
    #expect(T.ones([2]).toArray() == [1, 1])
    #expect(T.full([3], 2.5).toArray() == [2.5, 2.5, 2.5])
    #expect(Tensor<Int32, CPU>.arange(0, 10, step: 3).toArray() == [0, 3, 6, 9])
    #expect(T.arange(5).toArray() == [0, 1, 2, 3, 4])
    #expect(T.arange(1, 2, step: 0.25).toArray() == [1, 1.25, 1.5, 1.75])
    #expect(T.linspace(0, 1, count: 5).toArray() == [0, 0.25, 0.5, 0.75, 1])
    #expect(T.eye(2, 3).toArray() == [1, 0, 0, 0, 1, 0])
    #expect(T([[1, 2], [3, 4]]).shape == [2, 2])
    #expect(T([[[1], [2]], [[3], [4]]]).shape == [2, 2, 1])
    #expect(T(3).rank == 0 && T(3).item() == 3)
    #expect(T.zeros(like: T.ones([4, 1])).shape == [4, 1])
    #expect(T.zeros([0, 3]).count == 0)
  }

  @Test func seededRandomIsReproducible() {
    var g1 = RandomGenerator(seed: 42)
    var g2 = RandomGenerator(seed: 42)
    let a = T.randn([100], using: &g1)
    let b = T.randn([100], using: &g2)
    #expect(a.toArray() == b.toArray())
    let u = T.rand([1000], using: &g1).toArray()
    #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
    let r = Tensor<Int64, CPU>.randint(-3, 4, [1000], using: &g1).toArray()
    #expect(r.allSatisfy { $0 >= -3 && $0 < 4 })
    #expect(Set(r).count == 7)
    let bern = Tensor<Float, CPU>.bernoulli([10000], p: 0.3, using: &g1).toArray()
    let frac = bern.reduce(0, +) / 10000
    #expect(abs(frac - 0.3) < 0.03)
  }

  @Test func viewsShareStorageAndValueSemanticsHold() {
    let a = T.arange(6).reshaped([2, 3])
    let t = a.T
    #expect(t.shape == [3, 2])
    #expect(!t.isContiguous)
    #expect(t.toArray() == [0, 3, 1, 4, 2, 5])
    #expect(t.storage === a.storage)
    var b = a
    b[0, 0] = T(100)
    #expect(a.toArray() == [0, 1, 2, 3, 4, 5])  // the original is untouched
    #expect(b.toArray() == [100, 1, 2, 3, 4, 5])
    var c = T.arange(6)
    let view = c[1..<3]
    c[1..<3] = T([9, 9])
    #expect(view.toArray() == [1, 2])  // a view taken before keeps its values
    #expect(c.toArray() == [0, 9, 9, 3, 4, 5])
  }

  @Test func aliasingInArithmetic() {
    let x = T([1, 2, 3])
    #expect((x * x).toArray() == [1, 4, 9])
    #expect((x + x).toArray() == [2, 4, 6])
    #expect(x.toArray() == [1, 2, 3])
    var y = x
    y += y
    #expect(y.toArray() == [2, 4, 6])
    #expect(x.toArray() == [1, 2, 3])
  }

  @Test func reshapeSqueezeExpandFlatten() {
    let x = T.arange(24)
    #expect(x.reshaped([2, -1, 4]).shape == [2, 3, 4])
    let y = x.reshaped([2, 3, 4])
    #expect(y.unsqueezed(axis: 1).shape == [2, 1, 3, 4])
    #expect(y.unsqueezed(axis: -1).shape == [2, 3, 4, 1])
    #expect(y.unsqueezed(axis: 1).squeezed().shape == [2, 3, 4])
    #expect(y.flattened(from: 1).shape == [2, 12])
    #expect(T([1, 2]).reshaped([2, 1]).expanded(to: [2, 3]).toArray() == [1, 1, 1, 2, 2, 2])
    #expect(T([1, 2]).broadcast(to: [2, 2]).toArray() == [1, 2, 1, 2])
    // Reshaping a non-contiguous view copies.
    let t = y.permuted([2, 0, 1])
    #expect(t.reshaped([4, 6]).toArray() == t.contiguous().toArray())
    #expect(y.transposed(0, 2).shape == [4, 3, 2])
  }

  @Test func subscripts() {
    let x = T.arange(24).reshaped([2, 3, 4])
    #expect(x[1].shape == [3, 4])
    #expect(x[1, 2, 3].item() == 23)
    #expect(x[-1, -1, -1].item() == 23)
    #expect(x[0, 1..<3, -1].toArray() == [7, 11])
    #expect(x[.ellipsis, 0].toArray() == [0, 4, 8, 12, 16, 20])
    #expect(x[.newAxis, 0].shape == [1, 3, 4])
    #expect(x[0, .all, .stride(from: 1, by: 2)].toArray() == [1, 3, 5, 7, 9, 11])
    #expect(x[0, 0, 2...].toArray() == [2, 3])
    #expect(x[0, 0, ...1].toArray() == [0, 1])
    #expect(x[0, 0, 5...].count == 0)
  }

  @Test func splitChunkNarrow() {
    let x = T.arange(10)
    #expect(x.split(sizes: [3, 7]).map(\.count) == [3, 7])
    #expect(x.split(size: 4).map(\.count) == [4, 4, 2])
    #expect(x.chunked(3).map(\.count) == [4, 4, 2])
    #expect(x.narrowed(axis: 0, start: 2, length: 3).toArray() == [2, 3, 4])
  }

  @Test func emptyAndScalarTensors() {
    let e = T.zeros([0, 4])
    #expect(e.sum(axes: [0]).toArray() == [0, 0, 0, 0])
    #expect((e + 1).shape == [0, 4])
    #expect(e.matmul(T.ones([4, 2])).shape == [0, 2])
    let s = T(2)
    #expect((s * T([1, 2, 3])).toArray() == [2, 4, 6])
    #expect(abs(s.exp().item() - 7.389056) < 1e-5)
  }

  @Test func descriptionLooksLikeNumPy() {
    let d = T([[1, 2], [3, 4.5]]).description
    #expect(d.contains("[[ 1.,  2.]"), "\(d)")
    #expect(d.contains("f32[2, 2] on cpu"))
    let big = T.zeros([100, 100]).description
    #expect(big.contains("..."))
    #expect(big.count < 2000)
    #expect(Tensor<Bool, CPU>([true, false]).description.contains("true"))
  }

  @Test func halfPrecisionArithmetic() {
    let h = Tensor<Float16, CPU>([1, 2, 3])
    #expect((h * h + 1).toArray() == [2, 5, 10])
    let b = Tensor<BFloat16, CPU>([1, 2, 3].map { BFloat16(Float($0)) })
    #expect((b + b).cast(to: Float.self).toArray() == [2, 4, 6])
    #expect(b.sum().cast(to: Float.self).item() == 6)
  }
}

@Suite("In-place reuse of uniquely referenced buffers")
struct InPlaceTests {
  @Test func temporariesAreReused() {
    let t = T.ones([1000]) * 2
    let id = ObjectIdentifier(t.storage)
    let u = (consume t) + 1
    #expect(ObjectIdentifier(u.storage) == id)
    let v = (consume u).exp()
    #expect(ObjectIdentifier(v.storage) == id)
    #expect(abs(v.toArray()[0] - 20.085537) < 1e-4)
  }

  @Test func sharedBuffersAreNotOverwritten() {
    let a = T.ones([1000])
    let b = a + 1
    #expect(ObjectIdentifier(a.storage) != ObjectIdentifier(b.storage))
    #expect(a.toArray().allSatisfy { $0 == 1 })
    let c = a.exp()
    #expect(a.toArray().allSatisfy { $0 == 1 })
    #expect(c.toArray().allSatisfy { abs($0 - 2.7182817) < 1e-6 })
  }
}

@Suite("Pooling edge cases")
struct PoolingEdgeCaseTests {
  @Test func maxPoolPropagatesNaNAndPicksTheFirstMaximum() {
    let x = Tensor<Float, CPU>([[[[1, .nan, 5, 5], [3, 4, 5, 2]]]])
    let y = x.maxPool2d(kernel: (2, 2)).toArray()
    #expect(y[0].isNaN)
    #expect(y[1] == 5)
    // The gradient goes to the first maximum of each window only.
    let xd = Tensor<Float, Autodiff<CPU>>(constant: Tensor<Float, CPU>([[[[1, 2, 5, 5], [3, 4, 5, 2]]]]))
      .requiringGrad()
    let g = xd.maxPool2d(kernel: (2, 2)).sum().backward()[xd]!.toArray()
    #expect(g == [0, 0, 1, 0, 0, 1, 0, 0])
  }

  @Test func halfPrecisionPoolingGoesThroughTheFloatKernels() {
    var g = RandomGenerator(seed: 8)
    let x = Tensor<Float, CPU>.randn([2, 3, 6, 6], using: &g).cast(to: Float16.self).cast(to: Float.self)
    let h = x.cast(to: Float16.self)
    #expect(h.maxPool2d(kernel: (2, 2)).cast(to: Float.self).toArray() == x.maxPool2d(kernel: (2, 2)).toArray())
    let avg = h.avgPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)).cast(to: Float.self).toArray()
    let ref = x.avgPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)).cast(to: Float16.self).cast(to: Float.self)
      .toArray()
    #expect(avg == ref)
    let xd = Tensor<Float16, Autodiff<CPU>>(constant: h).requiringGrad()
    let gh = xd.maxPool2d(kernel: (2, 2)).sum().backward()[xd]!.cast(to: Float.self).toArray()
    let xf = Tensor<Float, Autodiff<CPU>>(constant: x).requiringGrad()
    #expect(gh == xf.maxPool2d(kernel: (2, 2)).sum().backward()[xf]!.toArray())
  }
}
