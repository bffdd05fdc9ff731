import BornCore
import Dispatch

/// A collection of samples that can be fetched in batches by index.
public protocol BatchDataset: Sendable {
  associatedtype Batch: Sendable
  /// The number of samples.
  var count: Int { get }
  /// The samples at `indices`, as one batch.
  func batch(_ indices: [Int]) -> Batch
}

/// Iterates a dataset in batches: deterministic shuffling from a seed (a different order each
/// epoch), an optional smaller last batch, and the next batch prepared on a background thread
/// while the current one is used.
///
/// ```swift
/// let loader = DataLoader(train, batchSize: 64, shuffle: true, seed: 42)
/// for batch in loader.epoch(0) { ... }
/// ```
public struct DataLoader<Dataset: BatchDataset>: Sendable {
  public let dataset: Dataset
  public let batchSize: Int
  public let shuffle: Bool
  public let seed: UInt64
  public let dropLast: Bool
  public let prefetch: Bool

  public init(
    _ dataset: Dataset, batchSize: Int, shuffle: Bool = false, seed: UInt64 = 0, dropLast: Bool = false,
    prefetch: Bool = true
  ) {
    precondition(batchSize > 0, "DataLoader: batch size \(batchSize) must be positive")
    self.dataset = dataset
    self.batchSize = batchSize
    self.shuffle = shuffle
    self.seed = seed
    self.dropLast = dropLast
    self.prefetch = prefetch
  }

  /// Batches per epoch.
  public var batchesPerEpoch: Int {
    dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
  }

  /// The sample order of `epoch` (a permutation when shuffling, identity otherwise).
  public func order(epoch: Int) -> [Int] {
    var indices = Array(0..<dataset.count)
    guard shuffle else { return indices }
    var g = RandomGenerator(seed: seed &+ UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15)
    // Fisher–Yates with the project's generator, so orders are the same on every machine.
    var i = indices.count - 1
    while i > 0 {
      let j = Int(g.next(upperBound: UInt64(i + 1)))
      indices.swapAt(i, j)
      i -= 1
    }
    return indices
  }

  /// The batches of one epoch, starting at batch `start` (to resume mid-epoch).
  public func epoch(_ epoch: Int, startingAt start: Int = 0) -> Epoch {
    Epoch(loader: self, order: order(epoch: epoch), next: start)
  }

  /// One pass over the dataset.
  public struct Epoch: Sequence, IteratorProtocol {
    let loader: DataLoader
    let order: [Int]
    /// The index of the next batch to return (the position to save for resuming).
    public private(set) var position: Int
    var pending: Pending?

    init(loader: DataLoader, order: [Int], next: Int) {
      self.loader = loader
      self.order = order
      self.position = next
    }

    func indices(of batch: Int) -> [Int]? {
      guard batch < loader.batchesPerEpoch else { return nil }
      let start = batch * loader.batchSize
      return Array(order[start..<Swift.min(start + loader.batchSize, order.count)])
    }

    public mutating func next() -> Dataset.Batch? {
      guard let idx = indices(of: position) else { return nil }
      let current = pending?.wait() ?? loader.dataset.batch(idx)
      position += 1
      pending = nil
      if loader.prefetch, let upcoming = indices(of: position) {
        pending = Pending(loader.dataset, upcoming)
      }
      return current
    }
  }

  /// A batch being prepared on a background thread.
  final class Pending: @unchecked Sendable {
    private var value: Dataset.Batch?
    private let done = DispatchSemaphore(value: 0)

    init(_ dataset: Dataset, _ indices: [Int]) {
      DispatchQueue.global().async {
        self.value = dataset.batch(indices)
        self.done.signal()
      }
    }

    func wait() -> Dataset.Batch {
      done.wait()
      return value!
    }
  }
}
