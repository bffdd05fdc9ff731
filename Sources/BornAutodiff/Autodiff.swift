import BornCore
import Synchronization

/// Reverse-mode automatic differentiation as a backend that wraps any backend.
///
/// Ops on `Tensor<Float, Autodiff<CPU>>` run on the base backend and, when an input is
/// tracked, record a node with the op's backward rule. `backward()` walks the nodes from the
/// last to the first (node ids increase with creation) and returns the gradients of the leaves.
/// There is no global tape, so tensors on different tasks never share state.
///
/// ```swift
/// typealias AD = Autodiff<CPU>
/// let w = Tensor<Float, AD>.randn([3, 2]).requiringGrad()
/// let x = Tensor<Float, AD>.ones([4, 3])
/// let loss = x.matmul(w).square().mean()
/// let grads = loss.backward()
/// print(grads[w]!)  // Tensor<Float, CPU> of shape [3, 2]
/// ```
public enum Autodiff<Base: Backend>: Backend {
  public typealias Storage = AutodiffStorage<Base>
  public typealias Device = Base.Device

  public static var name: String { "autodiff<\(Base.name)>" }
  public static var defaultDevice: Device { Base.defaultDevice }
  public static func device(of storage: Storage) -> Device { Base.device(of: storage.base) }

  /// In-place writes are refused while gradients are recorded (the op about to run may be
  /// tracked through its other operand, and its rule may need this operand's values), for
  /// tracked storage, and for storage whose base buffer a backward rule may still read.
  public static func isUniquelyReferenced(_ storage: inout Storage) -> Bool {
    !GradMode.isEnabled && isKnownUniquelyReferenced(&storage) && storage.node == nil
      && Base.isUniquelyReferenced(&storage.base)
  }
}

/// Storage of the autodiff backend: the base backend's storage plus the tape node that
/// produced it (nil for constants).
public final class AutodiffStorage<Base: Backend>: @unchecked Sendable {
  /// The base backend's buffer.
  public var base: Base.Storage
  /// The node whose output this buffer is, when it is tracked.
  var node: TapeNode<Base>?
  /// Elements in the buffer.
  let count: Int

  init(_ base: Base.Storage, count: Int, node: TapeNode<Base>? = nil) {
    self.base = base
    self.count = count
    self.node = node
  }
}

/// Where a node's input came from: the producing node (nil for constants) and the layout through
/// which the op read that node's buffer.
struct TapeEdge<Base: Backend> {
  var node: TapeNode<Base>?
  var layout: Layout
}

/// One recorded op. Its output is the whole buffer of `count` elements; `backward` maps the
/// gradient of that buffer (contiguous) to gradients of the inputs, each contiguous with the
/// shape of the input's layout, in any layout (nil where an input needs none).
final class TapeNode<Base: Backend>: @unchecked Sendable {
  let id: Int
  let op: String
  let count: Int
  let dtype: DType
  let inputs: [TapeEdge<Base>]
  let backward: ((Base.Storage) -> [Raw<Base>?])?

  var isLeaf: Bool { backward == nil && inputs.isEmpty && op == "leaf" }

  init(op: String, count: Int, dtype: DType, inputs: [TapeEdge<Base>], backward: ((Base.Storage) -> [Raw<Base>?])?) {
    id = nextNodeID.add(1, ordering: .relaxed).newValue
    self.op = op
    self.count = count
    self.dtype = dtype
    self.inputs = inputs
    self.backward = backward
  }
}

/// Node ids increase with creation, so walking ids downward visits every node after all the
/// nodes that consumed its output.
let nextNodeID = Atomic<Int>(0)

/// Whether ops record tape nodes (see ``withoutGrad(_:)``).
public enum GradMode {
  @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording gradients (evaluation, optimizer updates).
///
/// ```swift
/// let accuracy = withoutGrad { model(testImages).argmax(axis: 1) }
/// ```
public func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
  try GradMode.$isEnabled.withValue(false, operation: body)
}
