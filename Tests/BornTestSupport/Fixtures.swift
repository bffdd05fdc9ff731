import Born
import BornCPU
import FoundationEssentials

/// A number in a fixture file: integers stay exact, non-finite floats are spelled as strings.
public enum FixtureNumber: Decodable, Sendable {
  case int(Int64)
  case double(Double)
  case bool(Bool)

  public init(from decoder: Decoder) throws {
    let c = try decoder.singleValueContainer()
    if let b = try? c.decode(Bool.self) {
      self = .bool(b)
    } else if let d = try? c.decode(Double.self) {
      // Large integers are not exact as Doubles: read those as Int64.
      if d == d.rounded(), abs(d) >= 9_007_199_254_740_992, let i = try? c.decode(Int64.self) {
        self = .int(i)
      } else {
        self = .double(d)
      }
    } else {
      switch try c.decode(String.self) {
      case "nan": self = .double(.nan)
      case "inf": self = .double(.infinity)
      case "-inf": self = .double(-.infinity)
      case let s: throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown number \(s)")
      }
    }
  }

  public var double: Double {
    switch self {
    case .int(let i): Double(i)
    case .double(let d): d
    case .bool(let b): b ? 1 : 0
    }
  }

  /// The value as an element of type `E` (exact for Int64).
  public func element<E: TensorElement>(_: E.Type) -> E {
    if E.self == Int64.self, case .int(let i) = self { return i as! E }
    return E(bornConverting: double)
  }
}

/// A tensor in a fixture file.
public struct FixtureTensor: Decodable, Sendable {
  public var dtype: String
  public var shape: [Int]
  public var data: [FixtureNumber]

  /// The tensor on the CPU backend as elements of `E`.
  public func tensor<E: TensorElement>(_: E.Type) -> Tensor<E, CPU> {
    Tensor<E, CPU>(data.map { $0.element(E.self) }, shape: Shape(shape))
  }
}

/// A loosely typed argument of a fixture case.
public enum FixtureArg: Decodable, Sendable {
  case null
  case bool(Bool)
  case int(Int)
  case double(Double)
  case string(String)
  case array([FixtureArg])

  public init(from decoder: Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      self = .null
    } else if let b = try? c.decode(Bool.self) {
      self = .bool(b)
    } else if let i = try? c.decode(Int.self) {
      self = .int(i)
    } else if let d = try? c.decode(Double.self) {
      self = .double(d)
    } else if let s = try? c.decode(String.self) {
      self = .string(s)
    } else {
      self = .array(try c.decode([FixtureArg].self))
    }
  }

  public var int: Int? {
    if case .int(let i) = self { return i }
    return nil
  }
  public var double: Double? {
    switch self {
    case .int(let i): Double(i)
    case .double(let d): d
    default: nil
    }
  }
  public var bool: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }
  public var string: String? {
    if case .string(let s) = self { return s }
    return nil
  }
  public var ints: [Int]? {
    if case .array(let a) = self { return a.compactMap(\.int) }
    return nil
  }
  public var intPairs: [(Int, Int)]? {
    if case .array(let a) = self {
      return a.compactMap { p in p.ints.map { ($0[0], $0[1]) } }
    }
    return nil
  }
}

/// One reference case: an op, its inputs and arguments, and the expected outputs.
public struct FixtureCase: Decodable, Sendable {
  public var name: String
  public var op: String
  public var inputs: [FixtureTensor]
  public var outputs: [FixtureTensor]
  public var args: [String: FixtureArg]
}

/// Where the committed fixtures live (Tests/Fixtures).
public let fixturesDirectory: String = {
  var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(2)  // BornTestSupport/Fixtures.swift
  return parts.joined(separator: "/") + "/Fixtures"
}()

/// Loads `Tests/Fixtures/<path>`.
public func loadFixtureCases(_ path: String) throws -> [FixtureCase] {
  let url = URL(fileURLWithPath: fixturesDirectory + "/" + path)
  return try JSONDecoder().decode([FixtureCase].self, from: Data(contentsOf: url))
}

/// Tolerances by dtype (DESIGN §9).
public func tolerance(_ dtype: DType) -> (rtol: Double, atol: Double) {
  switch dtype {
  case .f64: (1e-7, 1e-7)
  case .f32: (1.3e-6, 1e-5)
  case .f16: (1e-3, 1e-5)
  case .bf16: (1.6e-2, 1e-5)
  default: (0, 0)
  }
}

/// Compares values; NaN matches NaN, infinities must match exactly. Returns a description of
/// the first mismatch, or nil.
public func mismatch(
  _ actual: [Double], _ actualShape: [Int], _ expected: FixtureTensor, rtol: Double, atol: Double
) -> String? {
  if actualShape != expected.shape { return "shape \(actualShape), expected \(expected.shape)" }
  let want = expected.data.map(\.double)
  if actual.count != want.count { return "\(actual.count) values, expected \(want.count)" }
  for i in 0..<want.count {
    let a = actual[i]
    let e = want[i]
    if e.isNaN && a.isNaN { continue }
    if e.isInfinite || a.isInfinite {
      if a == e { continue }
      return "element \(i): \(a), expected \(e)"
    }
    if !(abs(a - e) <= atol + rtol * abs(e)) {
      return "element \(i): \(a), expected \(e) (|diff| \(abs(a - e)), rtol \(rtol), atol \(atol))"
    }
  }
  return nil
}

/// A tensor's values as Doubles with its shape, for comparisons.
public func values<E: TensorElement>(_ t: Tensor<E, CPU>) -> (values: [Double], shape: [Int]) {
  (t.toArray().map(\.bornDouble), t.shape.array)
}
