import BornCore

/// How a loss combines per-element values.
public enum Reduction: Sendable, Hashable {
  /// The (weighted) mean.
  case mean
  /// The sum.
  case sum
  /// No reduction: one value per element (or per sample).
  case none
  /// The sum divided by the batch size (KL divergence's mathematically correct mean).
  case batchMean
}

/// Loss functions with PyTorch's definitions and defaults.
///
/// ```swift
/// let loss = Loss.crossEntropy(logits, targets)            // targets: Int64 class indices
/// let smooth = Loss.crossEntropy(logits, targets, labelSmoothing: 0.1)
/// ```
public enum Loss {
  static func reduce<E: FloatElement, B: Backend>(_ x: Tensor<E, B>, _ r: Reduction, _ op: String) -> Tensor<E, B> {
    switch r {
    case .mean: x.mean()
    case .sum: x.sum()
    case .none: x
    case .batchMean: x.sum() / E(bornConverting: Double(Swift.max(x.rank > 0 ? x.shape[0] : 1, 1)))
    }
  }

  /// Moves the class axis (1) last and flattens: [N, C, d...] → [N·d..., C].
  static func classesLast<E: TensorElement, B: Backend>(_ x: Tensor<E, B>) -> Tensor<E, B> {
    if x.rank == 2 { return x }
    var order = [0] + Array(2..<x.rank)
    order.append(1)
    return x.permuted(order).reshaped([-1, x.shape[1]])
  }

  /// Cross-entropy of logits [N, C] (or [N, C, d...]) against Int64 class indices [N] (or
  /// [N, d...]), with optional class `weight`s, an `ignoreIndex` whose targets are skipped, and
  /// `labelSmoothing` ε (targets become (1-ε)·one-hot + ε/C). The mean divides by the summed
  /// weights of the counted targets, as PyTorch does.
  public static func crossEntropy<E: FloatElement, B: Backend>(
    _ logits: Tensor<E, B>, _ targets: Tensor<Int64, B>, weight: Tensor<E, B>? = nil, ignoreIndex: Int64 = -100,
    labelSmoothing: Double = 0, reduction: Reduction = .mean
  ) -> Tensor<E, B> {
    precondition(logits.rank >= 2, "crossEntropy: logits must be [N, C, ...], got \(logits._signature)")
    precondition(
      labelSmoothing >= 0 && labelSmoothing <= 1, "crossEntropy: label smoothing \(labelSmoothing) is outside [0, 1]")
    var expected = logits.shape
    expected.remove(at: 1)
    precondition(
      targets.shape == expected,
      "crossEntropy: targets \(targets._signature) must have shape \(expected) for logits \(logits._signature)")
    let classes = logits.shape[1]
    if logits.rank == 2 && weight == nil && labelSmoothing == 0 {
      return fusedCrossEntropy(logits, targets, ignoreIndex: ignoreIndex, reduction: reduction)
    }
    let logp = classesLast(logits).logSoftmax(axis: 1)
    return nllCore(
      logp, targets.reshaped([-1]), weight: weight, ignoreIndex: ignoreIndex, smoothing: labelSmoothing,
      reduction: reduction, outShape: expected, classes: classes, op: "crossEntropy")
  }

  /// The common case in one backend op (and one tape node): per-sample losses from the fused
  /// kernel, then the reduction (the mean divides by the number of counted targets).
  static func fusedCrossEntropy<E: FloatElement, B: Backend>(
    _ logits: Tensor<E, B>, _ targets: Tensor<Int64, B>, ignoreIndex: Int64, reduction: Reduction
  ) -> Tensor<E, B> {
    let (n, c) = (logits.shape[0], logits.shape[1])
    for t in targets.contiguous().toArray() where t != ignoreIndex && (t < 0 || t >= Int64(c)) {
      preconditionFailure("crossEntropy: target \(t) is out of range 0..<\(c) for logits \(logits._signature)")
    }
    let losses = Tensor<E, B>(
      storage: B.allocate(n, dtype: E.dtype, on: logits.device), layout: Layout(contiguous: [n]))
    B.crossEntropy(
      logits.storage, logits.layout, targets: targets.storage, targets.layout, ignoreIndex: ignoreIndex,
      into: losses.storage, dtype: E.dtype)
    switch reduction {
    case .none: return losses
    case .sum: return losses.sum()
    case .mean, .batchMean:
      return losses.sum() / (targets .!= Tensor<Int64, B>(ignoreIndex, on: targets.device)).cast(to: E.self).sum()
    }
  }

