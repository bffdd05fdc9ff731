import BornCore

/// Gradients of the leaves reached by a backward pass, keyed by leaf.
///
/// ```swift
/// let grads = loss.backward()
/// let gw: Tensor<Float, CPU>? = grads[w]
/// ```
public struct Gradients<Base: Backend>: Sendable {
  struct Buffer: @unchecked Sendable {
    var storage: Base.Storage
    var dtype: DType
    var count: Int
  }

  /// Gradient buffers by leaf node id; each covers the leaf's whole storage.
  var buffers: [Int: Buffer] = [:]

  public init() {}

  /// The number of leaves with a gradient.
  public var count: Int { buffers.count }

  /// The gradient of `tensor` (a leaf made with `requiringGrad()`), in the tensor's shape, or
  /// nil when the backward pass did not reach it.
  public subscript<E: FloatElement>(_ tensor: Tensor<E, Autodiff<Base>>) -> Tensor<E, Base>? {
    guard let node = tensor.storage.node, node.isLeaf, let b = buffers[node.id] else { return nil }
    return Tensor<E, Base>(storage: b.storage, layout: tensor.layout)
  }

  /// Adds the gradients of `other` to these (leaves in either are kept), for accumulating
  /// over several backward passes.
  public mutating func accumulate(_ other: Gradients<Base>) {
    for (id, g) in other.buffers {
      guard let mine = buffers[id] else {
        buffers[id] = g
        continue
      }
      let out = Base.allocate(g.count, dtype: g.dtype, on: Base.device(of: g.storage))
      let l = Layout(contiguous: [g.count])
      Base.binary(.add, mine.storage, l, g.storage, l, into: out, dtype: g.dtype)
      buffers[id] = Buffer(storage: out, dtype: g.dtype, count: g.count)
    }
  }
}

extension Tensor {
  /// The values on the base backend (no tape), sharing storage.
  public func baseTensor<Base>() -> Tensor<Element, Base> where B == Autodiff<Base> {
    Tensor<Element, Base>(storage: storage.base, layout: layout)
  }

  /// Wraps a base-backend tensor as a constant of the autodiff backend (sharing storage).
  public init<Base>(constant base: Tensor<Element, Base>) where B == Autodiff<Base> {
    let count = base.layout.storageExtent
    self.init(storage: AutodiffStorage<Base>(base.storage, count: count), layout: base.layout)
  }

}

extension Tensor where Element: FloatElement {
  /// A leaf that gradients are computed for: same values, sharing storage with this tensor's
  /// base buffer.
  ///
  /// ```swift
  /// let w = Tensor<Float, Autodiff<CPU>>.randn([3, 3]).requiringGrad()
  /// ```
  public func requiringGrad<Base>() -> Tensor where B == Autodiff<Base> {
    let leaf = AutodiffStorage<Base>(storage.base, count: storage.count)
    leaf.node = TapeNode(op: "leaf", count: storage.count, dtype: Element.dtype, inputs: [], backward: nil)
    return Tensor(storage: leaf, layout: layout)
  }

  /// Whether this tensor is tracked (a leaf requiring gradients or computed from one).
  public func requiresGrad<Base>() -> Bool where B == Autodiff<Base> { storage.node != nil }

  /// The same values, cut off from the tape (a constant for later ops).
  public func detached<Base>() -> Tensor where B == Autodiff<Base> {
    Tensor(storage: AutodiffStorage<Base>(storage.base, count: storage.count), layout: layout)
  }

  /// Backpropagates from this tensor and returns the gradients of every leaf it depends on.
  ///
  /// Without `seed` the tensor must have one element (a loss) and its gradient is 1; with a
  /// seed of the tensor's shape, that is the starting gradient. Stops with a message when the
  /// path to a leaf goes through an op that has no derivative rule.
  public func backward<Base>(seed: Tensor<Element, Base>? = nil) -> Gradients<Base> where B == Autodiff<Base> {
    guard let root = storage.node else {
      preconditionFailure("backward: \(_signature) does not depend on any tensor that requires gradients")
    }
    if let seed {
      check(seed.shape == shape, "backward: seed \(seed._signature) does not match \(_signature)")
    } else {
      check(
        count == 1, "backward: \(_signature) has \(count) elements; pass a seed gradient or reduce it to a scalar first"
      )
    }
    let seedTensor = seed ?? Tensor<Element, Base>.ones(shape, on: device)
    // The root's gradient buffer covers its whole storage; the seed goes where this view reads.
    let rootBuffer = Base.allocate(root.count, dtype: Element.dtype, on: device)
    Base.fill(rootBuffer, count: root.count, value: 0, dtype: Element.dtype)
    Base.copy(seedTensor.storage, seedTensor.layout, into: rootBuffer, layout, dtype: Element.dtype)
    return Autodiff<Base>.runBackward(from: root, gradient: rootBuffer)
  }
}

