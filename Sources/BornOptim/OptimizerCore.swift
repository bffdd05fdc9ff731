import BornAutodiff
import BornCore
import BornNN

/// The state an optimizer keeps for one parameter, on the parameter's backend.
struct ParameterSlot<Element: FloatElement, Base: Backend> {
  /// Updates applied to the parameter, this one included while an update runs.
  var step = 0
  /// Named buffers with the parameter's shape.
  var buffers: [String: Tensor<Element, Base>] = [:]

  /// Removes and returns buffer `name`, so that an update holding the only reference can
  /// write the new value into its storage.
  mutating func take(_ name: String) -> Tensor<Element, Base>? {
    buffers.removeValue(forKey: name)
  }
}

/// What every optimizer shares: parameter groups, per-parameter state keyed by dotted key, the
/// loop over a model's parameters, and state export and import.
struct OptimizerCore<Options: OptimizerOptions, Element: FloatElement, Base: Backend> {
  typealias Slot = ParameterSlot<Element, Base>
  typealias Value = Tensor<Element, Base>
  /// Updates a parameter in place from its gradient, its state and its group's options.
  typealias Update = (_ parameter: inout Value, _ gradient: Value, _ slot: inout Slot, _ options: Options) -> Void

  /// The name written into exported states.
  let kind: String
  var groups: ParameterGroups<Options>
  var stepCount = 0
  var slots: [String: Slot] = [:]
  /// Imported parameter states not yet placed on a device; each moves to its parameter's
  /// device at the parameter's next update.
  var pending: [String: ParameterState] = [:]

  init(kind: String, defaults: Options) {
    self.kind = kind
    self.groups = ParameterGroups(defaults: defaults)
  }

  /// Runs `update` for every parameter of `model` that has a gradient and replaces the
  /// parameter with a fresh leaf holding the result.
  mutating func step<M: Module>(_ model: inout M, gradients: Gradients<Base>, update: Update)
  where M.Element == Element, M.B == Autodiff<Base> {
    stepCount += 1
    model.visitParameters { key, parameter in
      guard let gradient = gradients[parameter] else { return }
      var slot = takeSlot(key, device: parameter.device)
      slot.step += 1
      var value = parameter.baseTensor()
      update(&value, gradient, &slot, groups.options(forKey: key))
      slots[key] = slot
      parameter = Tensor(constant: value).requiringGrad()
    }
  }

  /// The state of parameter `key`, moved out of the table (fresh when there is none).
  private mutating func takeSlot(_ key: String, device: Base.Device) -> Slot {
    if let slot = slots.removeValue(forKey: key) { return slot }
    guard let saved = pending.removeValue(forKey: key) else { return Slot() }
    var slot = Slot(step: saved.step)
    for (name, buffer) in saved.buffers {
      slot.buffers[name] = buffer.tensor(Element.self, on: device)
    }
    return slot
  }

  func exportState() -> OptimizerState {
    var parameters = pending
    for (key, slot) in slots {
      parameters[key] = ParameterState(step: slot.step, buffers: slot.buffers.mapValues { StateBuffer($0) })
    }
    return OptimizerState(
      optimizer: kind, stepCount: stepCount, groups: groups.allOptions.map(\.hyperparameters), parameters: parameters)
  }

  mutating func importState(_ state: OptimizerState) throws(OptimizerStateError) {
    guard state.optimizer == kind else { throw .optimizerMismatch(expected: kind, found: state.optimizer) }
    guard state.groups.count == groups.count else {
      throw .groupCountMismatch(expected: groups.count, found: state.groups.count)
    }
    var options: [Options] = []
    for values in state.groups { options.append(try Options(hyperparameters: values)) }
    for (key, parameter) in state.parameters {
      for (name, buffer) in parameter.buffers where buffer.values.count != Shape(buffer.shape).elementCount {
        throw .malformedBuffer(parameter: key, buffer: name)
      }
    }
    for (i, o) in options.enumerated() { groups[i] = o }
    stepCount = state.stepCount
    slots = [:]
    pending = state.parameters
  }
}

// MARK: - Arithmetic helpers shared by the update rules

/// `value` as an element (Python floats become tensor scalars the same way in PyTorch).
@inline(__always) func scalar<E: FloatElement>(_ value: Double) -> E { E(bornConverting: value) }

/// `start + weight · (end − start)`, computed as PyTorch's `lerp` does (from the nearer end).
func lerp<E: FloatElement, B: Backend>(_ start: Tensor<E, B>, _ end: Tensor<E, B>, weight: Double) -> Tensor<E, B> {
  if Swift.abs(weight) < 0.5 {
    return start + (end - start) * scalar(weight)
  }
  return end - (end - start) * scalar(1 - weight)
}

/// PyTorch's L2 weight decay: `gradient + decay · parameter`.
func addingWeightDecay<E: FloatElement, B: Backend>(
  _ gradient: Tensor<E, B>, _ parameter: Tensor<E, B>, _ decay: Double
) -> Tensor<E, B> {
  decay == 0 ? gradient : gradient + parameter * scalar(decay)
}

extension Bool {
  /// 1 for true, 0 for false (hyperparameters are exported as numbers).
  var asHyperparameter: Double { self ? 1 : 0 }
}

/// `t` as a contiguous buffer starting at offset 0 (copied when it is not one).
func flat<E: TensorElement, B: Backend>(_ t: Tensor<E, B>) -> Tensor<E, B> {
  t.layout.isContiguous && t.layout.offset == 0 ? t : t.copied()
}

/// A state buffer the fused kernels may update in place: `existing` when it is a uniquely
/// referenced flat buffer, a copy of it otherwise, or zeros shaped like `param`.
func writable<E: TensorElement, B: Backend>(_ existing: consuming Tensor<E, B>?, like param: Tensor<E, B>) -> Tensor<
  E, B
> {
  // Moved out of the parameter, so the buffer taken from the optimizer's slot is referenced
  // once (a copy of the parameter would make every state buffer look shared and be copied).
  guard var t = existing.take() else { return .zeros(param.shape, on: param.device) }
  if t.layout.isContiguous && t.layout.offset == 0 && B.isUniquelyReferenced(&t.storage) { return t }
  return t.copied()
}
