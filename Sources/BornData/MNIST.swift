import BornCore
import FoundationEssentials

/// Images and labels in the MNIST layout (also Fashion-MNIST): 28×28 grayscale bytes and class
/// labels 0–9, read from the four IDX files.
///
/// ```swift
/// let train = try MNIST(directory: "Data/mnist", split: .train)
/// let loader = DataLoader(train, batchSize: 64, shuffle: true, seed: 1)
/// for batch in loader.epoch(0) {
///   let (x, y): (Tensor<Float, CPU>, Tensor<Int64, CPU>) = batch.tensors()
/// }
/// ```
public struct MNIST: BatchDataset {
  public enum Split: String, Sendable {
    case train, test
    var prefix: String { self == .train ? "train" : "t10k" }
  }

  /// Pixels, row-major [count, rows, cols].
  public let pixels: [UInt8]
  /// Labels 0–9.
  public let labels: [UInt8]
  public let count: Int
  public let rows: Int
  public let cols: Int
  /// Normalization applied to pixels scaled to [0, 1]: (p - mean) / std.
  public var mean: Float
  public var std: Float

  /// The training set's pixel mean and standard deviation (of values in [0, 1]).
  public static let standardMean: Float = 0.1307
  public static let standardStd: Float = 0.3081

  /// Loads a split from `directory`, accepting `.gz` or uncompressed files.
  public init(directory: String, split: Split, mean: Float = MNIST.standardMean, std: Float = MNIST.standardStd) throws
  {
    func find(_ base: String) throws -> String {
      for name in [base + ".gz", base] {
        let path = directory + "/" + name
        if FileManager.default.fileExists(atPath: path) { return path }
      }
      throw DataFileError.unreadable(path: directory + "/" + base + "[.gz]", reason: "no such file")
    }
    let imagesPath = try find("\(split.prefix)-images-idx3-ubyte")
    let labelsPath = try find("\(split.prefix)-labels-idx1-ubyte")
    try self.init(
      images: IDXArray(contentsOf: imagesPath), imagesPath: imagesPath, labels: IDXArray(contentsOf: labelsPath),
      labelsPath: labelsPath, mean: mean, std: std)
  }

  /// Builds the dataset from parsed IDX arrays, checking ranks, counts and label values.
  public init(
    images: IDXArray, imagesPath: String, labels: IDXArray, labelsPath: String, mean: Float = MNIST.standardMean,
    std: Float = MNIST.standardStd
  ) throws {
    guard images.dimensions.count == 3 else {
      throw DataFileError.wrongRank(path: imagesPath, expected: 3, found: images.dimensions.count)
    }
    guard labels.dimensions.count == 1 else {
      throw DataFileError.wrongRank(path: labelsPath, expected: 1, found: labels.dimensions.count)
    }
    guard images.dimensions[0] == labels.dimensions[0] else {
      throw DataFileError.countMismatch(
        images: imagesPath, imageCount: images.dimensions[0], labels: labelsPath, labelCount: labels.dimensions[0])
    }
    if let bad = labels.bytes.firstIndex(where: { $0 > 9 }) {
      throw DataFileError.labelOutOfRange(path: labelsPath, index: bad, value: Int(labels.bytes[bad]))
    }
    pixels = images.bytes
    self.labels = labels.bytes
    count = images.dimensions[0]
    rows = images.dimensions[1]
    cols = images.dimensions[2]
    self.mean = mean
    self.std = std
  }

  /// The first `n` samples (for quick runs and tests).
  public func prefix(_ n: Int) -> MNIST {
    let k = min(n, count)
    return MNIST(
      pixels: Array(pixels[0..<(k * rows * cols)]), labels: Array(labels[0..<k]), count: k, rows: rows, cols: cols,
      mean: mean, std: std)
  }

  private init(pixels: [UInt8], labels: [UInt8], count: Int, rows: Int, cols: Int, mean: Float, std: Float) {
    self.pixels = pixels
    self.labels = labels
    self.count = count
    self.rows = rows
    self.cols = cols
    self.mean = mean
    self.std = std
  }

  /// A batch of normalized images [n, 1, rows, cols] and labels, as host arrays.
  public struct Batch: Sendable {
    public var images: [Float]
    public var labels: [Int64]
    public var count: Int
    public var rows: Int
    public var cols: Int

    /// The batch as tensors: images [n, 1, rows, cols], labels [n].
    public func tensors<B: Backend>(on device: B.Device = B.defaultDevice) -> (Tensor<Float, B>, Tensor<Int64, B>) {
      (Tensor<Float, B>(images, shape: [count, 1, rows, cols], on: device), Tensor<Int64, B>(labels, on: device))
    }
  }

  public func batch(_ indices: [Int]) -> Batch {
    let size = rows * cols
    var images = [Float](repeating: 0, count: indices.count * size)
    let scale = 1 / (255 * std)
    let shift = mean / std
    pixels.withUnsafeBufferPointer { p in
      images.withUnsafeMutableBufferPointer { out in
        for (b, i) in indices.enumerated() {
          let src = p.baseAddress! + i * size
          let dst = out.baseAddress! + b * size
          for j in 0..<size { dst[j] = Float(src[j]) * scale - shift }
        }
      }
    }
    return Batch(
      images: images, labels: indices.map { Int64(labels[$0]) }, count: indices.count, rows: rows, cols: cols)
  }
}
