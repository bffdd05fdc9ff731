import Born
import BornTestSupport
import Testing

typealias AD = Autodiff<CPU>
typealias FT = Tensor<Float, AD>

@Suite("Autodiff API")
struct AutodiffAPITests {
  @Test func checkerDetectsWrongGradients() {
    // detached() hides one of the two paths, so backward gives x while the true derivative of
    // x·x is 2x: the checker must notice.
    let problem = gradientMismatch([rnd([3], seed: 1)]) { v in v[0].detached() * v[0] }
    #expect(problem != nil)
  }

  @Test func simpleGradients() {
    let w = FT([[1, 2], [3, 4]]).requiringGrad()
    let x = FT([[1, 1]])
    let loss = x.matmul(w).square().sum()  // [4, 6] → 16 + 36
    #expect(loss.item() == 52)
    let grads = loss.backward()
    // d/dW Σ (xW)² = xᵀ · 2xW = [[8, 12], [8, 12]]
    #expect(grads[w]!.toArray() == [8, 12, 8, 12])
    #expect(grads.count == 1)
  }

  @Test func seedGradient() {
    let x = FT([1, 2, 3]).requiringGrad()
    let y = x * 2
    let g = y.backward(seed: Tensor<Float, CPU>([1, 0, -1]))
    #expect(g[x]!.toArray() == [2, 0, -2])
  }

  @Test func accumulationOverSeveralBackwardCalls() {
    let x = FT([1, 2]).requiringGrad()
    var total = (x * 3).sum().backward()
    total.accumulate((x * x).sum().backward())
    #expect(total[x]!.toArray() == [5, 7])
  }

  @Test func detachedAndNoGrad() {
    let x = FT([1, 2]).requiringGrad()
    #expect(x.requiresGrad())
    #expect(!x.detached().requiresGrad())
    let y = withoutGrad { x * 2 }
    #expect(!y.requiresGrad())
    #expect((x * 2).requiresGrad())
    let c = FT([1, 2])
    #expect(!(c * 2).requiresGrad())
  }

  @Test func gradientOnlyFlowsToLeavesUsed() {
    let a = FT([1]).requiringGrad()
    let b = FT([2]).requiringGrad()
    let g = (a * 5).sum().backward()
    #expect(g[a]!.item() == 5)
    #expect(g[b] == nil)
  }

  @Test func trackedBuffersAreNotOverwrittenInPlace() {
    let x = FT([1, 2, 3]).requiringGrad()
    let y = x.exp()
    let z = (consume y) * 2  // y's buffer is saved for exp's backward and must survive
    let g = z.sum().backward()
    let e: [Float] = [1, 2, 3].map { Float(2) * Float(Double($0).expSeries) }
    for (a, b) in zip(g[x]!.toArray(), e) { #expect(abs(a - b) < 1e-4) }
  }

  @Test func untrackedTemporaryOperandIsNotOverwritten() {
    // The divisor is an untracked temporary that the div rule needs: it must not receive the
    // quotient in place.
    let x = FT([1, 2, 3]).requiringGrad()
    let y = x.sum() / FT([2, 2]).sum()
    #expect(y.item() == 1.5)
    #expect(y.backward()[x]!.toArray() == [0.25, 0.25, 0.25])
  }

  @Test func inferenceOnTheBaseBackendHasNoTape() {
    let x = Tensor<Float, CPU>([1, 2])
    let y = x * 2 + 1
    #expect(y.toArray() == [3, 5])
  }

  @Test func halfPrecisionGradients() {
    let x = Tensor<Float16, AD>([1, 2, 3]).requiringGrad()
    let g = (x * x).sum().backward()
    #expect(g[x]!.toArray() == [2, 4, 6])
  }

  @Test func missingRuleStopsLoudly() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor<Float, Autodiff<CPU>>([1, 2, 3]).requiringGrad()
      _ = x.cumprod(axis: 0).sum().backward()
    }
    let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(text.contains("no gradient rule for 'cumprod'"))
  }

  @Test func backwardOfNonScalarNeedsSeed() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor<Float, Autodiff<CPU>>([1, 2, 3]).requiringGrad()
      _ = (x * 2).backward()
    }
    let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(text.contains("backward") && text.contains("seed"))
  }
}

extension Double {
  /// e^x by its series (no libm in the test).
  var expSeries: Double {
    var term = 1.0
    var sum = 1.0
    for n in 1..<40 {
      term *= self / Double(n)
      sum += term
    }
    return sum
  }
}
