import ArgumentParser
import Born
import Foundation

struct BenchIO: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "io",
    abstract: "Time SHA-256, writing and loading a large model file, and safetensors loading against Python.",
    discussion: """
      Writes one file of --megabytes (f32 tensors) in each format to --directory, then times:
      SHA-256 over the data; writing the .born file (hash, fsync, rename); loading it read
      and verified, mapped and verified, mapped without verification; and loading the
      safetensors file in Born (read into memory) and with Python's safetensors
      (Benchmarks/peers/safetensors_load.py, every tensor into a NumPy array) in the same run.
      Loads are best of --repeats from the page cache (the files were just written).
      """)

  @Option(help: "Size of the data in MiB.") var megabytes = 1024
  @Option(help: "Where to write the files (removed afterwards).") var directory = "/tmp"
  @Option(help: "Timed repetitions of each load (best is reported).") var repeats = 3
  @Flag(help: "Print JSON objects instead of a table.") var json = false
  @Option(help: "The Python interpreter for the peer.") var python = "python3"

  func validate() throws {
    if megabytes < 1 { throw ValidationError("--megabytes must be at least 1, got \(megabytes)") }
    if repeats < 1 { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
  }

  func run() throws {
    let bytes = megabytes << 20
    // Eight tensors, like a model's large matrices, with non-trivial contents.
    let parts = 8
    var tensors: [String: StoredTensor] = [:]
    for i in 0..<parts {
      let count = bytes / 4 / parts
      var values = [Float](repeating: 0, count: count)
      for j in 0..<count { values[j] = Float(j % 9973) * 0.001 + Float(i) }
      tensors["layer\(i).weight"] = StoredTensor(
        dtype: .f32, shape: [count / 1024, 1024], bytes: values.withUnsafeBytes { Array($0) })
    }
    let born = "\(directory)/born-bench-io-\(getpid()).born"
    let st = "\(directory)/born-bench-io-\(getpid()).safetensors"
    defer {
      unlink(born)
      unlink(st)
    }
    let clock = ContinuousClock()
    func best(_ body: () throws -> Void) rethrows -> Double {
      var t = Double.infinity
      for _ in 0..<repeats {
        let start = clock.now
        try body()
        t = min(t, (clock.now - start).seconds)
      }
      return t
    }
    var results: [(String, Double, Double?)] = []  // case, born seconds, peer seconds
    let hash = best {
      for (_, t) in tensors { _ = t.withUnsafeBytes { BornFile.sha256($0) } }
    }
    results.append(("sha256 \(megabytes) MiB", hash, nil))
    let start = clock.now
    try BornFile.write(tensors, to: born)
    results.append(("write .born (hash + fsync)", (clock.now - start).seconds, nil))
    try SafeTensors.write(tensors, to: st)
    results.append(("load .born read + verify", try best { _ = try BornFile.read(born) }, nil))
    results.append(("load .born mmap + verify", try best { _ = try BornFile.read(born, mapped: true) }, nil))
    results.append(
      ("load .born mmap, no verify", try best { _ = try BornFile.read(born, mapped: true, verify: false) }, nil))
    let peer = PeerScript(name: "safetensors_load.py", python: python).run([st, String(repeats)])
    let peerSeconds = peer.jsonLines.first?["seconds"] as? Double
    results.append(("load safetensors read", try best { _ = try SafeTensors.read(st) }, peerSeconds))
    if let failure = peer.failure, !json { print("peer missing: \(failure)") }

    let mib = Double(bytes) / Double(1 << 20)
    for (name, seconds, peer) in results {
      if json {
        var obj: [String: Any] = ["case": name, "born_s": seconds, "mib_per_s": mib / seconds]
        if let peer {
          obj["peer"] = "python safetensors"
          obj["peer_s"] = peer
          obj["ratio"] = seconds / peer
        }
        print(String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self))
      } else {
        let peerText =
          peer.map { "  python safetensors \(format($0 * 1000, 1)) ms  ratio \(format(seconds / $0, 2))" } ?? ""
        print(
          "\(name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(format(seconds * 1000, 1)) ms  \(format(mib / seconds, 0)) MiB/s\(peerText)"
        )
      }
    }
  }
}
