import Born
import BornTestSupport
import CBornKernels
import Dispatch
import Testing

/// Every C kernel variant the CPU supports must agree with the generic C variant.
@Suite("Kernel variants agree with the generic kernels", .serialized)
struct KernelVariantTests {
  static let variants: [born_isa] = [BORN_ISA_AVX2, BORN_ISA_AVX512].filter { born_isa_supported($0) != 0 }

  func withVariant<R>(_ isa: born_isa, _ body: () -> R) -> R {
    KernelSelection.exclusively {
      let before = born_isa_active()
      #expect(born_isa_set(isa) == 1)
      defer { _ = born_isa_set(before) }
      return body()
    }
  }

  func random(_ n: Int, seed: UInt64) -> [Float] {
    var g = RandomGenerator(seed: seed)
    return (0..<n).map { _ in Float(g.nextNormal()) }
  }

  /// C = A·B through the C entry point with the given strides, on `threads` threads.
  func sgemm(
    _ m: Int, _ n: Int, _ k: Int, _ a: [Float], _ rsa: Int, _ csa: Int, _ b: [Float], _ rsb: Int, _ csb: Int,
    threads: Int
  ) -> [Float] {
    var c = [Float](repeating: .nan, count: m * n)
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        c.withUnsafeMutableBufferPointer { pc in
          let box = UncheckedBox(pc.baseAddress!)
          DispatchLikeRunner.run(threads) { t in
            born_sgemm(
              m, n, k, pa.baseAddress!, rsa, csa, pb.baseAddress!, rsb, csb, box.value, n, 0, Int32(t), Int32(threads))
          }
        }
      }
    }
    return c
  }

  @Test func gemmVariantsMatchGeneric() {
    let shapes = [
      (1, 1, 1), (5, 7, 3), (17, 33, 65), (64, 10, 128), (1, 1536, 576), (129, 257, 31), (33, 1, 15), (6, 16, 0),
    ]
    for (m, n, k) in shapes {
      let a = random(m * k, seed: UInt64(m * 1000 + k))
      let b = random(k * n, seed: UInt64(n * 1000 + k))
      for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
        let (rsa, csa) = transA ? (1, m) : (k, 1)
        let (rsb, csb) = transB ? (1, k) : (n, 1)
        let reference = withVariant(BORN_ISA_GENERIC) { sgemm(m, n, k, a, rsa, csa, b, rsb, csb, threads: 1) }
        // The generic kernel against a double-precision product.
        for i in 0..<m {
          for j in 0..<n {
            var s = 0.0
            for p in 0..<k { s += Double(a[i * rsa + p * csa]) * Double(b[p * rsb + j * csb]) }
            #expect(abs(Double(reference[i * n + j]) - s) <= 1e-5 * Double(k).squareRoot() * (1 + abs(s)))
          }
        }
        for isa in Self.variants {
          for threads in [1, 2, 3] {
            let c = withVariant(isa) { sgemm(m, n, k, a, rsa, csa, b, rsb, csb, threads: threads) }
            let worst = zip(c, reference).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
            #expect(
              worst <= 1e-5 * Float(max(k, 1)).squareRoot(),
              "\(String(cString: born_isa_name(isa))) \(m)x\(n)x\(k) t\(threads) trans \(transA) \(transB): \(worst)")
          }
        }
      }
    }
  }

  @Test func vectorMathVariantsMatchGeneric() {
    var x = random(4099, seed: 9).map { $0 * 8 }
    x += [0, -0.0, .infinity, -.infinity, .nan, 88.7, -103, Float.leastNormalMagnitude / 8, 1e4, -1e4, 1e-7, 30, -30]
    let functions: [born_vfunc] = [
      BORN_VEXP, BORN_VLOG, BORN_VLOG1P, BORN_VEXPM1, BORN_VTANH, BORN_VSIGMOID, BORN_VSIN, BORN_VCOS, BORN_VGELU,
      BORN_VGELU_TANH, BORN_VSILU, BORN_VSOFTPLUS, BORN_VERF,
    ]
    func apply(_ f: born_vfunc, _ input: [Float]) -> [Float] {
      var y = [Float](repeating: 0, count: input.count)
      born_vmath_f32(f, input, &y, input.count)
      return y
    }
    for f in functions {
      let input = (f == BORN_VLOG) ? x.map { abs($0) } : x
      let reference = withVariant(BORN_ISA_GENERIC) { apply(f, input) }
      for isa in Self.variants {
        let y = withVariant(isa) { apply(f, input) }
        for i in 0..<input.count {
          let (a, r) = (y[i], reference[i])
          if r.isNaN {
            #expect(
              a.isNaN, "f\(f.rawValue) \(String(cString: born_isa_name(isa))) at x=\(input[i]): \(a), generic NaN")
            continue
          }
          let ok =
            a == r
            || abs(a - r) <= 4 * r.ulp + 1e-6 * max(1, abs(r)) * (f == BORN_VSIN || f == BORN_VCOS ? 1 : 0) + 1e-37
          #expect(ok, "f\(f.rawValue) \(String(cString: born_isa_name(isa))) at x=\(input[i]): \(a) vs generic \(r)")
        }
      }
    }
  }

  /// The fused Adam update runs without FMA contraction in every variant, so all agree bit for
  /// bit with the generic one (AMSGrad and the scalar tail included).
  @Test func adamVariantsMatchGenericExactly() {
    let n = 1037
    let p = random(n, seed: 11)
    let g = random(n, seed: 12)
    func step(_ isa: born_isa, amsgrad: Bool) -> [[Float]] {
      var m = random(n, seed: 13).map { $0 * 0.1 }
      var v = random(n, seed: 14).map { $0 * $0 }
      var vmax = v.map { $0 * 1.5 }
      var out = [Float](repeating: 0, count: n)
      withVariant(isa) {
        if amsgrad {
          born_adam_f32(p, g, &m, &v, &vmax, &out, n, 0.9, 0.999, 0.99, 0.01, 1e-3, 1.2, 1e-8)
        } else {
          born_adam_f32(p, g, &m, &v, nil, &out, n, 0.9, 0.999, 1, 0, 1e-3, 1.2, 1e-8)
        }
      }
      return [m, v, vmax, out]
    }
    for amsgrad in [false, true] {
      let reference = step(BORN_ISA_GENERIC, amsgrad: amsgrad)
      for isa in Self.variants {
        #expect(step(isa, amsgrad: amsgrad) == reference, "\(String(cString: born_isa_name(isa))) amsgrad \(amsgrad)")
      }
    }
  }

  /// Row dot products (A·Bᵀ) in every variant against a double-precision sum, with row counts
  /// and a length that exercise the 2×4 blocks' remainders and the scalar tail.
  @Test func dotRowsVariantsMatchDirectSums() {
    let (m, n, k) = (5, 7, 133)
    let a = random(m * k, seed: 21)
    let b = random(n * k, seed: 22)
    var reference = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
      for j in 0..<n {
        reference[i * n + j] = (0..<k).reduce(0.5) { $0 + Double(a[i * k + $1]) * Double(b[j * k + $1]) }
      }
    }
    for isa in [BORN_ISA_GENERIC] + Self.variants {
      var c = [Float](repeating: 0.5, count: m * n)
      withVariant(isa) { born_dot_rows_f32(m, n, k, a, k, b, k, &c, n) }
      let worst = zip(c, reference).map { abs(Double($0) - $1) }.max() ?? 0
      #expect(worst < 1e-4, "\(String(cString: born_isa_name(isa))): \(worst)")
    }
  }

  @Test func sumAndSoftmaxVariantsMatchGeneric() {
    let x = random(100_003, seed: 3)
    let reference = withVariant(BORN_ISA_GENERIC) { born_sum_f32(x, x.count) }
    let exact = x.reduce(0.0) { $0 + Double($1) }
    #expect(abs(Double(reference) - exact) < 1e-3)
    for isa in Self.variants {
      let s = withVariant(isa) { born_sum_f32(x, x.count) }
      #expect(abs(Double(s) - exact) < 1e-3)
      var y = [Float](repeating: 0, count: 3 * 1001)
      var yr = y
      let rows = Array(x[0..<(3 * 1001)]).map { $0 * 50 }
      withVariant(BORN_ISA_GENERIC) { born_softmax_rows_f32(rows, &yr, 3, 1001, 0) }
      withVariant(isa) { born_softmax_rows_f32(rows, &y, 3, 1001, 0) }
      let worst = zip(y, yr).map { abs($0 - $1) / max(abs($1), 1e-30) }.max() ?? 0
      #expect(worst < 1e-5)
    }
    let ones = [Float](repeating: 1, count: 1 << 24)
    #expect(born_sum_f32(ones, ones.count) == 16_777_216)
  }

  /// The 2×2 max-pool gradient (vectorized for AVX-512) against a direct scan of each window,
  /// on values with many ties and NaNs, plane widths that leave partial vector steps, and
  /// planes with a row and column no window covers.
  @Test func maxPoolBackwardVariantsMatchDirectScan() {
    var g = RandomGenerator(seed: 31)
    for (h, w) in [(8, 8), (7, 9), (6, 38), (24, 24), (2, 34)] {
      let choices: [Float] = [-1, 0, 1, 2, .nan, 2, 1]
      let x = (0..<(h * w)).map { _ in choices[Int(g.next() % UInt64(choices.count))] }
      let (oh, ow) = (h / 2, w / 2)
      let gout = (0..<(oh * ow)).map { Float($0 + 1) }
      var expected = [Float](repeating: 0, count: h * w)
      for oy in 0..<oh {
        for ox in 0..<ow {
          let at = [
            (2 * oy) * w + 2 * ox, (2 * oy) * w + 2 * ox + 1, (2 * oy + 1) * w + 2 * ox, (2 * oy + 1) * w + 2 * ox + 1,
          ]
          let largest = at.map { x[$0] }.max()!
          let best = at.first { x[$0].isNaN } ?? at.first { x[$0] == largest }!
          expected[best] = gout[oy * ow + ox]
        }
      }
      var window = born_window(
        h: h, w: w, kh: 2, kw: 2, oh: oh, ow: ow, stride_h: 2, stride_w: 2, pad_h: 0, pad_w: 0, dil_h: 1, dil_w: 1)
      for isa in [BORN_ISA_GENERIC] + Self.variants {
        var dx = [Float](repeating: .nan, count: h * w)
        withVariant(isa) { born_maxpool_backward_f32(x, w, 1, &window, gout, &dx) }
        #expect(dx == expected, "\(String(cString: born_isa_name(isa))) on \(h)×\(w)")
      }
    }
  }

  /// im2col and its adjoint on the unpadded unit-stride path (compiled per variant) against
  /// direct indexing, dilation included.
  @Test func im2colVariantsMatchDirectIndexing() {
    let (c, h, w, kh, kw, dil) = (3, 9, 13, 3, 2, 2)
    let (oh, ow) = (h - (kh - 1) * dil, w - (kw - 1) * dil)
    let x = random(c * h * w, seed: 41)
    var expected = [Float]()
    for ci in 0..<c {
      for ki in 0..<kh {
        for kj in 0..<kw {
          for oy in 0..<oh {
            for ox in 0..<ow { expected.append(x[(ci * h + oy + ki * dil) * w + ox + kj * dil]) }
          }
        }
      }
    }
    var added = [Float](repeating: 0, count: c * h * w)
    var index = 0
    for ci in 0..<c {
      for ki in 0..<kh {
        for kj in 0..<kw {
          for oy in 0..<oh {
            for ox in 0..<ow {
              added[(ci * h + oy + ki * dil) * w + ox + kj * dil] += expected[index]
              index += 1
            }
          }
        }
      }
    }
    var window = born_window(
      h: h, w: w, kh: kh, kw: kw, oh: oh, ow: ow, stride_h: 1, stride_w: 1, pad_h: 0, pad_w: 0, dil_h: dil,
      dil_w: dil)
    for isa in [BORN_ISA_GENERIC] + Self.variants {
      var cols = [Float](repeating: .nan, count: expected.count)
      var back = [Float](repeating: 0, count: x.count)
      withVariant(isa) {
        born_im2col_f32(x, h * w, w, 1, c, &window, &cols)
        born_col2im_add_f32(cols, c, &window, &back)
      }
      #expect(cols == expected, "\(String(cString: born_isa_name(isa)))")
      #expect(back == added, "\(String(cString: born_isa_name(isa)))")
    }
  }

  @Test func halfConversionsMatchGeneric() {
    var bits: [UInt16] = (0..<65536).map { UInt16($0) }
    var f = [Float](repeating: 0, count: bits.count)
    for isa in [BORN_ISA_GENERIC] + Self.variants {
      withVariant(isa) {
        born_f16_to_f32(bits, &f, bits.count)
        for i in 0..<bits.count where !Float16(bitPattern: bits[i]).isNaN {
          #expect(f[i] == Float(Float16(bitPattern: bits[i])))
        }
        var back = [UInt16](repeating: 0, count: bits.count)
        born_f32_to_f16(f, &back, f.count)
        for i in 0..<bits.count where !Float16(bitPattern: bits[i]).isNaN { #expect(back[i] == bits[i]) }
        var b16 = [UInt16](repeating: 0, count: f.count)
        born_f32_to_bf16(f, &b16, f.count)
        for i in stride(from: 0, to: f.count, by: 97) { #expect(b16[i] == BFloat16(f[i]).bitPattern || f[i].isNaN) }
      }
    }
    bits.removeAll()
  }
}

struct UncheckedBox<T>: @unchecked Sendable {
  let value: T
  init(_ v: T) { value = v }
}

/// Runs `body(t)` on `threads` threads at once (like the CPU backend does).
enum DispatchLikeRunner {
  static func run(_ threads: Int, _ body: @escaping (Int) -> Void) {
    let box = UncheckedBox(body)
    let group = DispatchGroup()
    for t in 0..<threads {
      DispatchQueue.global().async(group: group) { box.value(t) }
    }
    group.wait()
  }
}
