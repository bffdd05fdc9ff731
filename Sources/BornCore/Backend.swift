/// A compute backend: where tensor storage lives and how ops run on it.
///
/// Ops take untyped storage plus a ``Layout`` per operand and a ``DType``, and write their
/// result into an output storage the caller allocated with ``allocate(_:dtype:on:)`` (or an
/// input's storage, reused in place when it is uniquely referenced and has the right layout).
/// Inputs are already broadcast to the output's shape (stride-0 dimensions); outputs are
/// contiguous row-major unless a destination layout is given.
///
/// Composite ops (softmax, logsumexp, conv via im2col, ...) are built from these requirements
/// in ``Tensor`` extensions; a backend overrides a composite by implementing its fused
/// requirement (e.g. ``softmax(_:_:axis:log:into:dtype:)``).
public protocol Backend: Sendable {
  /// Reference-counted storage of elements of any dtype.
  associatedtype Storage: AnyObject, Sendable
  /// A device of this backend (a CPU, a GPU ordinal).
  associatedtype Device: Hashable, Sendable, CustomStringConvertible

  /// A short name ("cpu", "cuda", "autodiff<cpu>").
  static var name: String { get }
  /// The device new tensors go to when none is named.
  static var defaultDevice: Device { get }
  /// The device that holds a storage.
  static func device(of storage: Storage) -> Device
  /// Whether nothing else holds `storage`, so an op may overwrite it.
  static func isUniquelyReferenced(_ storage: inout Storage) -> Bool

  // MARK: Memory

  /// Storage for `count` elements of `dtype`, contents unspecified.
  static func allocate(_ count: Int, dtype: DType, on device: Device) -> Storage
  /// Storage holding a copy of `bytes` (tightly packed elements of `dtype`).
  static func upload(_ bytes: UnsafeRawBufferPointer, dtype: DType, on device: Device) -> Storage
  /// Storage for `bytes` (tightly packed elements of `dtype`) that may keep using that memory
  /// instead of copying it while `owner` is alive (a memory-mapped file, say). The memory must be
  /// writable and private to the caller: ops may overwrite a uniquely referenced storage.
  /// Backends that cannot use host memory copy it, as the default implementation does.
  static func upload(
    borrowing bytes: UnsafeMutableRawBufferPointer, owner: AnyObject, dtype: DType, on device: Device
  ) -> Storage
  /// Copies the elements that `layout` selects, in row-major order, into `bytes`.
  static func download(_ storage: Storage, _ layout: Layout, dtype: DType, into bytes: UnsafeMutableRawBufferPointer)
  /// Copies the elements `srcLayout` selects into the positions `dstLayout` selects (same shape).
  static func copy(_ src: Storage, _ srcLayout: Layout, into dst: Storage, _ dstLayout: Layout, dtype: DType)
  /// Converts elements to another dtype (Born's casting rules) into contiguous `dst`.
  static func cast(_ src: Storage, _ layout: Layout, from: DType, into dst: Storage, to: DType)
  /// Sets the first `count` elements to `value` (converted with the casting rules).
  static func fill(_ dst: Storage, count: Int, value: Double, dtype: DType)
  /// dst[i] = start + i * step for i < count.
  static func arange(into dst: Storage, count: Int, start: Double, step: Double, dtype: DType)

  // MARK: Elementwise

  static func unary(_ op: UnaryOp, _ x: Storage, _ layout: Layout, into out: Storage, dtype: DType)
  static func binary(
    _ op: BinaryOp, _ a: Storage, _ aLayout: Layout, _ b: Storage, _ bLayout: Layout,
    into out: Storage, dtype: DType)
  /// Writes Bool results.
  static func compare(
    _ op: CompareOp, _ a: Storage, _ aLayout: Layout, _ b: Storage, _ bLayout: Layout,
    into out: Storage, dtype: DType)
  /// Writes Bool results.
  static func test(_ test: ElementTest, _ x: Storage, _ layout: Layout, into out: Storage, dtype: DType)
  /// out = cond ? a : b, with `cond` a Bool storage.
  static func select(
    _ cond: Storage, _ condLayout: Layout, _ a: Storage, _ aLayout: Layout, _ b: Storage,
    _ bLayout: Layout, into out: Storage, dtype: DType)

  // MARK: Reductions

  /// Reduces `axes`; `out` has the input's shape with reduced axes of size 1.
  static func reduce(_ op: ReduceOp, _ x: Storage, _ layout: Layout, axes: AxisSet, into out: Storage, dtype: DType)
  /// Int64 indices of the extreme element along `axis` (first one on ties; NaN counts as extreme).
  static func argReduce(_ op: ArgReduceOp, _ x: Storage, _ layout: Layout, axis: Int, into out: Storage, dtype: DType)
  static func scan(_ op: ScanOp, _ x: Storage, _ layout: Layout, axis: Int, into out: Storage, dtype: DType)
  /// Softmax or log-softmax along `axis` (max-subtracted, stable).
  static func softmax(_ x: Storage, _ layout: Layout, axis: Int, log: Bool, into out: Storage, dtype: DType)

  // MARK: Linear algebra

  /// Batched matrix product. `aLayout` is [batch..., m, k], `bLayout` [batch..., k, n] with the
  /// same batch shape (broadcast dims have stride 0); `out` is contiguous [batch..., m, n].
  static func matmul(_ a: Storage, _ aLayout: Layout, _ b: Storage, _ bLayout: Layout, into out: Storage, dtype: DType)

