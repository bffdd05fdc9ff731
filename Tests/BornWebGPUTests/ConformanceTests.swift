import Born
import Foundation
import Testing

@testable import BornCLI

typealias G = Tensor<Float, WebGPU>
typealias C = Tensor<Float, CPU>

/// The same tensor on both backends.
func pair(_ shape: Shape, seed: UInt64, scale: Float = 1, shift: Float = 0) -> (G, C) {
  let values = randomFloats(shape.elementCount, seed: seed, scale: scale).map { $0 + shift }
  return (G(values, shape: shape), C(values, shape: shape))
}

func expectClose<E: TensorElement>(
  _ g: Tensor<E, WebGPU>, _ c: Tensor<E, CPU>, tolerance: Float = 1e-5, _ label: String,
  sourceLocation: SourceLocation = #_sourceLocation
) where E: BinaryFloatingPoint {
  #expect(g.shape == c.shape, "\(label): shape", sourceLocation: sourceLocation)
  let worst = worstError(g.toArray().map { Float($0) }, c.toArray().map { Float($0) })
  #expect(worst <= tolerance, "\(label): worst relative error \(worst)", sourceLocation: sourceLocation)
}

/// Every op through the Tensor API on `Tensor<Float, WebGPU>` against `Tensor<Float, CPU>` on
/// the same random inputs, with broadcasting, views and odd sizes.
extension WebGPUSuites {
  @Suite("WebGPU backend conformance with the CPU backend", .serialized, .enabled(if: gpu != nil, "no WebGPU adapter"))
  struct ConformanceTests {
    @Test func elementwiseWithBroadcastingAndViews() {
      let (ga, ca) = pair([7, 5, 3], seed: 1)
      let (gb, cb) = pair([5, 1], seed: 2, shift: 3)
      expectClose(ga + gb, ca + cb, "add broadcast")
      expectClose(ga.transposed(0, 2) * gb, ca.transposed(0, 2) * cb, "mul views")
      expectClose((ga / gb - 1.5).relu(), (ca / cb - 1.5).relu(), "div, scalar, relu")
      expectClose(ga[1..., ..<3, 1].exp().tanh(), ca[1..., ..<3, 1].exp().tanh(), "slice exp tanh")
      expectClose(ga.maximum(ga * -1), ca.maximum(ca * -1), "maximum")
      expectClose(ga.sigmoid() + ga.square().sqrt(), ca.sigmoid() + ca.square().sqrt(), "sigmoid, square, sqrt")
      expectClose(ga.erf(), ca.erf(), "erf (CPU fallback)")
      // NaN propagates through maximum and max (WGSL compilers may assume no NaN: tested on bits).
      let withNaN = G([1, .nan, 3, -2], shape: [4])
      #expect(withNaN.maximum(G.zeros([4])).toArray().map(\.isNaN) == [false, true, false, false])
      #expect(withNaN.max().item().isNaN && withNaN.sum().item().isNaN)
    }

    /// Ops that reuse an input's storage for their result (consumed operands, assignment into a
    /// view) bind the same buffer twice; the device writes through a temporary.
    @Test func inPlaceReuseAndViewAssignment() {
      let (g, c) = pair([6, 10], seed: 50)
      expectClose(((g * 0.5).relu().exp() - 1).tanh(), ((c * 0.5).relu().exp() - 1).tanh(), "consumed chain")
      var gv = g * 1
      var cv = c * 1
      gv[1..<3, 2...] = gv[3..<5, ..<8] * 2
      cv[1..<3, 2...] = cv[3..<5, ..<8] * 2
      expectClose(gv, cv, tolerance: 0, "assignment into a view")
      // 1- and 2-byte elements into strided views (bytes shared with untouched neighbours).
      let before = WebGPU.fallbackOps.values.reduce(0, +)
      var gb = g.cast(to: BFloat16.self)
      var cb = c.cast(to: BFloat16.self)
      gb[1..<4, .stride(from: 1, to: nil, by: 3)] = gb[0..<3, 0..<3].T
      cb[1..<4, .stride(from: 1, to: nil, by: 3)] = cb[0..<3, 0..<3].T
      #expect(gb.toArray().map(\.bitPattern) == cb.toArray().map(\.bitPattern))
      var gm = g .> 0
      var cm = c .> 0
      gm[.stride(from: 0, to: nil, by: 2), 3...] = gm[1..<4, ..<7]
      cm[.stride(from: 0, to: nil, by: 2), 3...] = cm[1..<4, ..<7]
      #expect(gm.toArray() == cm.toArray())
      #expect(WebGPU.fallbackOps.values.reduce(0, +) == before, "\(WebGPU.fallbackOps)")
    }

    @Test func reductions() {
      let (g, c) = pair([6, 7, 9], seed: 3)
      for axes: [Int] in [[0], [1], [2], [0, 2], [0, 1, 2]] {
        expectClose(g.sum(axes: axes), c.sum(axes: axes), tolerance: 1e-5, "sum \(axes)")
        expectClose(g.mean(axes: axes), c.mean(axes: axes), tolerance: 1e-5, "mean \(axes)")
        expectClose(g.max(axes: axes), c.max(axes: axes), "max \(axes)")
        expectClose(g.min(axes: axes), c.min(axes: axes), "min \(axes)")
      }
      expectClose(g.transposed(0, 2).sum(axes: [1]), c.transposed(0, 2).sum(axes: [1]), "sum of a view")
      let (big, bigC) = pair([300_001], seed: 4)
      expectClose(big.sum(), bigC.sum(), tolerance: 1e-4, "sum of 300,001")
      expectClose(g.softmax(axis: 1), c.softmax(axis: 1), "softmax")
      #expect(g.argmax(axis: 2).toArray() == c.argmax(axis: 2).toArray())
    }

