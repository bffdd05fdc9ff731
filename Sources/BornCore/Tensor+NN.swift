// Convolution and pooling (forward).

extension Tensor where Element: FloatElement {
  /// 2-D convolution of NCHW input with OIHW weights (cross-correlation, as in PyTorch).
  ///
  /// ```swift
  /// let y = x.conv2d(weight, bias: b, stride: (1, 1), padding: (2, 2))
  /// ```
  public func conv2d(
    _ weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
    dilation: (Int, Int) = (1, 1), groups: Int = 1
  ) -> Tensor {
    check(rank == 4, "conv2d: input must be [N, C, H, W], got \(_signature)")
    check(weight.rank == 4, "conv2d: weight must be [O, C/groups, KH, KW], got \(weight._signature)")
    check(groups >= 1, "conv2d: groups must be ≥ 1, got \(groups)")
    check(stride.0 >= 1 && stride.1 >= 1, "conv2d: stride \(stride) must be ≥ 1")
    check(dilation.0 >= 1 && dilation.1 >= 1, "conv2d: dilation \(dilation) must be ≥ 1")
    check(padding.0 >= 0 && padding.1 >= 0, "conv2d: padding \(padding) must be ≥ 0")
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let (o, cg, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
    check(
      c % groups == 0 && o % groups == 0 && cg == c / groups,
      "conv2d: input \(_signature) and weight \(weight._signature) do not fit groups = \(groups)")
    let oh = Conv2DParams.outputSize(input: h, kernel: kh, stride: stride.0, padding: padding.0, dilation: dilation.0)
    let ow = Conv2DParams.outputSize(input: w, kernel: kw, stride: stride.1, padding: padding.1, dilation: dilation.1)
    check(
      h + 2 * padding.0 >= dilation.0 * (kh - 1) + 1 && w + 2 * padding.1 >= dilation.1 * (kw - 1) + 1,
      "conv2d: kernel \(kh)×\(kw) (dilation \(dilation)) is larger than the padded input \(_signature)")
    let outShape: Shape = [n, o, oh, ow]
    let out = _empty(outShape, as: Element.self)
    if outShape.elementCount > 0 {
      let p = Conv2DParams(stride: stride, padding: padding, dilation: dilation, groups: groups)
      B.conv2d(
        storage, layout, weight.storage, weight.layout, params: p, into: out.storage, outShape, dtype: Element.dtype)
    }
    guard let bias else { return out }
    check(bias.rank == 1 && bias.count == o, "conv2d: bias must be [\(o)], got \(bias._signature)")
    return out + bias.reshaped([1, o, 1, 1])
  }

  /// 1-D convolution of NCL input with OIK weights.
  public func conv1d(
    _ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1
  ) -> Tensor {
    check(rank == 3, "conv1d: input must be [N, C, L], got \(_signature)")
    check(weight.rank == 3, "conv1d: weight must be [O, C/groups, K], got \(weight._signature)")
    let y = unsqueezed(axis: 2).conv2d(
      weight.unsqueezed(axis: 2), bias: bias, stride: (1, stride), padding: (0, padding), dilation: (1, dilation),
      groups: groups)
    return y.squeezed(axis: 2)
  }

  /// 2-D max pooling over NCHW input (padding counts as -inf).
  public func maxPool2d(
    kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
    ceilMode: Bool = false
  ) -> Tensor {
    _pool(
      .max, Pool2DParams(kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode),
      "maxPool2d")
  }

  /// 2-D average pooling over NCHW input.
  public func avgPool2d(
    kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), ceilMode: Bool = false,
    countIncludePad: Bool = true
  ) -> Tensor {
    _pool(
      .avg,
      Pool2DParams(
        kernel: kernel, stride: stride, padding: padding, countIncludePad: countIncludePad, ceilMode: ceilMode),
      "avgPool2d")
  }

  /// 1-D max pooling over NCL input.
  public func maxPool1d(kernel: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false)
    -> Tensor
  {
    check(rank == 3, "maxPool1d: input must be [N, C, L], got \(_signature)")
    return unsqueezed(axis: 2).maxPool2d(
      kernel: (1, kernel), stride: (1, stride ?? kernel), padding: (0, padding), dilation: (1, dilation),
      ceilMode: ceilMode
    ).squeezed(axis: 2)
  }

  /// 1-D average pooling over NCL input.
  public func avgPool1d(
    kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true
  ) -> Tensor {
    check(rank == 3, "avgPool1d: input must be [N, C, L], got \(_signature)")
    return unsqueezed(axis: 2).avgPool2d(
      kernel: (1, kernel), stride: (1, stride ?? kernel), padding: (0, padding), ceilMode: ceilMode,
      countIncludePad: countIncludePad
    ).squeezed(axis: 2)
  }

  func _pool(_ kind: PoolKind, _ p: Pool2DParams, _ op: String) -> Tensor {
    check(rank == 4, "\(op): input must be [N, C, H, W], got \(_signature)")
    check(p.kernel.0 >= 1 && p.kernel.1 >= 1, "\(op): kernel \(p.kernel) must be ≥ 1")
    check(p.stride.0 >= 1 && p.stride.1 >= 1, "\(op): stride \(p.stride) must be ≥ 1")
    check(
      p.padding.0 >= 0 && p.padding.1 >= 0 && p.padding.0 * 2 <= p.kernel.0 && p.padding.1 * 2 <= p.kernel.1,
      "\(op): padding \(p.padding) must be between 0 and half the kernel \(p.kernel)")
    let oh = Pool2DParams.outputSize(
      input: shape[2], kernel: p.kernel.0, stride: p.stride.0, padding: p.padding.0, dilation: p.dilation.0,
      ceilMode: p.ceilMode)
    let ow = Pool2DParams.outputSize(
      input: shape[3], kernel: p.kernel.1, stride: p.stride.1, padding: p.padding.1, dilation: p.dilation.1,
      ceilMode: p.ceilMode)
    check(oh > 0 && ow > 0, "\(op): kernel \(p.kernel) does not fit input \(_signature)")
    let outShape: Shape = [shape[0], shape[1], oh, ow]
    let out = _empty(outShape, as: Element.self)
    if outShape.elementCount > 0 {
      B.pool2d(kind, storage, layout, params: p, into: out.storage, outShape, dtype: Element.dtype)
    }
    return out
  }
}
