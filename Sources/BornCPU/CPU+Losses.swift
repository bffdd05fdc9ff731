import BornCore
import CBornKernels

#if canImport(Glibc)
  import Glibc
#endif

extension CPU {
  public static func crossEntropy(
    _ logits: CPUStorage, _ layout: Layout, targets: CPUStorage, _ targetsLayout: Layout, ignoreIndex: Int64,
    into losses: CPUStorage, dtype: DType
  ) {
    switch dtype {
    case .f32:
      crossEntropyRows(
        logits.const(Float.self), layout, targets, targetsLayout, ignoreIndex, losses.typed(Float.self), nil, nil)
    case .f64:
      crossEntropyRows(
        logits.const(Double.self), layout, targets, targetsLayout, ignoreIndex, losses.typed(Double.self), nil, nil)
    default:
      compositeCrossEntropy(
        logits, layout, targets: targets, targetsLayout, ignoreIndex: ignoreIndex, into: losses, dtype: dtype)
    }
  }

  public static func crossEntropyBackward(
    _ logits: CPUStorage, _ layout: Layout, targets: CPUStorage, _ targetsLayout: Layout, ignoreIndex: Int64,
    gradient: CPUStorage, into out: CPUStorage, dtype: DType
  ) {
    switch dtype {
    case .f32:
      crossEntropyRows(
        logits.const(Float.self), layout, targets, targetsLayout, ignoreIndex, nil, gradient.const(Float.self),
        out.typed(Float.self))
    case .f64:
      crossEntropyRows(
        logits.const(Double.self), layout, targets, targetsLayout, ignoreIndex, nil, gradient.const(Double.self),
        out.typed(Double.self))
    default:
      compositeCrossEntropyBackward(
        logits, layout, targets: targets, targetsLayout, ignoreIndex: ignoreIndex, gradient: gradient, into: out,
        dtype: dtype)
    }
  }

  /// One pass per row: the max, the sum of exponentials, then either the loss
  /// (log Σ + max - x[t]) or the gradient g·(softmax - onehot).
  static func crossEntropyRows<T: BinaryFloatingPoint>(
    _ x: UnsafePointer<T>, _ l: Layout, _ targets: CPUStorage, _ tl: Layout, _ ignore: Int64,
    _ losses: UnsafeMutablePointer<T>?, _ g: UnsafePointer<T>?, _ dx: UnsafeMutablePointer<T>?
  ) {
    let (n, c) = (l.shape[0], l.shape[1])
    let (rs, cs) = (l.strides[0], l.strides[1])
    let t = targets.const(Int64.self) + tl.offset
    let ts = tl.rank > 0 ? tl.strides[0] : 0
    parallelFor(n, grain: Swift.max(1, (1 << 14) / Swift.max(c, 1))) { r in
      // f32 rows take their exponentials from the vector kernel, a block of rows per call
      // (glibc's scalar exp was a tenth of an MNIST MLP training step).
      var exps: UnsafeMutablePointer<Float>? = nil
      if T.self == Float.self && c > 0 {
        let block = UnsafeMutablePointer<Float>.allocate(capacity: r.count * c)
        for (k, i) in r.enumerated() {
          let row = UnsafeRawPointer(x + l.offset + i * rs).assumingMemoryBound(to: Float.self)
          var m = -Float.infinity
          for j in 0..<c where row[j * cs] > m || row[j * cs].isNaN { m = row[j * cs] }
          for j in 0..<c { block[k * c + j] = row[j * cs] - m }
        }
        born_vmath_f32(BORN_VEXP, block, block, r.count * c)
        exps = block
      }
      defer { exps?.deallocate() }
      for (k, i) in r.enumerated() {
        let row = x + l.offset + i * rs
        let target = t[i * ts]
        if target == ignore {
          losses?[i] = 0
          if let dx { (dx + i * c).initialize(repeating: 0, count: c) }
          continue
        }
        var m = -T.infinity
        for j in 0..<c where row[j * cs] > m || row[j * cs].isNaN { m = row[j * cs] }
        // exp(row[j] - m), from the block for f32.
        func e(_ j: Int) -> Double {
          if let exps { return Double(exps[k * c + j]) }
          return exp(Double(row[j * cs] - m))
        }
        var sum = 0.0
        for j in 0..<c { sum += e(j) }
        if let losses {
          losses[i] = T(log(sum)) + m - row[Int(target) * cs]
        }
        if let g, let dx {
          let gi = g[i]
          let scale = Double(gi) / sum
          let o = dx + i * c
          for j in 0..<c { o[j] = T(e(j) * scale) }
          o[Int(target)] -= gi
        }
      }
    }
  }
}