    @Test func matmulBatchedBroadcastTransposed() {
      let (a, ca) = pair([3, 17, 33], seed: 5)
      let (b, cb) = pair([33, 9], seed: 6)
      expectClose(a.matmul(b), ca.matmul(cb), tolerance: 1e-5, "batched × broadcast")
      let (w, cw) = pair([10, 33], seed: 7)
      expectClose(a.matmul(w.T), ca.matmul(cw.T), tolerance: 1e-5, "transposed right operand")
      let (x, cx) = pair([64, 784], seed: 8)
      let (w1, cw1) = pair([128, 784], seed: 9, scale: 0.05)
      expectClose(x.matmul(w1.T), cx.matmul(cw1.T), tolerance: 1e-5, "MNIST layer")
      // The register-blocked kernel (M, N ≥ 32) on sizes that are not multiples of its 64×64
      // tiles, batched, with a transposed left operand.
      let (p, cp) = pair([2, 33, 100], seed: 14)
      let (q, cq) = pair([2, 33, 70], seed: 15)
      expectClose(p.transposed(1, 2).matmul(q), cp.transposed(1, 2).matmul(cq), tolerance: 1e-5, "blocked, batched")
    }

    @Test func copiesCastsFillsAndIndexing() {
      let (g, c) = pair([4, 6], seed: 10, scale: 100)
      expectClose(g.T.contiguous(), c.T.contiguous(), "contiguous copy of a transpose")
      #expect(g.cast(to: Int32.self).toArray() == c.cast(to: Int32.self).toArray())
      #expect(g.cast(to: Int64.self).toArray() == c.cast(to: Int64.self).toArray())
      let special = G([.nan, .infinity, -.infinity, 3e9, -3e9, -2.7, 2.7], shape: [7])
      #expect(
        special.cast(to: Int32.self).toArray()
          == C([.nan, .infinity, -.infinity, 3e9, -3e9, -2.7, 2.7], shape: [7]).cast(to: Int32.self).toArray())
      #expect(G.full([3, 5], 2.5).toArray() == [Float](repeating: 2.5, count: 15))
      #expect(Tensor<Int64, WebGPU>.full([3], -7).toArray() == [-7, -7, -7])
      #expect(Tensor<Bool, WebGPU>.full([5], true).toArray() == [true, true, true, true, true])
      #expect(G.arange(Float(10)).toArray() == C.arange(Float(10)).toArray())
      let index = Tensor<Int64, WebGPU>([3, 0, 5], shape: [3])
      expectClose(
        g.indexSelect(axis: 1, index), c.indexSelect(axis: 1, Tensor<Int64, CPU>([3, 0, 5], shape: [3])), "indexSelect")
      expectClose(G.where(g .> 0, g, g * 2), C.where(c .> 0, c, c * 2), "where")
      // Copies of 1- and 2-byte elements move bits on the GPU (views, odd sizes, a slice).
      let fallbacksBefore = WebGPU.gpu.statistics.fallbacks
      let bytes: [UInt8] = (0..<35).map { UInt8(($0 * 37) % 256) }
      let gu = Tensor<UInt8, WebGPU>(bytes, shape: [5, 7])
      let cu = Tensor<UInt8, CPU>(bytes, shape: [5, 7])
      #expect(gu.T.contiguous().toArray() == cu.T.contiguous().toArray())
      #expect(gu[1..., 2...].contiguous().toArray() == cu[1..., 2...].contiguous().toArray())
      let halves = (0..<15).map { BFloat16(Float($0) * 0.37 - 2) }
      let gb = Tensor<BFloat16, WebGPU>(halves, shape: [3, 5])
      #expect(
        gb.T.contiguous().toArray().map(\.bitPattern)
          == Tensor<BFloat16, CPU>(halves, shape: [3, 5]).T.contiguous().toArray().map(\.bitPattern))
      #expect((g .> 0).T.contiguous().toArray() == (c .> 0).T.contiguous().toArray())
      #expect(WebGPU.gpu.statistics.fallbacks == fallbacksBefore)
      // Bool logic on packed bytes, with a broadcast operand and a view.
      let (gm, cm) = (g .> 0, c .> 0)
      let (gr, cr) = (g[0..<1] .< 10, c[0..<1] .< 10)
      #expect((gm .& gr).toArray() == (cm .& cr).toArray())
      #expect((gm .| gr.T.T).toArray() == (cm .| cr).toArray())
      #expect((gm .^ gr).toArray() == (cm .^ cr).toArray())
      #expect((.!gm.T).toArray() == (.!cm.T).toArray())
    }

    /// Every cast between the dtypes with WGSL kernels (all but f64), on values at the edges of
    /// each conversion rule: NaN and infinities, rounding ties, saturation bounds, f16 subnormals
    /// and overflow, integers beyond f32's precision (including one that f64-then-bf16 and
    /// f32-then-bf16 round differently), and Int64's extremes. Bits must equal the CPU's, with
    /// nothing run on the CPU fallback.
    @Test func castsBetweenEveryDTypeMatchCPUBitForBit() {
      let before = WebGPU.fallbackOps.values.reduce(0, +)
      let floats: [Float] = [
        .nan, -.nan, .infinity, -.infinity, 0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 127.9, 128, -128.5, -129, 255.5, 256,
        65504, 65519, 65520, 1e-8, 6e-8, 3e-5, 16_777_218, 2_147_483_520, 2_147_483_648, -2_147_483_648, 3e9, -3e9,
        9.2233715e18, -9.223372e18, 1e19, -1e19, 1.0009765625, 3.14159,
      ]
      let ints: [Int64] = [
        0, 1, -1, 127, 128, -129, 255, 256, 65504, 65520, 16_777_217, 16_842_753, 2_147_483_647, -2_147_483_648,
        4_294_967_296, 9_007_199_254_740_993, -9_007_199_254_740_993, .max, .min, .max - 1024, 0x7fff_ff00_0000_0001,
      ]
      let types: [any TensorElement.Type] = [
        Float.self, Float16.self, BFloat16.self, Int32.self, Int8.self, UInt8.self, Int64.self, Bool.self, Double.self,
      ]
      // f64 values that f32 cannot hold: ties and near-ties of every narrower format (rounding
      // through f32 would round twice), f32 subnormals and underflow, overflow, huge integers.
      let doubles: [Double] = [
        1.0 / 3, 1 + 0x1p-24, 1 + 0x1p-24 + 0x1p-50, 1 + 0x1p-8 + 0x1p-30, 1 + 0x1p-11 + 0x1p-40, 0x1p-149 * 1.5,
        0x1p-1070,
        0x1p-149 * 0.5, 1e-40, 1e-46, 3.5e38, -1e300, 65519.999, 65520.0001, 0x1p63, -0x1p63 - 4096, 9.3e18, 1e-8,
        -2.5, 0.49999999999999994, 127.99999, -128.5, 255.9999, .nan, -.infinity,
      ]
      func bytes<E: TensorElement>(_ t: Tensor<E, some Backend>) -> [UInt8] {
        t.toArray().withUnsafeBytes { Array($0) }
      }
      func check<S: TensorElement, T: TensorElement>(_ source: Tensor<S, CPU>, _: T.Type) {
        let g = Tensor<S, WebGPU>(source.toArray(), shape: source.shape)
        #expect(bytes(g.cast(to: T.self)) == bytes(source.cast(to: T.self)), "\(S.dtype) → \(T.dtype)")
        // Through a strided view as well.
        #expect(
          bytes(g[.stride(from: 1, to: nil, by: 3)].cast(to: T.self))
            == bytes(source[.stride(from: 1, to: nil, by: 3)].cast(to: T.self)))
      }
      func from<S: TensorElement>(_: S.Type) {
        for target in types {
          check(Tensor<Float, CPU>(floats, shape: [floats.count]).cast(to: S.self), target)
          check(Tensor<Int64, CPU>(ints, shape: [ints.count]).cast(to: S.self), target)
        }
      }
      for source in types { from(source) }
      for target in types { check(Tensor<Double, CPU>(doubles, shape: [doubles.count]), target) }
      #expect(WebGPU.fallbackOps.values.reduce(0, +) == before, "\(WebGPU.fallbackOps)")
    }

    /// Arithmetic, comparisons, selection and reductions on the integer dtypes, i64 and bf16 run
    /// on the GPU and equal the CPU's results bit for bit: wrapping, division by 0 and of the
    /// minimum by -1, negative powers, clamps, broadcasting and views.
    @Test func integerAndBFloat16OpsMatchCPUBitForBit() {
      let before = WebGPU.fallbackOps.values.reduce(0, +)
      let a: [Int64] = [0, 1, -1, 7, -7, 100, -128, 127, 255, 3, 2, -2, 1 << 40, .min, .max, 46341, -3, 5]
      let b: [Int64] = [3, 0, -1, 2, 3, -7, -1, 2, 3, 31, -2, 5, 3, -1, 2, 46341, 0, -3]
      func bytes<E: TensorElement>(_ t: Tensor<E, some Backend>) -> [UInt8] {
        t.toArray().withUnsafeBytes { Array($0) }
      }
      func check<E: NumericElement>(_: E.Type) {
        let (ca, cb) = (
          Tensor<Int64, CPU>(a, shape: [3, 6]).cast(to: E.self), Tensor<Int64, CPU>(b, shape: [3, 6]).cast(to: E.self)
        )
        let (ga, gb) = (
          Tensor<E, WebGPU>(ca.toArray(), shape: [3, 6]), Tensor<E, WebGPU>(cb.toArray(), shape: [3, 6])
        )
        func same<R: TensorElement>(_ g: Tensor<R, WebGPU>, _ c: Tensor<R, CPU>, _ label: String) {
          #expect(bytes(g) == bytes(c), "\(E.dtype) \(label)")
        }
        same(ga + gb, ca + cb, "add")
        same(ga - gb.T.contiguous().T, ca - cb, "sub of a view")
        same(ga * gb[0..<1], ca * cb[0..<1], "mul broadcast")
        same(ga / gb, ca / cb, "div")
        same(ga.maximum(gb), ca.maximum(cb), "maximum")
        same(ga.minimum(gb), ca.minimum(cb), "minimum")
        // Integer powers and element tests are backend ops without an integer Tensor method.
        func backendOp<B: Backend>(_ x: Tensor<E, B>, _ y: Tensor<E, B>) -> (Tensor<E, B>, Tensor<Bool, B>) {
          let power = B.allocate(x.count, dtype: E.dtype, on: x.device)
          B.binary(.pow, x.storage, x.layout, y.storage, y.layout, into: power, dtype: E.dtype)
          let finite = B.allocate(x.count, dtype: .bool, on: x.device)
          B.test(.isFinite, x.storage, x.layout, into: finite, dtype: E.dtype)
          return (
            Tensor(storage: power, layout: Layout(contiguous: x.shape)),
            Tensor(storage: finite, layout: Layout(contiguous: x.shape))
          )
        }
        let (gp, gf) = backendOp(ga, gb)
        let (cp, cf) = backendOp(ca, cb)
        same(gp, cp, "pow")
        same(gf, cf, "isFinite")
        same(-ga, -ca, "neg")
        same(ga.abs(), ca.abs(), "abs")
        same(ga.square(), ca.square(), "square")
        same(ga.relu(), ca.relu(), "relu")
        same(ga.sign(), ca.sign(), "sign")
        same(
          ga.clamped(min: E(bornConverting: -5), max: E(bornConverting: 50)),
          ca.clamped(min: E(bornConverting: -5), max: E(bornConverting: 50)), "clamp")
        same(ga.matmul(gb.T), ca.matmul(cb.T), "matmul (wrapping)")
        same(ga.T.matmul(gb), ca.T.matmul(cb), "matmul of views")
        same(ga .< gb, ca .< cb, "less")
        same(ga .>= gb.T.T, ca .>= cb, "greaterEqual")
        same(ga .== gb, ca .== cb, "equal")
        same(ga .!= gb, ca .!= cb, "notEqual")
        same(Tensor.where(ga .> gb, ga, gb), Tensor.where(ca .> cb, ca, cb), "where")
        for axes in [[0], [1], [0, 1]] {
          same(ga.sum(axes: axes), ca.sum(axes: axes), "sum \(axes)")
          same(ga.prod(axes: axes), ca.prod(axes: axes), "prod \(axes)")
          same(ga.max(axes: axes), ca.max(axes: axes), "max \(axes)")
          same(ga.min(axes: axes), ca.min(axes: axes), "min \(axes)")
        }
        for axis in [0, 1] {
          same(ga.argmax(axis: axis), ca.argmax(axis: axis), "argmax \(axis)")
          same(ga.argmin(axis: axis), ca.argmin(axis: axis), "argmin \(axis)")
          same(ga.cumsum(axis: axis), ca.cumsum(axis: axis), "cumsum \(axis)")
          same(ga.T.cumprod(axis: axis), ca.T.cumprod(axis: axis), "cumprod \(axis)")
          let (gv, gi) = ga.sorted(axis: axis, descending: axis == 0)
          let (cv, ci) = ca.sorted(axis: axis, descending: axis == 0)
          same(gv, cv, "sorted values \(axis)")
          same(gi, ci, "sorted indices \(axis)")
        }
        let (gt, gti) = ga.topK(4, axis: 1)
        let (ct, cti) = ca.topK(4, axis: 1)
        same(gt, ct, "topK values")
        same(gti, cti, "topK indices")
        let index: [Int64] = [5, 0, 2, 2, 1, 3, 4, 0, 5]
        same(
          ga.gather(axis: 1, index: Tensor<Int64, WebGPU>(index, shape: [3, 3])),
          ca.gather(axis: 1, index: Tensor<Int64, CPU>(index, shape: [3, 3])), "gather")
        same(
          ga.T.indexSelect(axis: 0, [4, 0, 4, 1]), ca.T.indexSelect(axis: 0, [4, 0, 4, 1]), "indexSelect of a view")
        // Duplicate indices: the last assignment wins; additions wrap, in order.
        let targets: [Int64] = [1, 1, 0, 5, 5, 2, 3, 0, 0]
        let (gi, ci) = (Tensor<Int64, WebGPU>(targets, shape: [3, 3]), Tensor<Int64, CPU>(targets, shape: [3, 3]))
        same(
          ga.scatter(axis: 1, index: gi, source: gb[0..., 1...]),
          ca.scatter(axis: 1, index: ci, source: cb[0..., 1...]), "scatter")
        same(
          ga.scatterAdd(axis: 1, index: gi, source: gb[0..., 1...]),
          ca.scatterAdd(axis: 1, index: ci, source: cb[0..., 1...]), "scatterAdd")
      }
      check(Int32.self)
      check(Int8.self)
      check(UInt8.self)
      check(Int64.self)
      // bf16 computes in f32 and rounds once, like the CPU backend.
      let values = randomFloats(60, seed: 77).map { BFloat16($0 * 4) }
      let (g, c) = (Tensor<BFloat16, WebGPU>(values, shape: [6, 10]), Tensor<BFloat16, CPU>(values, shape: [6, 10]))
      #expect(bytes(g * g.T.T + g) == bytes(c * c + c))
      #expect(worstError(g.exp().toArray().map(Float.init), c.exp().toArray().map(Float.init)) <= 1e-2)
      #expect(bytes(g .> g[0..<1]) == bytes(c .> c[0..<1]))
      #expect(bytes(g.isNaN()) == bytes(c.isNaN()))
      #expect(bytes(g.argmax(axis: 1)) == bytes(c.argmax(axis: 1)))
      #expect(
        worstError(g.sum(axes: [1]).toArray().map(Float.init), c.sum(axes: [1]).toArray().map(Float.init)) <= 0.05)
      // Bool reductions.
      let mask: [Bool] = [true, false, true, true, true, true, false, false, false, true, true, true]
      let (gm, cm) = (Tensor<Bool, WebGPU>(mask, shape: [3, 4]), Tensor<Bool, CPU>(mask, shape: [3, 4]))
      for axes in [[0], [1], [0, 1]] {
        #expect(gm.all(axes: axes).toArray() == cm.all(axes: axes).toArray())
        #expect(gm.any(axes: axes).toArray() == cm.any(axes: axes).toArray())
      }
      #expect(bytes(gm .== gm.T.contiguous().T) == bytes(cm .== cm))
      #expect(bytes(gm.T.indexSelect(axis: 1, [2, 0, 2])) == bytes(cm.T.indexSelect(axis: 1, [2, 0, 2])))
      #expect(bytes(g.cumsum(axis: 1)) == bytes(c.cumsum(axis: 1)))
      #expect(bytes(g.sorted(axis: 1).values) == bytes(c.sorted(axis: 1).values))
      let targets = [Int64]([2, 0, 2, 1])
      #expect(
        bytes(g.scatterAdd(axis: 1, index: Tensor<Int64, WebGPU>(targets, shape: [1, 4]), source: g[1..<2]))
          == bytes(c.scatterAdd(axis: 1, index: Tensor<Int64, CPU>(targets, shape: [1, 4]), source: c[1..<2])))
      #expect(
        bytes(gm.scatter(axis: 0, index: Tensor<Int64, WebGPU>([2, 0], shape: [2, 1]), source: gm[0..<2, 0..<1]))
          == bytes(cm.scatter(axis: 0, index: Tensor<Int64, CPU>([2, 0], shape: [2, 1]), source: cm[0..<2, 0..<1])))
      let rows = [Int64]([1, 5, 0])
      #expect(
        bytes(g.gather(axis: 0, index: Tensor<Int64, WebGPU>(rows, shape: [3, 1])))
          == bytes(c.gather(axis: 0, index: Tensor<Int64, CPU>(rows, shape: [3, 1]))))
      #expect(WebGPU.fallbackOps.values.reduce(0, +) == before, "\(WebGPU.fallbackOps)")
    }

    @Test func convolutionAndPooling() {
      let (x, cx) = pair([2, 3, 9, 9], seed: 11)
      let (w, cw) = pair([4, 3, 3, 3], seed: 12, scale: 0.2)
      expectClose(x.conv2d(w, padding: (1, 1)), cx.conv2d(cw, padding: (1, 1)), tolerance: 1e-5, "conv2d")
      expectClose(x.maxPool2d(kernel: (2, 2)), cx.maxPool2d(kernel: (2, 2)), "maxPool2d")
      let (wg, cwg) = pair([6, 1, 3, 2], seed: 13)  // groups 3, non-square kernel
      expectClose(
        x.conv2d(wg, stride: (2, 1), padding: (1, 0), dilation: (1, 2), groups: 3),
        cx.conv2d(cwg, stride: (2, 1), padding: (1, 0), dilation: (1, 2), groups: 3), tolerance: 1e-5, "conv2d groups")
      expectClose(
        x.avgPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
        cx.avgPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
        "avgPool2d padded")
      expectClose(
        x.transposed(2, 3).maxPool2d(kernel: (3, 2), stride: (2, 2)),
        cx.transposed(2, 3).maxPool2d(kernel: (3, 2), stride: (2, 2)), "maxPool2d of a view")
    }

    /// Gradients of conv2d (input and weights) and pooling through autodiff on both backends.
    @Test func convolutionAndPoolingGradients() {
      func grads<B: Backend>(_: B.Type) -> [[Float]] {
        var g = RandomGenerator(seed: 21)
        let x = Tensor<Float, Autodiff<B>>(
          (0..<(2 * 3 * 10 * 10)).map { _ in Float(g.nextNormal()) }, shape: [2, 3, 10, 10]
        ).requiringGrad()
        let w = Tensor<Float, Autodiff<B>>(
          (0..<(4 * 3 * 3 * 3)).map { _ in Float(g.nextNormal()) * 0.2 }, shape: [4, 3, 3, 3]
        ).requiringGrad()
        let y = x.conv2d(w, stride: (1, 1), padding: (1, 1)).relu().maxPool2d(kernel: (2, 2)).avgPool2d(
          kernel: (2, 2), stride: (1, 1))
        let gr = (y * y).sum().backward()
        return [y.toArray(), gr[x]!.toArray(), gr[w]!.toArray()]
      }
      let (gpuResults, cpuResults) = (grads(WebGPU.self), grads(CPU.self))
      for (name, (a, b)) in zip(["output", "dx", "dw"], zip(gpuResults, cpuResults)) {
        #expect(worstError(a, b) < 1e-4, "\(name)")
      }
    }

    @Test func argReductionsAndGathers() {
      let values: [Float] = [3, 1, 3, 2, .nan, 5, -1, -1, 0, 7, 7, 7]
      let (g, c) = (G(values, shape: [3, 4]), C(values, shape: [3, 4]))
      for axis in [0, 1] {
        #expect(g.argmax(axis: axis).toArray() == c.argmax(axis: axis).toArray(), "argmax \(axis)")
        #expect(g.argmin(axis: axis).toArray() == c.argmin(axis: axis).toArray(), "argmin \(axis)")
      }
      // Sorting and top-k with ties, NaN and a view, in both directions.
      let sortable: [Float] = [3, 1, .nan, 3, -0.0, 0, 2, .nan, -5, 1, 1, 8]
      let (gs, cs) = (G(sortable, shape: [2, 6]), C(sortable, shape: [2, 6]))
      for descending in [false, true] {
        for axis in [0, 1] {
          let (gv, gi) = gs.sorted(axis: axis, descending: descending)
          let (cv, ci) = cs.sorted(axis: axis, descending: descending)
          #expect(gi.toArray() == ci.toArray(), "sort indices axis \(axis) descending \(descending)")
          #expect(gv.toArray().map(\.bitPattern) == cv.toArray().map(\.bitPattern))
        }
        let (tv, ti) = gs.T.topK(2, axis: 0, largest: descending)
        let (cv, ci) = cs.T.topK(2, axis: 0, largest: descending)
        #expect(ti.toArray() == ci.toArray() && tv.toArray().map(\.bitPattern) == cv.toArray().map(\.bitPattern))
      }
      let (x, cx) = pair([5, 6], seed: 30)
      let index: [Int64] = [5, 0, 2, 2, 1, 3, 4, 0, 5, 5]
      expectClose(
        x.gather(axis: 1, index: Tensor<Int64, WebGPU>(index, shape: [5, 2])),
        cx.gather(axis: 1, index: Tensor<Int64, CPU>(index, shape: [5, 2])), "gather")
      expectClose(
        x.T.indexSelect(axis: 0, Tensor<Int64, WebGPU>([4, 0, 4], shape: [3])),
        cx.T.indexSelect(axis: 0, Tensor<Int64, CPU>([4, 0, 4], shape: [3])), "indexSelect of a view")
    }

    @Test func scansAndScattersMatchCPUExactly() {
      let (g, c) = pair([4, 5, 6], seed: 40)
      for axis in 0..<3 {
        #expect(g.cumsum(axis: axis).toArray() == c.cumsum(axis: axis).toArray(), "cumsum \(axis)")
        #expect(g.transposed(0, 2).cumprod(axis: axis).toArray() == c.transposed(0, 2).cumprod(axis: axis).toArray())
      }
      // Duplicate indices: the last assignment wins, additions accumulate in order.
      let index: [Int64] = [1, 1, 0, 3, 3, 3, 2, 0]
      let (src, csrc) = pair([2, 4], seed: 41)
      let (dst, cdst) = pair([2, 5], seed: 42)
      let gi = Tensor<Int64, WebGPU>(index, shape: [2, 4])
      let ci = Tensor<Int64, CPU>(index, shape: [2, 4])
      #expect(
        dst.scatter(axis: 1, index: gi, source: src).toArray()
          == cdst.scatter(axis: 1, index: ci, source: csrc).toArray()
      )
      #expect(
        dst.scatterAdd(axis: 1, index: gi, source: src).toArray()
          == cdst.scatterAdd(axis: 1, index: ci, source: csrc).toArray())
      let rows = Tensor<Int64, WebGPU>([2, 0, 2], shape: [3, 1])
      let (s3, cs3) = pair([3, 5], seed: 43)
      let (dst3, cdst3) = pair([4, 5], seed: 44)
      #expect(
        dst3.scatterAdd(axis: 0, index: rows.expanded(to: [3, 5]), source: s3).toArray()
          == cdst3.scatterAdd(
            axis: 0, index: Tensor<Int64, CPU>([2, 0, 2], shape: [3, 1]).expanded(to: [3, 5]), source: cs3
          ).toArray())
    }

    /// `Autodiff<WebGPU>` trains a small MLP with Adam like `Autodiff<CPU>` does.
    @Test func autodiffTrainingMatchesCPU() throws {
      func run<B: Backend>(_: B.Type) -> [[Float]] {
        var g = RandomGenerator(seed: 1)
        var model = Sequential {
          Linear<Float, Autodiff<B>>(20, 16, using: &g)
          ReLU<Float, Autodiff<B>>()
          Linear<Float, Autodiff<B>>(16, 4, using: &g)
        }
        model.requireGradients()
        var opt = Adam<Float, B>(learningRate: 1e-2)
        var data = RandomGenerator(seed: 2)
        let x = Tensor<Float, Autodiff<B>>(
          (0..<(32 * 20)).map { _ in Float(data.nextNormal()) }, shape: [32, 20])
        let y = Tensor<Int64, Autodiff<B>>((0..<32).map { Int64($0 % 4) }, shape: [32])
        for _ in 0..<5 {
          let loss = Loss.crossEntropy(model(x), y)
          opt.step(&model, gradients: loss.backward())
        }
        return model.parameters.map { $0.value.toArray() }
      }
      let onGPU = run(WebGPU.self)
      let onCPU = run(CPU.self)
      #expect(onGPU.count == onCPU.count)
      for (a, b) in zip(onGPU, onCPU) { #expect(worstError(a, b) < 1e-4) }
      print("WebGPU fallbacks so far: \(WebGPU.fallbackOps.sorted { $0.key < $1.key })")
    }

    /// LeNet-5 (the `born train mnist` model) trained 5 Adam steps on both backends: every
    /// parameter agrees (convolutions, pooling and their gradients, fused elementwise work).
    @Test func lenetTrainingMatchesCPU() throws {
      func run<B: Backend>(_: B.Type) -> [[Float]] {
        var model = mnistLeNet(seed: 3, on: B.self)
        model.requireGradients()
        var opt = Adam<Float, B>(learningRate: 3e-3)
        var data = RandomGenerator(seed: 4)
        let x = Tensor<Float, Autodiff<B>>(
          (0..<(16 * 784)).map { _ in Float(data.nextNormal()) }, shape: [16, 1, 28, 28])
        let y = Tensor<Int64, Autodiff<B>>((0..<16).map { Int64($0 % 10) }, shape: [16])
        for _ in 0..<5 {
          let loss = Loss.crossEntropy(model(x), y)
          opt.step(&model, gradients: loss.backward())
        }
        return model.parameters.map { $0.value.toArray() }
      }
      let before = WebGPU.fallbackOps.values.reduce(0, +)
      let onGPU = run(WebGPU.self)
      let onCPU = run(CPU.self)
      #expect(onGPU.count == onCPU.count && onGPU.count == 10)
      for (a, b) in zip(onGPU, onCPU) { #expect(worstError(a, b) < 1e-4) }
      #expect(WebGPU.fallbackOps.values.reduce(0, +) == before, "\(WebGPU.fallbackOps)")
    }
  }
}

