import Born
import BornTestSupport
import FoundationEssentials
import Testing

#if canImport(Glibc)
  import Glibc
#endif

let mnistDirectory: String = {
  var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)  // Tests/BornDataTests/MNISTTests.swift
  return parts.joined(separator: "/") + "/Data/mnist"
}()

func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> String {
  let dir = FileManager.default.temporaryDirectory.path + "/born-data-tests-\(getpid())"
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  let path = dir + "/" + name
  try Data(bytes).write(to: URL(fileURLWithPath: path))
  return path
}

func idxHeader(_ dims: [Int], rank: UInt8? = nil, type: UInt8 = 8) -> [UInt8] {
  var h: [UInt8] = [0, 0, type, rank ?? UInt8(dims.count)]
  for d in dims { h += [UInt8((d >> 24) & 255), UInt8((d >> 16) & 255), UInt8((d >> 8) & 255), UInt8(d & 255)] }
  return h
}

@Suite("MNIST and IDX files")
struct MNISTTests {
  @Test func readsTheRealFiles() throws {
    let train = try MNIST(directory: mnistDirectory, split: .train)
    let test = try MNIST(directory: mnistDirectory, split: .test)
    #expect(train.count == 60000 && test.count == 10000)
    #expect(train.rows == 28 && train.cols == 28)
    // The well-known first labels of each split.
    #expect(Array(train.labels.prefix(10)) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    #expect(Array(test.labels.prefix(10)) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
    var histogram = [Int](repeating: 0, count: 10)
    for l in test.labels { histogram[Int(l)] += 1 }
    #expect(histogram == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    let b = test.batch([0, 1])
    #expect(b.images.count == 2 * 784 && b.labels == [7, 2])
    let (x, y): (Tensor<Float, CPU>, Tensor<Int64, CPU>) = b.tensors()
    #expect(x.shape == [2, 1, 28, 28] && y.shape == [2])
    // Background pixels map to -mean/std.
    #expect(abs(b.images[0] - (-0.1307 / 0.3081)) < 1e-5)
  }

  @Test func rejectsMalformedFiles() throws {
    func error(_ bytes: [UInt8], _ name: String) -> DataFileError? {
      do {
        _ = try IDXArray(contentsOf: try temporaryFile(name, bytes))
        return nil
      } catch let e as DataFileError {
        return e
      } catch {
        return nil
      }
    }
    let good = idxHeader([2, 3]) + [UInt8](repeating: 7, count: 6)
    #expect(error(good, "good.idx") == nil)
    guard case .badMagic(let p, _)? = error([1, 2, 3, 4] + good.dropFirst(4), "magic.idx") else {
      Issue.record("wrong magic not rejected")
      return
    }
    #expect(p.hasSuffix("magic.idx"))
    guard case .truncated(_, 13, 12)? = error(idxHeader([5]) + [1, 2, 3, 4], "short.idx") else {
      Issue.record("truncated data not rejected")
      return
    }
    guard case .absurdDimensions? = error(idxHeader([0x7FFF_FFFF, 0x7FFF_FFFF, 0x7FFF_FFFF]), "huge.idx") else {
      Issue.record("absurd dimensions not rejected")
      return
    }
    guard case .absurdDimensions? = error(idxHeader([0, 3]), "zero.idx") else {
      Issue.record("zero dimension not rejected")
      return
    }
    guard case .unsupportedElementType? = error(idxHeader([2], type: 0x0D) + [0, 0, 0, 0, 0, 0, 0, 0], "float.idx")
    else {
      Issue.record("unsupported type not rejected")
      return
    }
    guard case .truncated? = error([0, 0, 8], "tiny.idx") else {
      Issue.record("3-byte file not rejected")
      return
    }
    guard case .corruptGzip? = error([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3], "bad.gz") else {
      Issue.record("corrupt gzip not rejected")
      return
    }
    // A real gzip file cut in half.
    let real = [UInt8](try Data(contentsOf: URL(fileURLWithPath: mnistDirectory + "/t10k-labels-idx1-ubyte.gz")))
    guard case .corruptGzip? = error(Array(real.prefix(real.count / 2)), "half.gz") else {
      Issue.record("truncated gzip not rejected")
      return
    }
    #expect(throws: DataFileError.self) { try IDXArray(contentsOf: "/nonexistent/born/file.idx") }
    do {
      _ = try IDXArray(contentsOf: "/nonexistent/born/file.idx")
    } catch let e as DataFileError {
      #expect(e.description.contains("/nonexistent/born/file.idx"))
    }
  }

  @Test func rejectsMismatchedCounts() throws {
    let images = try IDXArray(parsing: idxHeader([3, 2, 2]) + [UInt8](repeating: 0, count: 12), path: "i")
    let labels = try IDXArray(parsing: idxHeader([2]) + [1, 2], path: "l")
    #expect(throws: DataFileError.countMismatch(images: "i", imageCount: 3, labels: "l", labelCount: 2)) {
      try MNIST(images: images, imagesPath: "i", labels: labels, labelsPath: "l")
    }
    let badLabel = try IDXArray(parsing: idxHeader([3]) + [1, 12, 2], path: "l")
    #expect(throws: DataFileError.labelOutOfRange(path: "l", index: 1, value: 12)) {
      try MNIST(images: images, imagesPath: "i", labels: badLabel, labelsPath: "l")
    }
  }

  @Test func loaderShufflesDeterministically() throws {
    let test = try MNIST(directory: mnistDirectory, split: .test).prefix(100)
    let a = DataLoader(test, batchSize: 32, shuffle: true, seed: 7)
    let b = DataLoader(test, batchSize: 32, shuffle: true, seed: 7)
    #expect(a.order(epoch: 0) == b.order(epoch: 0))
    #expect(a.order(epoch: 0) != a.order(epoch: 1))
    #expect(Set(a.order(epoch: 3)) == Set(0..<100))
    let batches = Array(a.epoch(0))
    #expect(batches.map(\.count) == [32, 32, 32, 4])
    let labels = batches.flatMap(\.labels)
    #expect(labels == a.order(epoch: 0).map { Int64(test.labels[$0]) })
    let dropped = DataLoader(test, batchSize: 32, dropLast: true)
    #expect(Array(dropped.epoch(0)).map(\.count) == [32, 32, 32])
    // Resuming at batch 2 gives the same batches as the tail of a full epoch.
    let tail = Array(a.epoch(0, startingAt: 2)).flatMap(\.labels)
    #expect(tail == Array(labels[64...]))
  }
}
