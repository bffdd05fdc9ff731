import BornCore
import BornNN
import BornOptim
import FoundationEssentials

/// Everything needed to continue training exactly where it stopped, stored in one `.born` file:
/// the model's state dict, the optimizer's state, the scheduler, random generators, the data
/// loader's position and the epoch/step counters.
///
/// ```swift
/// var ck = Checkpoint(model: model, optimizer: opt, epoch: epoch, batch: i + 1, step: step)
/// try ck.setScheduler(schedule)
/// try ck.write(to: "run.ckpt.born")           // atomic: old or new file, never a mix
///
/// let resumed = try Checkpoint.read(from: "run.ckpt.born")
/// try model.load(resumed.model)
/// try opt.importState(resumed.optimizer!)
/// schedule = try resumed.scheduler(as: OneCycleLR.self)!
/// ```
///
/// Optimizer buffers are stored as f64 tensors (exact for every float type) and the rest as JSON
/// metadata, so a resumed run produces bit-identical parameters.
public struct Checkpoint: Sendable {
  /// The model's parameters and buffers by key.
  public var model: [String: StoredTensor]
  /// The optimizer's state, if any.
  public var optimizer: OptimizerState?
  /// The scheduler, JSON-encoded (see ``setScheduler(_:)``).
  public var schedulerJSON: String?
  /// Named random generators (dropout, augmentation, ...).
  public var generators: [String: RandomGenerator]
  /// The epoch in progress and the number of its batches already trained: the data loader
  /// resumes with `loader.epoch(epoch, startingAt: batch)`.
  public var epoch: Int
  public var batch: Int
  /// Optimizer steps taken in all.
  public var step: Int
  /// Free-form strings (run configuration, ...). Keys starting with `checkpoint.` are reserved.
  public var metadata: [String: String]

  /// A checkpoint from its parts.
  public init(
    model: [String: StoredTensor], optimizer: OptimizerState? = nil, schedulerJSON: String? = nil,
    generators: [String: RandomGenerator] = [:], epoch: Int = 0, batch: Int = 0, step: Int = 0,
    metadata: [String: String] = [:]
  ) {
    self.model = model
    self.optimizer = optimizer
    self.schedulerJSON = schedulerJSON
    self.generators = generators
    self.epoch = epoch
    self.batch = batch
    self.step = step
    self.metadata = metadata
  }

  /// A checkpoint of `model` and `optimizer` at a position.
  public init<M: Module, O: Optimizer>(
    model: M, optimizer: O, epoch: Int, batch: Int, step: Int, metadata: [String: String] = [:]
  ) {
    self.init(
      model: model.stateDictionary, optimizer: optimizer.exportState(), epoch: epoch, batch: batch, step: step,
      metadata: metadata)
  }

  /// Stores a scheduler (any `Codable` one: all of BornOptim's are).
  public mutating func setScheduler<S: Encodable>(_ scheduler: S) throws(ModelFileError) {
    do {
      schedulerJSON = String(decoding: try JSONEncoder().encode(scheduler), as: UTF8.self)
    } catch {
      throw .unwritable(path: "<checkpoint>", reason: "cannot encode the scheduler: \(error)")
    }
  }

  /// The stored scheduler decoded as `S`, or nil when none was stored.
  public func scheduler<S: Decodable>(as _: S.Type) throws(ModelFileError) -> S? {
    guard let schedulerJSON else { return nil }
    do {
      return try JSONDecoder().decode(S.self, from: Data(schedulerJSON.utf8))
    } catch {
      throw .malformed(path: "<checkpoint>", field: "checkpoint.scheduler", offset: 0, reason: "\(error)")
    }
  }

  static let modelPrefix = "model/"
  static let optimizerPrefix = "optimizer/"

  /// The optimizer state without its buffers (they are tensors in the file).
  struct OptimizerHeader: Codable {
    var optimizer: String
    var stepCount: Int
    var groups: [[String: Double]]
    /// Per parameter: its step count and buffer names.
    var parameters: [String: ParameterHeader]
  }

  struct ParameterHeader: Codable {
    var step: Int
    var buffers: [String]
  }