extension WebGPUSuites {
  @Suite("WebGPU from several threads", .enabled(if: gpu != nil, "no WebGPU adapter"))
  struct WebGPUThreadTests {
    /// Threads record and read back at once (a data loader's prefetch thread uploads batches
    /// while training runs): every result must match the CPU.
    @Test func concurrentOpsAgreeWithCPU() async {
      await withTaskGroup(of: Float.self) { group in
        for t in 0..<6 {
          group.addTask {
            var worst: Float = 0
            for i in 0..<5 {
              let (g, c) = pair([37, 41], seed: UInt64(100 * t + i))
              worst = max(
                worst,
                worstError(
                  ((g * 2).relu().matmul(g.T) + 1).sum(axes: [1]).toArray(),
                  ((c * 2).relu().matmul(c.T) + 1).sum(axes: [1]).toArray()))
            }
            return worst
          }
        }
        for await worst in group { #expect(worst < 1e-4) }
      }
    }
  }
}

extension WebGPUSuites {
  @Suite("born train mnist --device webgpu", .enabled(if: gpu != nil, "no WebGPU adapter"))
  struct WebGPUTrainingTests {
    @Test func trainsTheMLPOnASubsetLikeTheCPU() throws {
      let dir = FileManager.default.temporaryDirectory.path
      var accuracies: [String: Float] = [:]
      for device in ["cpu", "webgpu"] {
        let path = "\(dir)/born-webgpu-test-\(getpid())-\(device).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try TrainMNIST.parse([
          "--device", device, "--model", "mlp", "--epochs", "1", "--limit", "2000", "--batch-size", "50", "--save",
          path,
        ]).run()
        // Evaluate the saved weights on the CPU: the GPU-trained file is an ordinary model file.
        var model = Sequential {
          Flatten<Float, CPU>()
          Linear<Float, CPU>(784, 128)
          ReLU<Float, CPU>()
          Linear<Float, CPU>(128, 10)
        }
        try model.load(from: path)
        let test = try MNIST(directory: mnistData, split: .test).prefix(1000)
        let (x, y): (Tensor<Float, CPU>, Tensor<Int64, CPU>) = test.batch(Array(0..<1000)).tensors()
        let predicted = model(x).argmax(axis: 1)
        accuracies[device] = (predicted .== y).cast(to: Float.self).mean().item()
      }
      print("accuracy after 1 epoch on 2,000 images: \(accuracies)")
      #expect(accuracies["webgpu"]! > 0.8)
      #expect(abs(accuracies["webgpu"]! - accuracies["cpu"]!) < 0.02)
    }
  }
}

