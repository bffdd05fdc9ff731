import ArgumentParser
import Born

struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List the tensors, metadata and checksum status of a .born or safetensors file.",
    discussion: """
      The file is validated completely (and a .born file's SHA-256 checked unless --no-verify);
      a malformed file gets an error naming the field and byte offset.
      """)

  @Argument(help: "A .born or .safetensors file.") var file: String
  @Flag(name: .customLong("no-verify"), help: "Skip the SHA-256 check of .born files.") var noVerify = false

  func run() throws {
    let contents = try ModelFile.read(file, mapped: true, verify: !noVerify)
    print(inspectReport(path: file, contents))
  }
}

/// The text `born inspect` prints.
func inspectReport(path: String, _ contents: ModelFileContents) -> String {
  var lines: [String] = []
  let total = contents.tensors.values.reduce(0) { $0 + $1.byteCount }
  var parameters = 0
  for t in contents.tensors.values { parameters += t.shape.reduce(1, *) }
  lines.append(
    "\(path): \(contents.format) file, \(contents.names.count) tensors, \(parameters) elements, \(byteText(total)) of data"
  )
  lines.append("checksum: \(contents.checksum)")
  if !contents.metadata.isEmpty {
    lines.append("metadata:")
    for (k, v) in contents.metadata.sorted(by: { $0.key < $1.key }) {
      let shown = v.count > 96 ? String(v.prefix(93)) + "..." : v
      lines.append("  \(k): \(shown.replacingNewlines())")
    }
  }
  let rows = contents.names.map { name -> [String] in
    let t = contents.tensors[name]!
    return [
      name, t.dtype.description, "[" + t.shape.map(String.init).joined(separator: ", ") + "]", String(t.byteCount),
    ]
  }
  let header = ["tensor", "dtype", "shape", "bytes"]
  var widths = header.map(\.count)
  for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
  func pad(_ r: [String]) -> String {
    r.enumerated().map { i, c in
      i == 3
        ? String(repeating: " ", count: widths[i] - c.count) + c
        : c + String(repeating: " ", count: widths[i] - c.count)
    }.joined(separator: "  ")
  }
  lines.append(pad(header))
  for r in rows { lines.append(pad(r)) }
  return lines.joined(separator: "\n")
}

func byteText(_ n: Int) -> String {
  if n >= 1 << 30 { return format(Double(n) / Double(1 << 30), 2) + " GiB" }
  if n >= 1 << 20 { return format(Double(n) / Double(1 << 20), 2) + " MiB" }
  if n >= 1 << 10 { return format(Double(n) / Double(1 << 10), 1) + " KiB" }
  return "\(n) B"
}

extension String {
  fileprivate func replacingNewlines() -> String {
    String(unicodeScalars.map { $0 == "\n" ? "⏎" : Character($0) })
  }
}
