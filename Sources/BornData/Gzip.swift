import CZlib
import FoundationEssentials

/// Errors reading data files. Each names the file and what is wrong with it.
public enum DataFileError: Error, CustomStringConvertible, Equatable {
  case unreadable(path: String, reason: String)
  case corruptGzip(path: String, reason: String)
  case badMagic(path: String, found: String)
  case truncated(path: String, expectedBytes: Int, actualBytes: Int)
  case absurdDimensions(path: String, dimensions: [Int])
  case unsupportedElementType(path: String, code: UInt8)
  case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
  case wrongRank(path: String, expected: Int, found: Int)
  case labelOutOfRange(path: String, index: Int, value: Int)

  public var description: String {
    switch self {
    case .unreadable(let p, let r): "\(p): cannot read the file (\(r))"
    case .corruptGzip(let p, let r): "\(p): corrupt gzip data (\(r))"
    case .badMagic(let p, let f): "\(p): not an IDX file (magic bytes \(f), expected 00 00 08 0N)"
    case .truncated(let p, let e, let a): "\(p): truncated: the header promises \(e) bytes, the file has \(a)"
    case .absurdDimensions(let p, let d): "\(p): absurd dimensions \(d)"
    case .unsupportedElementType(let p, let c):
      "\(p): element type 0x\(String(c, radix: 16)) is not supported (only unsigned bytes, 0x08)"
    case .countMismatch(let i, let ic, let l, let lc): "\(i) has \(ic) images but \(l) has \(lc) labels"
    case .wrongRank(let p, let e, let f): "\(p): expected \(e) dimensions, found \(f)"
    case .labelOutOfRange(let p, let i, let v): "\(p): label \(v) at index \(i) is outside 0...9"
    }
  }
}

/// Decompresses gzip data (RFC 1952), with a limit on the output size.
public enum Gzip {
  /// Whether `data` starts with the gzip magic bytes.
  public static func isCompressed(_ data: [UInt8]) -> Bool { data.count >= 2 && data[0] == 0x1F && data[1] == 0x8B }

  /// The decompressed bytes of `data`. Throws ``DataFileError/corruptGzip(path:reason:)`` naming
  /// `path` on malformed input or when the output would exceed `limit` bytes.
  public static func decompress(_ data: [UInt8], path: String, limit: Int = 1 << 31) throws -> [UInt8] {
    var stream = z_stream()
    var status = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else { throw DataFileError.corruptGzip(path: path, reason: "inflateInit failed (\(status))") }
    defer { inflateEnd(&stream) }
    var output: [UInt8] = []
    output.reserveCapacity(min(limit, data.count * 4))
    let chunk = 1 << 20
    var buffer = [UInt8](repeating: 0, count: chunk)
    try data.withUnsafeBufferPointer { input in
      stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
      stream.avail_in = uInt(input.count)
      repeat {
        let produced: Int = buffer.withUnsafeMutableBufferPointer { out in
          stream.next_out = out.baseAddress
          stream.avail_out = uInt(chunk)
          status = inflate(&stream, Z_NO_FLUSH)
          return chunk - Int(stream.avail_out)
        }
        if status != Z_OK && status != Z_STREAM_END {
          let reason = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
          throw DataFileError.corruptGzip(path: path, reason: status == Z_BUF_ERROR ? "unexpected end of data" : reason)
        }
        if output.count + produced > limit {
          throw DataFileError.corruptGzip(path: path, reason: "decompressed size exceeds \(limit) bytes")
        }
        output.append(contentsOf: buffer[0..<produced])
        if status == Z_OK && stream.avail_in == 0 && produced == 0 {
          throw DataFileError.corruptGzip(path: path, reason: "unexpected end of data")
        }
      } while status != Z_STREAM_END
    }
    return output
  }
}