  /// Cross-entropy against class probabilities [N, C] (soft targets), with optional class
  /// weights and label smoothing. The mean divides by N.
  public static func crossEntropy<E: FloatElement, B: Backend>(
    _ logits: Tensor<E, B>, probabilities: Tensor<E, B>, weight: Tensor<E, B>? = nil, labelSmoothing: Double = 0,
    reduction: Reduction = .mean
  ) -> Tensor<E, B> {
    precondition(
      logits.shape == probabilities.shape,
      "crossEntropy: probabilities \(probabilities._signature) must match logits \(logits._signature)")
    precondition(logits.rank >= 2, "crossEntropy: logits must be [N, C, ...], got \(logits._signature)")
    let classes = logits.shape[1]
    let logp = classesLast(logits).logSoftmax(axis: 1)
    var t = classesLast(probabilities)
    if labelSmoothing > 0 {
      t = t * E(bornConverting: 1 - labelSmoothing) + E(bornConverting: labelSmoothing / Double(classes))
    }
    var terms = t * logp
    if let weight { terms = terms * weight }
    var perSample = -terms.sum(axes: [1])
    var outShape = logits.shape
    outShape.remove(at: 1)
    perSample = perSample.reshaped(outShape)
    return reduce(perSample, reduction == .batchMean ? .mean : reduction, "crossEntropy")
  }

  /// Negative log-likelihood of log-probabilities [N, C] at Int64 targets [N].
  public static func nll<E: FloatElement, B: Backend>(
    _ logProbabilities: Tensor<E, B>, _ targets: Tensor<Int64, B>, weight: Tensor<E, B>? = nil,
    ignoreIndex: Int64 = -100, reduction: Reduction = .mean
  ) -> Tensor<E, B> {
    precondition(logProbabilities.rank >= 2, "nll: input must be [N, C, ...], got \(logProbabilities._signature)")
    var expected = logProbabilities.shape
    expected.remove(at: 1)
    precondition(targets.shape == expected, "nll: targets \(targets._signature) must have shape \(expected)")
    return nllCore(
      classesLast(logProbabilities), targets.reshaped([-1]), weight: weight, ignoreIndex: ignoreIndex,
      smoothing: 0, reduction: reduction, outShape: expected, classes: logProbabilities.shape[1], op: "nll")
  }

  static func nllCore<E: FloatElement, B: Backend>(
    _ logp: Tensor<E, B>, _ targets: Tensor<Int64, B>, weight: Tensor<E, B>?, ignoreIndex: Int64, smoothing: Double,
    reduction: Reduction, outShape: Shape, classes: Int, op: String
  ) -> Tensor<E, B> {
    if let weight {
      precondition(weight.shape == [classes], "\(op): weight \(weight._signature) must be [\(classes)]")
    }
    let valid = targets .!= Tensor<Int64, B>(ignoreIndex, on: targets.device)
    let safe = Tensor.where(valid, targets, Int64(0))
    let picked = logp.gather(axis: 1, index: safe.unsqueezed(axis: 1)).squeezed(axis: 1)
    var w = valid.cast(to: E.self)
    if let weight { w = w * weight.indexSelect(axis: 0, safe) }
    var perSample = -(picked * w)
    if smoothing > 0 {
      var all = logp
      if let weight { all = all * weight }
      let smooth = -(all.sum(axes: [1]) * valid.cast(to: E.self))
      perSample = perSample * E(bornConverting: 1 - smoothing) + smooth * E(bornConverting: smoothing / Double(classes))
    }
    switch reduction {
    case .none: return perSample.reshaped(outShape)
    case .sum: return perSample.sum()
    case .mean, .batchMean: return perSample.sum() / w.sum()
    }
  }

  /// Mean squared error.
  public static func mse<E: FloatElement, B: Backend>(
    _ prediction: Tensor<E, B>, _ target: Tensor<E, B>, reduction: Reduction = .mean
  ) -> Tensor<E, B> {
    precondition(
      prediction.shape == target.shape,
      "mse: prediction \(prediction._signature) and target \(target._signature) differ in shape")
    return reduce((prediction - target).square(), reduction, "mse")
  }

  /// Mean absolute error.
  public static func l1<E: FloatElement, B: Backend>(
    _ prediction: Tensor<E, B>, _ target: Tensor<E, B>, reduction: Reduction = .mean
  ) -> Tensor<E, B> {
    precondition(
      prediction.shape == target.shape,
      "l1: prediction \(prediction._signature) and target \(target._signature) differ in shape")
    return reduce((prediction - target).abs(), reduction, "l1")
  }

