import Foundation

/// The repository root, found from this source file (so `swift run` works from any directory).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()

/// A peer benchmark script under Benchmarks/peers, run with a Python interpreter.
struct PeerScript {
  var name: String
  var python: String

  /// What a run printed: standard output, and why it failed (nil on success).
  struct Output {
    var stdout: Data
    var failure: String?

    /// Standard output's lines that parse as JSON objects.
    var jsonLines: [[String: Any]] {
      String(decoding: stdout, as: UTF8.self).split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
      }
    }
  }

  /// Runs the script with `arguments`, with `removing` taken out of the environment.
  func run(_ arguments: [String], removing: [String] = []) -> Output {
    let script = repositoryRoot.appendingPathComponent("Benchmarks/peers/\(name)")
    guard FileManager.default.fileExists(atPath: script.path) else {
      return Output(stdout: Data(), failure: "peer script not found at \(script.path)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [python, script.path] + arguments
    var environment = ProcessInfo.processInfo.environment
    for key in removing { environment[key] = nil }
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    do { try process.run() } catch { return Output(stdout: Data(), failure: "cannot start \(python): \(error)") }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      let last = String(decoding: errors, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "no output"
      return Output(stdout: data, failure: "\(name) failed (\(last))")
    }
    return Output(stdout: data, failure: nil)
  }
}