  /// Writes the checkpoint as a `.born` file, atomically (``AtomicFile``): after a crash at any
  /// moment the path holds the previous checkpoint or this one.
  public func write(to path: String) throws(ModelFileError) {
    var tensors: [String: StoredTensor] = [:]
    for (k, v) in model { tensors[Checkpoint.modelPrefix + k] = v }
    var meta = metadata.filter { !$0.key.hasPrefix("checkpoint.") }
    meta["checkpoint.version"] = "1"
    meta["checkpoint.epoch"] = String(epoch)
    meta["checkpoint.batch"] = String(batch)
    meta["checkpoint.step"] = String(step)
    if let schedulerJSON { meta["checkpoint.scheduler"] = schedulerJSON }
    for (name, g) in generators {
      meta["checkpoint.rng." + name] = [g.state.0, g.state.1, g.state.2, g.state.3].map { String($0) }.joined(
        separator: " ")
    }
    if let optimizer {
      var parameters: [String: ParameterHeader] = [:]
      for (key, p) in optimizer.parameters {
        parameters[key] = ParameterHeader(step: p.step, buffers: p.buffers.keys.sorted())
        for (name, b) in p.buffers {
          let bytes = b.values.withUnsafeBytes { Array($0) }
          tensors[Checkpoint.optimizerPrefix + key + "/" + name] = StoredTensor(
            dtype: .f64, shape: b.shape, bytes: bytes)
        }
      }
      let header = OptimizerHeader(
        optimizer: optimizer.optimizer, stepCount: optimizer.stepCount, groups: optimizer.groups, parameters: parameters
      )
      do {
        meta["checkpoint.optimizer"] = String(decoding: try JSONEncoder().encode(header), as: UTF8.self)
      } catch {
        throw .unwritable(path: path, reason: "cannot encode the optimizer state: \(error)")
      }
    }
    try BornFile.write(tensors, metadata: meta, to: path)
  }

  /// Reads a checkpoint written by ``write(to:)`` (checksum verified).
  public static func read(from path: String) throws(ModelFileError) -> Checkpoint {
    let file = try BornFile.read(path)
    func fail(_ field: String, _ reason: String) -> ModelFileError {
      .malformed(path: path, field: field, offset: 0, reason: reason)
    }
    guard file.metadata["checkpoint.version"] == "1" else {
      throw fail("checkpoint.version", "not a Born checkpoint (a model file saved without training state?)")
    }
    func int(_ key: String) throws(ModelFileError) -> Int {
      guard let s = file.metadata[key], let v = Int(s), v >= 0 else { throw fail(key, "missing or not a count") }
      return v
    }
    var ck = Checkpoint(
      model: [:], epoch: try int("checkpoint.epoch"), batch: try int("checkpoint.batch"),
      step: try int("checkpoint.step"))
    ck.schedulerJSON = file.metadata["checkpoint.scheduler"]
    for (k, v) in file.metadata {
      if k.hasPrefix("checkpoint.rng.") {
        let words = v.split(separator: " ").compactMap { UInt64($0) }
        guard words.count == 4 else { throw fail(k, "expected four 64-bit words") }
        var g = RandomGenerator(seed: 0)
        g.state = (words[0], words[1], words[2], words[3])
        ck.generators[String(k.dropFirst("checkpoint.rng.".count))] = g
      } else if !k.hasPrefix("checkpoint.") {
        ck.metadata[k] = v
      }
    }
    for (name, t) in file.tensors where name.hasPrefix(modelPrefix) {
      ck.model[String(name.dropFirst(modelPrefix.count))] = t
    }
    if let json = file.metadata["checkpoint.optimizer"] {
      let header: OptimizerHeader
      do {
        header = try JSONDecoder().decode(OptimizerHeader.self, from: Data(json.utf8))
      } catch {
        throw fail("checkpoint.optimizer", "invalid optimizer state (\(error))")
      }
      var parameters: [String: ParameterState] = [:]
      for (key, p) in header.parameters {
        var buffers: [String: StateBuffer] = [:]
        for name in p.buffers {
          let tensorName = optimizerPrefix + key + "/" + name
          guard let t = file.tensors[tensorName], t.dtype == .f64 else {
            throw fail(tensorName, "optimizer buffer missing or not f64")
          }
          let values = t.withUnsafeBytes { raw in
            (0..<raw.count / 8).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) }
          }
          buffers[name] = StateBuffer(shape: t.shape, values: values)
        }
        parameters[key] = ParameterState(step: p.step, buffers: buffers)
      }
      ck.optimizer = OptimizerState(
        optimizer: header.optimizer, stepCount: header.stepCount, groups: header.groups, parameters: parameters)
    }
    return ck
  }
}