extension WebGPUSuites {
  @Suite("GPU guide example")
  struct WebGPUGuideTests {
    /// docs/guides/gpu.md: the training loop and the statistics of one step, on 128 images.
    @Test func guideExampleRuns() throws {
      typealias GPU = Autodiff<WebGPU>
      var g = RandomGenerator(seed: 0)
      var model = Sequential {
        Flatten<Float, GPU>()
        Linear<Float, GPU>(784, 128, using: &g)
        ReLU<Float, GPU>()
        Linear<Float, GPU>(128, 10, using: &g)
      }
      model.requireGradients()
      var optimizer = Adam<Float, WebGPU>(learningRate: 2e-3)
      let train = try MNIST(directory: mnistData, split: .train).prefix(128)
      var losses: [Float] = []
      for batch in DataLoader(train, batchSize: 64, shuffle: true, seed: 0).epoch(0) {
        let (x, y): (Tensor<Float, GPU>, Tensor<Int64, GPU>) = batch.tensors()
        let loss = Loss.crossEntropy(model(x), y)
        optimizer.step(&model, gradients: loss.backward())
        losses.append(loss.item())
      }
      #expect(losses.count == 2 && losses.allSatisfy(\.isFinite))
      let gpu = WebGPU.gpu
      try gpu.flush()
      let before = gpu.statistics
      let batch = train.batch(Array(0..<64))
      let (x, y): (Tensor<Float, GPU>, Tensor<Int64, GPU>) = batch.tensors()
      let loss = Loss.crossEntropy(model(x), y)
      optimizer.step(&model, gradients: loss.backward())
      _ = loss.item()
      let after = gpu.statistics
      #expect(after.submits - before.submits >= 1)
      #expect(after.dispatches - before.dispatches > 0)
      #expect(after.fusedOps > before.fusedOps)
      #expect(after.fallbacks == before.fallbacks)
    }
  }
}

