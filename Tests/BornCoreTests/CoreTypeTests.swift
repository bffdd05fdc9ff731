import Born
import Testing

@Suite("Core types")
struct CoreTypeTests {
  @Test func dtypeSizes() {
    #expect(DType.f32.byteSize == 4)
    #expect(DType.bf16.byteSize == 2)
    #expect(DType.i64.byteSize == 8)
    #expect(DType.bool.byteSize == 1)
    #expect(DType.allCases.count == 9)
    #expect(Float16.dtype == .f16 && BFloat16.dtype == .bf16 && Bool.dtype == .bool)
  }

  @Test func bfloat16RoundsToNearestEven() {
    // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
    #expect(Float(BFloat16(Float(1 + 0.00390625))) == 1)
    // 1 + 3·2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties go to even (1 + 2^-6).
    #expect(Float(BFloat16(Float(1 + 3 * 0.00390625))) == 1.015625)
    #expect(Float(BFloat16(Float(3.14159265))) == 3.140625)
    #expect(BFloat16(Float.nan).isNaN)
    #expect(Float(BFloat16(Float.infinity)) == .infinity)
    #expect(Float(BFloat16(Float(3.4e38))) == .infinity)  // beyond the largest finite bfloat16
    #expect(BFloat16(-0.0 as Float).bitPattern == 0x8000)
  }

  @Test func bfloat16FromDoubleRoundsOnce() {
    // Just above the halfway point between 1 and 1 + 2^-7: must round up, though rounding to
    // Float first would land exactly on the halfway point and then round down to 1.
    let v = 1 + 0.00390625 + 1e-12
    #expect(Float(BFloat16(v)) == 1.0078125)
  }

  @Test func castingRulesForScalars() {
    #expect(Int8(bornConverting: 300) == 127)
    #expect(Int8(bornConverting: -300) == -128)
    #expect(Int32(bornConverting: .nan) == 0)
    #expect(UInt8(bornConverting: -1) == 0)
    #expect(Int32(bornConverting: -2.9) == -2)
    #expect(Bool(bornConverting: .nan) == true)
    #expect(Bool(bornConverting: 0) == false)
  }

  @Test func shapeBasics() {
    var s: Shape = [2, 3, 4]
    #expect(s.count == 3 && s.elementCount == 24)
    s.insert(1, at: 0)
    #expect(s == [1, 2, 3, 4])
    s.remove(at: 2)
    #expect(s == [1, 2, 4])
    #expect(Shape().elementCount == 1)
    #expect(([0, 5] as Shape).elementCount == 0)
    #expect(s.description == "[1, 2, 4]")
  }

  @Test func layoutContiguity() {
    let l = Layout(contiguous: [2, 3, 4])
    #expect(l.strides == [12, 4, 1])
    #expect(l.isContiguous)
    let t = Layout(shape: [3, 2], strides: [1, 3], offset: 0)
    #expect(!t.isContiguous)
    #expect(t.storageExtent == 6)
  }

  @Test func broadcastRules() {
    #expect(broadcastShapes([3, 1, 5], [4, 1]) == [3, 4, 5])
    #expect(broadcastShapes([], [2, 2]) == [2, 2])
    #expect(broadcastShapes([0, 3], [1, 3]) == [0, 3])
    #expect(broadcastShapes([2, 3], [3, 2]) == nil)
  }

  @Test func generatorIsDeterministic() {
    var a = RandomGenerator(seed: 7)
    var b = RandomGenerator(seed: 7)
    var c = RandomGenerator(seed: 8)
    let xs = (0..<100).map { _ in a.next() }
    let ys = (0..<100).map { _ in b.next() }
    let zs = (0..<100).map { _ in c.next() }
    #expect(xs == ys)
    #expect(xs != zs)
  }

  @Test func normalSamplesHaveUnitMoments() {
    var g = RandomGenerator(seed: 1)
    let n = 200_000
    var s = 0.0
    var s2 = 0.0
    for _ in 0..<n {
      let v = g.nextNormal()
      s += v
      s2 += v * v
    }
    let mean = s / Double(n)
    let variance = s2 / Double(n) - mean * mean
    // Standard errors: 1/sqrt(n) ≈ 0.0022 for the mean, sqrt(2/n) ≈ 0.0032 for the variance.
    #expect(abs(mean) < 0.01)
    #expect(abs(variance - 1) < 0.015)
  }
}
