import FoundationEssentials

/// An IDX array of unsigned bytes (the MNIST file format): dimensions and row-major data.
public struct IDXArray: Sendable, Equatable {
  public var dimensions: [Int]
  public var bytes: [UInt8]

  /// Parses IDX bytes (already decompressed). `path` names the file in errors.
  ///
  /// Checks the magic (two zero bytes, type 0x08, rank 1–4), that each dimension is positive
  /// and their product fits, and that the data is exactly as long as the header says.
  public init(parsing data: [UInt8], path: String) throws {
    guard data.count >= 4 else {
      throw DataFileError.truncated(path: path, expectedBytes: 4, actualBytes: data.count)
    }
    guard data[0] == 0, data[1] == 0, (1...4).contains(data[3]) else {
      throw DataFileError.badMagic(path: path, found: data[0..<4].map { String(format2: $0) }.joined(separator: " "))
    }
    guard data[2] == 0x08 else { throw DataFileError.unsupportedElementType(path: path, code: data[2]) }
    let rank = Int(data[3])
    let headerSize = 4 + 4 * rank
    guard data.count >= headerSize else {
      throw DataFileError.truncated(path: path, expectedBytes: headerSize, actualBytes: data.count)
    }
    var dims: [Int] = []
    for i in 0..<rank {
      let o = 4 + 4 * i
      dims.append(Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3]))
    }
    var total = 1
    for d in dims {
      let (p, overflow) = total.multipliedReportingOverflow(by: d)
      guard d > 0, !overflow, p <= 1 << 34 else { throw DataFileError.absurdDimensions(path: path, dimensions: dims) }
      total = p
    }
    guard data.count == headerSize + total else {
      throw DataFileError.truncated(path: path, expectedBytes: headerSize + total, actualBytes: data.count)
    }
    dimensions = dims
    bytes = Array(data[headerSize...])
  }

  /// Reads an IDX file, gzipped (`.gz`, detected by its magic bytes) or raw.
  public init(contentsOf path: String) throws {
    let raw: [UInt8]
    do {
      raw = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      throw DataFileError.unreadable(path: path, reason: "\(error)")
    }
    // A 28×28 MNIST set of 60,000 images is 47 MB; 2 GiB bounds any sane IDX file.
    let data = Gzip.isCompressed(raw) ? try Gzip.decompress(raw, path: path) : raw
    try self.init(parsing: data, path: path)
  }
}

extension String {
  init(format2 byte: UInt8) {
    let s = String(byte, radix: 16)
    self = s.count == 1 ? "0" + s : s
  }
}