let mnistData: String = {
  var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)
  return parts.joined(separator: "/") + "/Data/mnist"
}()

extension WebGPUSuites {
  @Suite(
    "WebGPU half-precision kernels (f16 with or without shader-f16, bf16)", .serialized)
  struct WebGPUHalfTests {
    typealias GH = Tensor<Float16, WebGPU>
    typealias CH = Tensor<Float16, CPU>

    func halfPair(_ shape: Shape, seed: UInt64) -> (GH, CH) {
      let v = randomFloats(shape.elementCount, seed: seed).map { Float16($0) }
      return (GH(v, shape: shape), CH(v, shape: shape))
    }

    func close(_ g: GH, _ c: CH, _ label: String, _ tolerance: Float = 2e-3) {
      #expect(g.shape == c.shape, "\(label)")
      #expect(worstError(g.toArray().map(Float.init), c.toArray().map(Float.init)) <= tolerance, "\(label)")
    }

    /// f16 tensors compute in f32 and round once, like the CPU backend: results agree to f16
    /// precision, and no op falls back to the CPU.
    @Test func halfOpsMatchCPU() {
      let before = WebGPU.fallbackOps.values.reduce(0, +)
      let (a, ca) = halfPair([9, 17], seed: 1)
      let (b, cb) = halfPair([17], seed: 2)
      close(a + b, ca + cb, "add")
      close((a * b).exp().tanh(), (ca * cb).exp().tanh(), "mul exp tanh")
      close(a.sum(axes: [1]), ca.sum(axes: [1]), "sum", 5e-3)
      close(a.max(axes: [0]), ca.max(axes: [0]), "max")
      close(a.matmul(a.T), ca.matmul(ca.T), "matmul", 1e-2)
      close(a.softmax(axis: 1), ca.softmax(axis: 1), "softmax")
      close(a.T.contiguous(), ca.T.contiguous(), "copy", 0)
      #expect(a.cast(to: Float.self).toArray() == ca.cast(to: Float.self).toArray())
      let f = Tensor<Float, WebGPU>([1.0009765625, 65520, -3.14159, 1e-8], shape: [4])
      #expect(
        f.cast(to: Float16.self).toArray()
          == Tensor<Float, CPU>([1.0009765625, 65520, -3.14159, 1e-8], shape: [4]).cast(to: Float16.self).toArray())
      #expect((a .> 0).toArray() == (ca .> 0).toArray())
      #expect(WebGPU.fallbackOps.values.reduce(0, +) == before, "\(WebGPU.fallbackOps)")
    }