  /// Smooth L1: 0.5·d²/β where |d| < β, else |d| - 0.5·β.
  public static func smoothL1<E: FloatElement, B: Backend>(
    _ prediction: Tensor<E, B>, _ target: Tensor<E, B>, beta: Double = 1, reduction: Reduction = .mean
  ) -> Tensor<E, B> {
    precondition(
      prediction.shape == target.shape,
      "smoothL1: prediction \(prediction._signature) and target \(target._signature) differ in shape")
    let d = (prediction - target).abs()
    if beta == 0 { return reduce(d, reduction, "smoothL1") }
    let quadratic = d.square() * E(bornConverting: 0.5 / beta)
    let linear = d - E(bornConverting: 0.5 * beta)
    return reduce(Tensor.where(d .< E(bornConverting: beta), quadratic, linear), reduction, "smoothL1")
  }

  /// Huber: 0.5·d² where |d| ≤ δ, else δ·(|d| - 0.5·δ).
  public static func huber<E: FloatElement, B: Backend>(
    _ prediction: Tensor<E, B>, _ target: Tensor<E, B>, delta: Double = 1, reduction: Reduction = .mean
  ) -> Tensor<E, B> {
    precondition(
      prediction.shape == target.shape,
      "huber: prediction \(prediction._signature) and target \(target._signature) differ in shape")
    let d = (prediction - target).abs()
    let quadratic = d.square() * E(bornConverting: 0.5)
    let linear = (d - E(bornConverting: 0.5 * delta)) * E(bornConverting: delta)
    return reduce(Tensor.where(d .<= E(bornConverting: delta), quadratic, linear), reduction, "huber")
  }

  /// Binary cross-entropy of probabilities; logarithms are clamped at -100 like PyTorch's.
  public static func binaryCrossEntropy<E: FloatElement, B: Backend>(
    _ probabilities: Tensor<E, B>, _ target: Tensor<E, B>, weight: Tensor<E, B>? = nil, reduction: Reduction = .mean
  ) -> Tensor<E, B> {
    precondition(
      probabilities.shape == target.shape,
      "binaryCrossEntropy: input \(probabilities._signature) and target \(target._signature) differ in shape")
    let floor = E(bornConverting: -100)
    let logP = probabilities.log().maximum(floor)
    let log1mP = (E(bornConverting: 1) - probabilities).log().maximum(floor)
    var l = -(target * logP + (E(bornConverting: 1) - target) * log1mP)
    if let weight { l = l * weight }
    return reduce(l, reduction, "binaryCrossEntropy")
  }

  /// Binary cross-entropy of logits (stable): (1 - t)·x + (1 + (p - 1)·t)·(log(1 + e^-|x|) + max(-x, 0)),
  /// with p the positive-class weight.
  public static func binaryCrossEntropyWithLogits<E: FloatElement, B: Backend>(
    _ logits: Tensor<E, B>, _ target: Tensor<E, B>, weight: Tensor<E, B>? = nil, positiveWeight: Tensor<E, B>? = nil,
    reduction: Reduction = .mean
  ) -> Tensor<E, B> {
    precondition(
      logits.shape == target.shape,
      "binaryCrossEntropyWithLogits: input \(logits._signature) and target \(target._signature) differ in shape")
    let one = E(bornConverting: 1)
    let softTerm = (-logits.abs()).exp().log1p() + (-logits).relu()
    var l: Tensor<E, B>
    if let positiveWeight {
      l = (one - target) * logits + (one + (positiveWeight - one) * target) * softTerm
    } else {
      l = (one - target) * logits + softTerm
    }
    if let weight { l = l * weight }
    return reduce(l, reduction, "binaryCrossEntropyWithLogits")
  }

  /// KL divergence with `input` as log-probabilities: target·(log target - input), 0 where
  /// target is 0 (`logTarget`: the target is given as log-probabilities).
  public static func klDivergence<E: FloatElement, B: Backend>(
    _ input: Tensor<E, B>, _ target: Tensor<E, B>, reduction: Reduction = .mean, logTarget: Bool = false
  ) -> Tensor<E, B> {
    precondition(
      input.shape == target.shape,
      "klDivergence: input \(input._signature) and target \(target._signature) differ in shape")
    let pointwise: Tensor<E, B>
    if logTarget {
      pointwise = target.exp() * (target - input)
    } else {
      let zero = E(bornConverting: 0)
      let positive = target .> zero
      let safeLog = Tensor.where(positive, target, E(bornConverting: 1)).log()
      pointwise = Tensor.where(positive, target * (safeLog - input), zero)
    }
    return reduce(pointwise, reduction, "klDivergence")
  }
}
