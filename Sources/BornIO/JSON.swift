/// A JSON value read from a file header, with the byte offset where it starts.
///
/// Model file headers are untrusted input, so this parser is small and strict: it bounds
/// nesting depth, rejects duplicate object keys, invalid UTF-8 and control characters, and
/// reports every problem with its byte offset. Objects keep their keys in file order.
struct JSON {
  enum Value {
    case null
    case bool(Bool)
    /// The number's text as written (checked against the JSON grammar).
    case number(String)
    case string(String)
    case array([JSON])
    case object([(key: String, value: JSON)])
  }

  var value: Value
  /// Offset of the value's first byte, counted from the start of the parsed bytes.
  var offset: Int

  /// An integer value that fits in `Int`, or nil (fractions, exponents, overflow, other types).
  var int: Int? {
    if case .number(let text) = value { return Int(text) }
    return nil
  }

  var string: String? {
    if case .string(let s) = value { return s }
    return nil
  }

  var array: [JSON]? {
    if case .array(let a) = value { return a }
    return nil
  }

  var object: [(key: String, value: JSON)]? {
    if case .object(let o) = value { return o }
    return nil
  }

  /// A short name of the value's type for error messages.
  var typeName: String {
    switch value {
    case .null: "null"
    case .bool: "a Boolean"
    case .number: "a number"
    case .string: "a string"
    case .array: "an array"
    case .object: "an object"
    }
  }

  /// Why `parse` refused the bytes, and where.
  struct ParseError: Error {
    var offset: Int
    var reason: String
  }

  static let maximumDepth = 32

  /// Parses exactly one value filling `bytes` (whitespace around it allowed).
  static func parse(_ bytes: UnsafeRawBufferPointer) throws(ParseError) -> JSON {
    var p = Parser(bytes: bytes)
    p.skipSpace()
    let v = try p.value(depth: 0)
    p.skipSpace()
    guard p.i == bytes.count else { throw ParseError(offset: p.i, reason: "unexpected bytes after the JSON value") }
    return v
  }

  struct Parser {
    let bytes: UnsafeRawBufferPointer
    var i = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func skipSpace() {
      while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    func fail(_ reason: String, at offset: Int? = nil) -> ParseError {
      ParseError(offset: offset ?? i, reason: reason)
    }

    mutating func value(depth: Int) throws(ParseError) -> JSON {
      guard depth < JSON.maximumDepth else { throw fail("nesting deeper than \(JSON.maximumDepth) levels") }
      guard i < bytes.count else { throw fail("unexpected end of the JSON text") }
      let start = i
      switch bytes[i] {
      case UInt8(ascii: "{"):
        i += 1
        var members: [(key: String, value: JSON)] = []
        var keys = Set<String>()
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
          i += 1
          return JSON(value: .object(members), offset: start)
        }
        while true {
          skipSpace()
          let keyOffset = i
          guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
          let key = try string()
          guard keys.insert(key).inserted else { throw fail("duplicate key \"\(key)\"", at: keyOffset) }
          skipSpace()
          guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
          i += 1
          skipSpace()
          members.append((key, try value(depth: depth + 1)))
          skipSpace()
          guard i < bytes.count else { throw fail("unterminated object") }
          if bytes[i] == UInt8(ascii: ",") {
            i += 1
          } else if bytes[i] == UInt8(ascii: "}") {
            i += 1
            return JSON(value: .object(members), offset: start)
          } else {
            throw fail("expected ',' or '}' in an object")
          }
        }
      case UInt8(ascii: "["):
        i += 1
        var elements: [JSON] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
          i += 1
          return JSON(value: .array(elements), offset: start)
        }
        while true {
          skipSpace()
          elements.append(try value(depth: depth + 1))
          skipSpace()
          guard i < bytes.count else { throw fail("unterminated array") }
          if bytes[i] == UInt8(ascii: ",") {
            i += 1
          } else if bytes[i] == UInt8(ascii: "]") {
            i += 1
            return JSON(value: .array(elements), offset: start)
          } else {
            throw fail("expected ',' or ']' in an array")
          }
        }
      case UInt8(ascii: "\""):
        return JSON(value: .string(try string()), offset: start)
      case UInt8(ascii: "t"):
        try literal("true")
        return JSON(value: .bool(true), offset: start)
      case UInt8(ascii: "f"):
        try literal("false")
        return JSON(value: .bool(false), offset: start)
      case UInt8(ascii: "n"):
        try literal("null")
        return JSON(value: .null, offset: start)
      case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        return JSON(value: .number(try number()), offset: start)
      default:
        throw fail("unexpected byte 0x\(String(bytes[i], radix: 16))")
      }
    }

    mutating func literal(_ word: String) throws(ParseError) {
      for c in word.utf8 {
        guard i < bytes.count, bytes[i] == c else { throw fail("invalid literal") }
        i += 1
      }
    }

    mutating func digits() -> Int {
      let s = i
      while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
      return i - s
    }

    mutating func number() throws(ParseError) -> String {
      let start = i
      if bytes[i] == UInt8(ascii: "-") { i += 1 }
      let intStart = i
      let n = digits()
      guard n > 0 else { throw fail("invalid number") }
      if n > 1, bytes[intStart] == UInt8(ascii: "0") { throw fail("number with a leading zero", at: intStart) }
      if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
        i += 1
        guard digits() > 0 else { throw fail("invalid number") }
      }
      if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
        i += 1
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard digits() > 0 else { throw fail("invalid number") }
      }
      guard i - start <= 64 else { throw fail("number longer than 64 characters", at: start) }
      return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
    }

    mutating func hex4() throws(ParseError) -> UInt32 {
      guard i + 4 <= bytes.count else { throw fail("unterminated \\u escape") }
      var v: UInt32 = 0
      for _ in 0..<4 {
        let c = bytes[i]
        let d: UInt8
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
        default: throw fail("invalid \\u escape")
        }
        v = v << 4 | UInt32(d)
        i += 1
      }
      return v
    }

    /// A string starting at the opening quote.
    mutating func string() throws(ParseError) -> String {
      let start = i
      i += 1
      var utf8: [UInt8] = []
      while true {
        guard i < bytes.count else { throw fail("unterminated string", at: start) }
        let c = bytes[i]
        if c == UInt8(ascii: "\"") {
          i += 1
          break
        }
        guard c >= 0x20 else { throw fail("control character in a string") }
        guard c == UInt8(ascii: "\\") else {
          utf8.append(c)
          i += 1
          continue
        }
        i += 1
        guard i < bytes.count else { throw fail("unterminated string", at: start) }
        let e = bytes[i]
        i += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
          var scalar = try hex4()
          if scalar >= 0xD800, scalar < 0xDC00 {
            guard i + 2 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
              throw fail("unpaired surrogate in a \\u escape")
            }
            i += 2
            let low = try hex4()
            guard low >= 0xDC00, low < 0xE000 else { throw fail("unpaired surrogate in a \\u escape") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          }
          guard let u = Unicode.Scalar(scalar) else { throw fail("unpaired surrogate in a \\u escape") }
          utf8.append(contentsOf: String(Character(u)).utf8)
        default:
          throw fail("invalid escape \\\(Character(Unicode.Scalar(e)))")
        }
      }
      guard let s = String(validating: utf8, as: UTF8.self) else { throw fail("invalid UTF-8 in a string", at: start) }
      return s
    }
  }

  /// `s` as a JSON string literal.
  static func quote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      case "\u{08}": out += "\\b"
      case "\u{0C}": out += "\\f"
      default:
        if u.value < 0x20 {
          let hex = String(u.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out + "\""
  }
}