    /// Convolutions, pooling, their gradients, matmul, softmax, cross-entropy and an Adam step in
    /// f16 and bf16: on the GPU (no fallback), within the dtype's precision of the CPU's result
    /// (`unit` is the dtype's relative rounding error).
    func networkOpsMatchCPU<H: FloatElement>(_: H.Type, unit: Float) {
      typealias G = Tensor<H, WebGPU>
      typealias C = Tensor<H, CPU>
      func pair(_ shape: Shape, seed: UInt64) -> (G, C) {
        let v = randomFloats(shape.elementCount, seed: seed).map { H(bornConverting: Double($0)) }
        return (G(v, shape: shape), C(v, shape: shape))
      }
      func close(_ g: G, _ c: C, _ label: String, _ units: Float = 4) {
        #expect(g.shape == c.shape, "\(label)")
        let (a, b) = (g.toArray().map { Float($0.bornDouble) }, c.toArray().map { Float($0.bornDouble) })
        #expect(worstError(a, b) <= units * unit, "\(H.dtype) \(label)")
      }
      let before = WebGPU.fallbackOps.values.reduce(0, +)
      let (x, cx) = pair([2, 4, 9, 8], seed: 11)
      let (w, cw) = pair([6, 2, 3, 3], seed: 12)
      close(x.conv2d(w, padding: (1, 0), groups: 2), cx.conv2d(cw, padding: (1, 0), groups: 2), "conv2d", 40)
      close(x.maxPool2d(kernel: (2, 2)), cx.maxPool2d(kernel: (2, 2)), "max pool", 0)
      close(
        x.avgPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
        cx.avgPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)), "avg pool")
      let (a, ca) = pair([9, 17], seed: 1)
      close(a.matmul(a.T), ca.matmul(ca.T), "matmul", 20)
      let (big, cbig) = pair([2, 40, 50], seed: 2)
      close(big.matmul(big.transposed(1, 2)), cbig.matmul(cbig.transposed(1, 2)), "blocked batched matmul", 40)
      close(a.softmax(axis: 1), ca.softmax(axis: 1), "softmax")
      close(a.logSoftmax(axis: 0), ca.logSoftmax(axis: 0), "log-softmax")
      // Gradients through autodiff: conv (input and weights) and both poolings.
      func grads<B: Backend>(_ x: Tensor<H, B>, _ w: Tensor<H, B>) -> [Tensor<H, B>] {
        let xa = Tensor<H, Autodiff<B>>(constant: x).requiringGrad()
        let wa = Tensor<H, Autodiff<B>>(constant: w).requiringGrad()
        let y = xa.conv2d(wa, stride: (1, 2), padding: (1, 1), groups: 2)
        let loss = (y.maxPool2d(kernel: (2, 2)).sum() + y.avgPool2d(kernel: (2, 2)).sum()) * H(bornConverting: 0.25)
        let g = loss.backward()
        return [g[xa]!, g[wa]!]
      }
      for (k, (gpu, cpu)) in zip(grads(x, w), grads(cx, cw)).enumerated() {
        close(gpu, cpu, "conv/pool gradient \(k)", 60)
      }
      // Cross-entropy (composite for halves on both backends) and its gradient.
      let (logits, clogits) = pair([5, 7], seed: 13)
      let targets: [Int64] = [0, 6, 3, 3, 1]
      func crossEntropy<B: Backend>(_ l: Tensor<H, B>) -> (Tensor<H, B>, Tensor<H, B>) {
        let la = Tensor<H, Autodiff<B>>(constant: l).requiringGrad()
        let loss = Loss.crossEntropy(la, Tensor<Int64, Autodiff<B>>(constant: Tensor<Int64, B>(targets, shape: [5])))
        return (loss.baseTensor(), loss.backward()[la]!)
      }
      let (gl, gg) = crossEntropy(logits)
      let (cl, cg) = crossEntropy(clogits)
      close(gl, cl, "cross-entropy")
      close(gg, cg, "cross-entropy gradient")
      // One Adam step on half-precision parameters.
      func adam<B: Backend>(_ p: Tensor<H, B>) -> Tensor<H, B> {
        var generator = RandomGenerator(seed: 5)
        var m = Linear<H, Autodiff<B>>(7, 3, using: &generator)
        m.requireGradients()
        let loss = m(Tensor<H, Autodiff<B>>(constant: p)).square().mean()
        var opt = Adam<H, B>(learningRate: 1e-2)
        opt.step(&m, gradients: loss.backward())
        return m.weight.baseTensor()
      }
      close(adam(logits), adam(clogits), "Adam step")
      #expect(WebGPU.fallbackOps.values.reduce(0, +) == before, "\(WebGPU.fallbackOps)")
    }

    @Test func halfNetworkOpsMatchCPU() { networkOpsMatchCPU(Float16.self, unit: 1.0 / 2048) }

    @Test func bfloat16NetworkOpsMatchCPU() { networkOpsMatchCPU(BFloat16.self, unit: 1.0 / 256) }

    /// Arg-reductions, gathers, scans, scatters and sorting move or combine f16 values exactly
    /// as the CPU does.
    @Test func halfIndexingMatchesCPUExactly() {
      let before = WebGPU.fallbackOps.values.reduce(0, +)
      let values: [Float16] = [3, 1, 3, 2, .nan, 5, -1, -1, 0, 7, 7, 7]
      let (g, c) = (GH(values, shape: [3, 4]), CH(values, shape: [3, 4]))
      for axis in [0, 1] {
        #expect(g.argmax(axis: axis).toArray() == c.argmax(axis: axis).toArray(), "argmax \(axis)")
        #expect(g.argmin(axis: axis).toArray() == c.argmin(axis: axis).toArray(), "argmin \(axis)")
        let (gv, gi) = g.sorted(axis: axis, descending: axis == 1)
        let (cv, ci) = c.sorted(axis: axis, descending: axis == 1)
        #expect(gi.toArray() == ci.toArray() && gv.toArray().map(\.bitPattern) == cv.toArray().map(\.bitPattern))
      }
      let (tv, ti) = g.topK(2, axis: 1)
      let (ctv, cti) = c.topK(2, axis: 1)
      #expect(ti.toArray() == cti.toArray() && tv.toArray().map(\.bitPattern) == ctv.toArray().map(\.bitPattern))
      let (x, cx) = halfPair([4, 6], seed: 14)
      let index: [Int64] = [5, 0, 2, 2, 1, 3, 4, 0]
      #expect(
        x.gather(axis: 1, index: Tensor<Int64, WebGPU>(index, shape: [4, 2])).toArray()
          == cx.gather(axis: 1, index: Tensor<Int64, CPU>(index, shape: [4, 2])).toArray())
      #expect(
        x.T.indexSelect(axis: 0, Tensor<Int64, WebGPU>([4, 0, 4], shape: [3])).toArray()
          == cx.T.indexSelect(axis: 0, Tensor<Int64, CPU>([4, 0, 4], shape: [3])).toArray())
      for axis in [0, 1] {
        #expect(x.cumsum(axis: axis).toArray() == cx.cumsum(axis: axis).toArray(), "cumsum \(axis)")
        #expect(x.cumprod(axis: axis).toArray() == cx.cumprod(axis: axis).toArray(), "cumprod \(axis)")
      }
      // Duplicate indices: additions round at every step, in order, as on the CPU.
      let scatterIndex: [Int64] = [1, 1, 0, 3, 3, 3, 2, 0]
      let (src, csrc) = halfPair([2, 4], seed: 15)
      let (dst, cdst) = halfPair([2, 5], seed: 16)
      let gi = Tensor<Int64, WebGPU>(scatterIndex, shape: [2, 4])
      let ci = Tensor<Int64, CPU>(scatterIndex, shape: [2, 4])
      #expect(
        dst.scatterAdd(axis: 1, index: gi, source: src).toArray()
          == cdst.scatterAdd(axis: 1, index: ci, source: csrc).toArray())
      #expect(
        dst.scatter(axis: 1, index: gi, source: src).toArray()
          == cdst.scatter(axis: 1, index: ci, source: csrc).toArray()
      )
      #expect(WebGPU.fallbackOps.values.reduce(0, +) == before, "\(WebGPU.fallbackOps)")
    }
  }
}