  // MARK: Indexing

  /// out[..., i, ...] = x[..., index[..., i, ...], ...] along `axis`; `index` is Int64 with
  /// the output's shape. Indices are already validated.
  static func gather(
    _ x: Storage, _ layout: Layout, axis: Int, index: Storage, _ indexLayout: Layout,
    into out: Storage, dtype: DType)
  /// Writes `src` into contiguous `dst` at the positions `index` names along `axis`.
  static func scatter(
    _ mode: ScatterMode, into dst: Storage, _ dstLayout: Layout, axis: Int, index: Storage,
    _ indexLayout: Layout, source: Storage, _ sourceLayout: Layout, dtype: DType)
  /// Picks slices along `axis` by an Int64 vector of validated indices.
  static func indexSelect(
    _ x: Storage, _ layout: Layout, axis: Int, indices: Storage, _ indicesLayout: Layout, into out: Storage,
    dtype: DType)
  /// Sorts along `axis`: values into `values`, Int64 positions into `indices` (stable).
  static func sort(
    _ x: Storage, _ layout: Layout, axis: Int, descending: Bool, values: Storage, indices: Storage, dtype: DType)
  /// The k largest (or smallest) along `axis`, in sorted order.
  static func topK(
    _ x: Storage, _ layout: Layout, axis: Int, k: Int, largest: Bool, values: Storage, indices: Storage,
    dtype: DType)

  // MARK: Neural-network primitives

  /// 2-D convolution: input [N, C, H, W], weight [O, C/groups, KH, KW], out [N, O, OH, OW].
  static func conv2d(
    _ x: Storage, _ xLayout: Layout, _ w: Storage, _ wLayout: Layout, params: Conv2DParams,
    into out: Storage, _ outShape: Shape, dtype: DType)
  /// 2-D pooling: input [N, C, H, W], out [N, C, OH, OW].
  static func pool2d(
    _ kind: PoolKind, _ x: Storage, _ xLayout: Layout, params: Pool2DParams, into out: Storage,
    _ outShape: Shape, dtype: DType)

  /// Gradient of `conv2d` with respect to its input: `gradOut` [N, O, OH, OW] (contiguous),
  /// weights [O, C/groups, KH, KW]; writes contiguous `out` with shape `inputShape`.
  static func conv2dBackwardInput(
    _ gradOut: Storage, _ gradOutShape: Shape, _ w: Storage, _ wLayout: Layout, params: Conv2DParams,
    into out: Storage, inputShape: Shape, dtype: DType)
  /// Gradient of `conv2d` with respect to its weights; writes contiguous `out` with `weightShape`.
  static func conv2dBackwardWeight(
    _ x: Storage, _ xLayout: Layout, _ gradOut: Storage, _ gradOutShape: Shape, params: Conv2DParams,
    into out: Storage, weightShape: Shape, dtype: DType)
  // MARK: Losses

  /// Per-sample cross-entropy of logits [N, C] against Int64 class indices [N] (validated to
  /// lie in 0..<C or equal `ignoreIndex`): -log softmax(xᵢ)[tᵢ], and 0 where tᵢ is ignored.
  /// `losses` is contiguous [N].
  static func crossEntropy(
    _ logits: Storage, _ layout: Layout, targets: Storage, _ targetsLayout: Layout, ignoreIndex: Int64,
    into losses: Storage, dtype: DType)
  /// Gradient of `crossEntropy` with respect to the logits, given the gradient of the
  /// per-sample losses (contiguous [N]): gᵢ·(softmax(xᵢ) - onehot(tᵢ)), 0 rows where ignored.
  /// `out` is contiguous [N, C].
  static func crossEntropyBackward(
    _ logits: Storage, _ layout: Layout, targets: Storage, _ targetsLayout: Layout, ignoreIndex: Int64,
    gradient: Storage, into out: Storage, dtype: DType)

  // MARK: Optimizer updates

  /// One Adam/AdamW update of `count` contiguous elements: the new parameter goes into `out`;
  /// `m`, `v` (and `vMax` with AMSGrad) are updated in place.
  static func adamStep(
    _ hyper: AdamStep, parameter: Storage, gradient: Storage, m: Storage, v: Storage, vMax: Storage?,
    into out: Storage, count: Int, dtype: DType)
  /// One SGD update of `count` contiguous elements: the new parameter goes into `out`; the
  /// momentum buffer (when momentum is non-zero) is updated in place.
  static func sgdStep(
    _ hyper: SGDStep, parameter: Storage, gradient: Storage, momentumBuffer: Storage?, into out: Storage, count: Int,
    dtype: DType)

  /// Gradient of `pool2d` with respect to its input (max: to the first maximum of each window;
  /// avg: spread evenly); writes contiguous `out` with the input's shape.
  static func pool2dBackward(
    _ kind: PoolKind, _ x: Storage, _ xLayout: Layout, _ gradOut: Storage, _ gradOutShape: Shape,
    params: Pool2DParams, into out: Storage, dtype: DType)
}

extension Backend {
  public static func isUniquelyReferenced(_ storage: inout Storage) -> Bool {
    isKnownUniquelyReferenced(&storage)
  }
}