/// Stops with a message (a `check` for this module).
@inline(__always) func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
  precondition(condition(), message())
}

extension Autodiff {
  /// Walks the graph under `root` from the newest node to the oldest, calling each rule once
  /// with the sum of the gradients flowing into its output.
  static func runBackward(from root: TapeNode<Base>, gradient: Base.Storage) -> Gradients<Base> {
    // Collect the reachable nodes.
    var seen = Set<Int>()
    var order: [TapeNode<Base>] = []
    var stack = [root]
    while let n = stack.popLast() {
      if !seen.insert(n.id).inserted { continue }
      order.append(n)
      for e in n.inputs { if let m = e.node, !seen.contains(m.id) { stack.append(m) } }
    }
    order.sort { $0.id > $1.id }
    var pending: [Int: Base.Storage] = [root.id: gradient]
    var result = Gradients<Base>()
    for node in order {
      guard let g = pending.removeValue(forKey: node.id) else { continue }
      if node.isLeaf {
        result.buffers[node.id] = Gradients<Base>.Buffer(storage: g, dtype: node.dtype, count: node.count)
        continue
      }
      guard let rule = node.backward else {
        preconditionFailure(
          "backward: no gradient rule for '\(node.op)' (\(node.dtype)); it was applied to a tensor that requires gradients"
        )
      }
      let grads = rule(g)
      for (edge, gi) in zip(node.inputs, grads) {
        guard let target = edge.node, let gi else { continue }
        pending[target.id] = accumulate(pending[target.id], gi, edge.layout, count: target.count, dtype: target.dtype)
      }
    }
    return result
  }

  /// Adds `g` (with `layout`'s shape, in any layout) into a gradient buffer of `count`
  /// elements at the positions `layout` reads. Axes the input was broadcast along are summed
  /// first. Buffers are never modified in place (rules may return aliases of their input
  /// gradient); a gradient already laid out like the buffer is taken as it is.
  static func accumulate(_ existing: Base.Storage?, _ g: Raw<Base>, _ layout: Layout, count: Int, dtype: DType)
    -> Base.Storage
  {
    var grad = g
    var target = layout
    var broadcastAxes = AxisSet()
    for i in 0..<layout.rank where layout.strides[i] == 0 && layout.shape[i] > 1 { broadcastAxes.insert(i) }
    if !broadcastAxes.isEmpty {
      grad = grad.sum(broadcastAxes)
      for i in 0..<layout.rank where broadcastAxes.contains(i) { target.shape[i] = 1 }
    }
    let device = Base.device(of: g.storage)
    let flat = Layout(contiguous: [count])
    let covers = coversBuffer(target, count: count)
    if covers && sameStrides(grad.layout, target) && grad.layout.offset == 0 {
      // The gradient is already the buffer, element for element.
      guard let existing else { return grad.storage }
      let out = Base.allocate(count, dtype: dtype, on: device)
      Base.binary(.add, existing, flat, grad.storage, flat, into: out, dtype: dtype)
      return out
    }
    let out = Base.allocate(count, dtype: dtype, on: device)
    if existing == nil && covers {
      Base.copy(grad.storage, grad.layout, into: out, target, dtype: dtype)
      return out
    }
    if let existing {
      Base.copy(existing, flat, into: out, flat, dtype: dtype)
    } else {
      Base.fill(out, count: count, value: 0, dtype: dtype)
    }
    // out[target] += grad
    let sum = Base.allocate(target.elementCount, dtype: dtype, on: device)
    Base.binary(.add, out, target, grad.storage, grad.layout, into: sum, dtype: dtype)
    Base.copy(sum, Layout(contiguous: target.shape), into: out, target, dtype: dtype)
    return out
  }

  /// Whether `layout` reaches every element of a `count`-element buffer exactly once.
  static func coversBuffer(_ layout: Layout, count: Int) -> Bool {
    guard layout.offset == 0, layout.elementCount == count else { return false }
    var dims: [(size: Int, stride: Int)] = []
    for i in 0..<layout.rank where layout.shape[i] > 1 { dims.append((layout.shape[i], layout.strides[i])) }
    dims.sort { $0.stride < $1.stride }
    var expected = 1
    for d in dims {
      if d.stride != expected { return false }
      expected *= d.size
    }
    return true
  }

  /// Whether two layouts of one shape have the same strides on every axis longer than 1.
  static func sameStrides(_ a: Layout, _ b: Layout) -> Bool {
    guard a.shape == b.shape else { return false }
    for i in 0..<a.rank where a.shape[i] > 1 && a.strides[i] != b.strides[i] { return false }
    return true
  }
}
