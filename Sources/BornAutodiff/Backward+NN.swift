import BornCore

extension Autodiff {
  public static func conv2d(
    _ x: Storage, _ xLayout: Layout, _ w: Storage, _ wLayout: Layout, params: Conv2DParams, into out: Storage,
    _ outShape: Shape, dtype: DType
  ) {
    Base.conv2d(x.base, xLayout, w.base, wLayout, params: params, into: out.base, outShape, dtype: dtype)
    guard tracking(dtype, x, w) else {
      out.node = nil
      return
    }
    let (xbase, wbase) = (x.base, w.base)
    let (needX, needW) = (x.node != nil, w.node != nil)
    let device = Base.device(of: x.base)
    record(out, "conv2d", dtype: dtype, inputs: [(x, xLayout), (w, wLayout)]) { gs in
      var gx: Base.Storage?
      var gw: Base.Storage?
      if needX {
        let s = Base.allocate(xLayout.elementCount, dtype: dtype, on: device)
        Base.conv2dBackwardInput(
          gs, outShape, wbase, wLayout, params: params, into: s, inputShape: xLayout.shape, dtype: dtype)
        gx = s
      }
      if needW {
        let s = Base.allocate(wLayout.elementCount, dtype: dtype, on: device)
        Base.conv2dBackwardWeight(
          xbase, xLayout, gs, outShape, params: params, into: s, weightShape: wLayout.shape, dtype: dtype)
        gw = s
      }
      return [
        gx.map { Raw<Base>($0, shape: xLayout.shape, dtype) }, gw.map { Raw<Base>($0, shape: wLayout.shape, dtype) },
      ]
    }
  }

  public static func pool2d(
    _ kind: PoolKind, _ x: Storage, _ xLayout: Layout, params: Pool2DParams, into out: Storage, _ outShape: Shape,
    dtype: DType
  ) {
    Base.pool2d(kind, x.base, xLayout, params: params, into: out.base, outShape, dtype: dtype)
    guard tracking(dtype, x) else {
      out.node = nil
      return
    }
    let xbase = x.base
    let device = Base.device(of: x.base)
    record(out, kind == .max ? "maxPool2d" : "avgPool2d", dtype: dtype, inputs: [(x, xLayout)]) { gs in
      let s = Base.allocate(xLayout.elementCount, dtype: dtype, on: device)
      Base.pool2dBackward(kind, xbase, xLayout, gs, outShape, params: params, into: s, dtype: dtype)
      return [Raw<Base>(s, shape: xLayout.shape, dtype)]
    }
  }

  // Second derivatives of convolution and pooling are not supported: a tracked input records a
  // node without a rule, so asking for its gradient stops with a message.

  public static func conv2dBackwardInput(
    _ gradOut: Storage, _ gradOutShape: Shape, _ w: Storage, _ wLayout: Layout, params: Conv2DParams, into out: Storage,
    inputShape: Shape, dtype: DType
  ) {
    Base.conv2dBackwardInput(
      gradOut.base, gradOutShape, w.base, wLayout, params: params, into: out.base, inputShape: inputShape, dtype: dtype)
    out.node = nil
    if tracking(dtype, gradOut, w) {
      record(
        out, "conv2dBackwardInput", dtype: dtype, inputs: [(gradOut, Layout(contiguous: gradOutShape)), (w, wLayout)],
        backward: nil)
    }
  }

  public static func conv2dBackwardWeight(
    _ x: Storage, _ xLayout: Layout, _ gradOut: Storage, _ gradOutShape: Shape, params: Conv2DParams, into out: Storage,
    weightShape: Shape, dtype: DType
  ) {
    Base.conv2dBackwardWeight(
      x.base, xLayout, gradOut.base, gradOutShape, params: params, into: out.base, weightShape: weightShape,
      dtype: dtype)
    out.node = nil
    if tracking(dtype, x, gradOut) {
      record(
        out, "conv2dBackwardWeight", dtype: dtype, inputs: [(x, xLayout), (gradOut, Layout(contiguous: gradOutShape))],
        backward: nil)
    }
  }

  public static func pool2dBackward(
    _ kind: PoolKind, _ x: Storage, _ xLayout: Layout, _ gradOut: Storage, _ gradOutShape: Shape, params: Pool2DParams,
    into out: Storage, dtype: DType
  ) {
    Base.pool2dBackward(kind, x.base, xLayout, gradOut.base, gradOutShape, params: params, into: out.base, dtype: dtype)
    out.node = nil
    if tracking(dtype, x, gradOut) {
      record(
        out, "pool2dBackward", dtype: dtype, inputs: [(x, xLayout), (gradOut, Layout(contiguous: gradOutShape))],
        backward: nil)
    }
  }
}

extension Autodiff {
  public static func crossEntropy(
    _ logits: Storage, _ layout: Layout, targets: Storage, _ targetsLayout: Layout, ignoreIndex: Int64,
    into losses: Storage, dtype: DType
  ) {
    Base.crossEntropy(
      logits.base, layout, targets: targets.base, targetsLayout, ignoreIndex: ignoreIndex, into: losses.base,
      dtype: dtype)
    guard tracking(dtype, logits) else {
      losses.node = nil
      return
    }
    let (xbase, tbase) = (logits.base, targets.base)
    let device = Base.device(of: logits.base)
    record(losses, "crossEntropy", dtype: dtype, inputs: [(logits, layout)]) { gs in
      let out = Base.allocate(layout.elementCount, dtype: dtype, on: device)
      Base.crossEntropyBackward(
        xbase, layout, targets: tbase, targetsLayout, ignoreIndex: ignoreIndex, gradient: gs, into: out, dtype: dtype)
      return [Raw<Base>(out, shape: layout.shape, dtype)]
    }
  }

  public static func crossEntropyBackward(
    _ logits: Storage, _ layout: Layout, targets: Storage, _ targetsLayout: Layout, ignoreIndex: Int64,
    gradient: Storage, into out: Storage, dtype: DType
  ) {
    Base.crossEntropyBackward(
      logits.base, layout, targets: targets.base, targetsLayout, ignoreIndex: ignoreIndex, gradient: gradient.base,
      into: out.base, dtype: dtype)
    out.node = nil
    if tracking(dtype, logits, gradient) {
      record(
        out, "crossEntropyBackward", dtype: dtype,
        inputs: [(logits, layout), (gradient, Layout(contiguous: [layout.shape[0]]))], backward: nil)
    }
  }
}
