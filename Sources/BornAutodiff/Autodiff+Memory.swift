import BornCore

extension Autodiff {
  /// Whether an op on these inputs must be recorded.
  @inline(__always)
  static func tracking(_ dtype: DType, _ inputs: Storage...) -> Bool {
    guard dtype.isFloatingPoint, GradMode.isEnabled else { return false }
    for s in inputs where s.node != nil { return true }
    return false
  }

  /// Attaches a node to `out` whose backward rule maps the gradient of `out` (contiguous, with
  /// `outShape`) to gradients of `inputs` (each contiguous with its layout's shape).
  static func record(
    _ out: Storage, _ op: String, dtype: DType, inputs: [(Storage, Layout)],
    backward: ((Base.Storage) -> [Raw<Base>?])?
  ) {
    out.node = TapeNode(
      op: op, count: out.count, dtype: dtype, inputs: inputs.map { TapeEdge(node: $0.0.node, layout: $0.1) },
      backward: backward)
  }

  public static func allocate(_ count: Int, dtype: DType, on device: Device) -> Storage {
    AutodiffStorage(Base.allocate(count, dtype: dtype, on: device), count: count)
  }

  public static func upload(_ bytes: UnsafeRawBufferPointer, dtype: DType, on device: Device) -> Storage {
    AutodiffStorage(Base.upload(bytes, dtype: dtype, on: device), count: bytes.count / dtype.byteSize)
  }

  public static func upload(
    borrowing bytes: UnsafeMutableRawBufferPointer, owner: AnyObject, dtype: DType, on device: Device
  ) -> Storage {
    AutodiffStorage(
      Base.upload(borrowing: bytes, owner: owner, dtype: dtype, on: device), count: bytes.count / dtype.byteSize)
  }

  public static func download(
    _ storage: Storage, _ layout: Layout, dtype: DType, into bytes: UnsafeMutableRawBufferPointer
  ) {
    Base.download(storage.base, layout, dtype: dtype, into: bytes)
  }

  public static func copy(_ src: Storage, _ srcLayout: Layout, into dst: Storage, _ dstLayout: Layout, dtype: DType) {
    Base.copy(src.base, srcLayout, into: dst.base, dstLayout, dtype: dtype)
    guard tracking(dtype, src, dst) else { return }
    let count = dst.count
    let whole = Layout(contiguous: [count])
    let region = dstLayout
    let srcShape = srcLayout.shape
    let device = Base.device(of: dst.base)
    record(dst, "copy", dtype: dtype, inputs: [(dst, whole), (src, srcLayout)]) { g in
      let grad = Raw<Base>(g, shape: [count], dtype)
      // The previous contents get the gradient outside the overwritten region.
      let rest = grad.contiguous().copy()
      let zeros = Raw<Base>.full(region.shape, 0, dtype, on: device)
      Base.copy(zeros.storage, zeros.layout, into: rest.storage, region, dtype: dtype)
      // The source gets the gradient of the region.
      let part = Raw<Base>(g, region, dtype).contiguous().copyIfShared(g)
      return [rest, Raw<Base>(part.storage, shape: srcShape, dtype)]
    }
  }

  public static func cast(_ src: Storage, _ layout: Layout, from: DType, into dst: Storage, to: DType) {
    Base.cast(src.base, layout, from: from, into: dst.base, to: to)
    dst.node = nil
    guard from.isFloatingPoint, to.isFloatingPoint, tracking(from, src) else { return }
    let shape = layout.shape
    record(dst, "cast", dtype: to, inputs: [(src, layout)]) { g in
      [Raw<Base>(g, shape: shape, to).cast(to: from)]
    }
  }

  public static func fill(_ dst: Storage, count: Int, value: Double, dtype: DType) {
    Base.fill(dst.base, count: count, value: value, dtype: dtype)
    dst.node = nil
  }

  public static func arange(into dst: Storage, count: Int, start: Double, step: Double, dtype: DType) {
    Base.arange(into: dst.base, count: count, start: start, step: step, dtype: dtype)
    dst.node = nil
  }
}

extension Raw {
  /// A fresh copy of a contiguous tensor.
  func copy() -> Raw {
    let out = B.allocate(shape.elementCount, dtype: dtype, on: device)
    B.copy(storage, layout, into: out, Layout(contiguous: shape), dtype: dtype)
    return Raw(out, shape: shape, dtype)
  }

  /// This tensor, copied when it still shares `storage` (so a gradient buffer is never aliased).
  func copyIfShared(_ other: B.Storage) -> Raw { storage === other ? copy() : self }
}

extension Autodiff {
  public static func adamStep(
    _ hyper: AdamStep, parameter: Storage, gradient: Storage, m: Storage, v: Storage, vMax: Storage?,
    into out: Storage, count: Int, dtype: DType
  ) {
    Base.adamStep(
      hyper, parameter: parameter.base, gradient: gradient.base, m: m.base, v: v.base, vMax: vMax?.base, into: out.base,
      count: count, dtype: dtype)
    out.node = nil
  }

  public static func sgdStep(
    _ hyper: SGDStep, parameter: Storage, gradient: Storage, momentumBuffer: Storage?, into out: Storage, count: Int,
    dtype: DType
  ) {
    Base.sgdStep(
      hyper, parameter: parameter.base, gradient: gradient.base, momentumBuffer: momentumBuffer?.base, into: out.base,
      count: count, dtype: dtype)
    out.node = nil
  }
}
