import Born
import FoundationEssentials
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The repository's Tests/Fixtures/io directory.
let ioFixtures: String = {
  var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(2)  // BornIOTests/Support.swift
  return parts.joined(separator: "/") + "/Fixtures/io"
}()

/// A fresh empty directory for one test.
func scratchDirectory(_ name: String) throws -> String {
  let dir = FileManager.default.temporaryDirectory.path + "/born-io-tests-\(getpid())/\(name)"
  try? FileManager.default.removeItem(atPath: dir)
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  return dir
}

func readBytes(_ path: String) throws -> [UInt8] {
  [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

func writeBytes(_ bytes: [UInt8], _ path: String) throws {
  try Data(bytes).write(to: URL(fileURLWithPath: path))
}

func hexBytes(_ hex: String) -> [UInt8] {
  let chars = Array(hex.utf8)
  return stride(from: 0, to: chars.count, by: 2).map { i in
    func v(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
    return v(chars[i]) << 4 | v(chars[i + 1])
  }
}

/// The `born` executable next to the test bundle (built by `swift build` / `swift test`).
let bornExecutable: String = {
  let bundle = CommandLine.arguments[0]
  let dir = bundle.contains("/") ? String(bundle[..<bundle.lastIndex(of: "/")!]) : "."
  return dir + "/born"
}()

/// A running child process.
struct ChildProcess {
  let pid: pid_t

  /// Starts `executable` with `arguments`, its output going to `log`.
  init(_ executable: String, _ arguments: [String], log: String) throws {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
    self.pid = pid
  }

  /// Waits for the process; returns its exit status, or -signal if a signal ended it.
  func wait() -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let signal = status & 0x7F
    return signal == 0 ? (status >> 8) & 0xFF : -signal
  }

  /// Runs to completion; fails the test with the log when the exit status is not 0.
  static func run(_ arguments: [String], log: String) throws {
    let status = try ChildProcess(bornExecutable, arguments, log: log).wait()
    let output = (try? String(decoding: readBytes(log), as: UTF8.self)) ?? ""
    #expect(status == 0, "born \(arguments.joined(separator: " ")) exited with \(status):\n\(output)")
  }
}

/// A small MNIST-format data directory (the first `train` and `test` images of the bundled
/// MNIST, uncompressed), so child processes start fast.
func tinyMNIST(train: Int, test: Int) throws -> String {
  let dir = try scratchDirectory("mnist-\(train)-\(test)")
  var parts = ioFixtures.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)
  let bundled = parts.joined(separator: "/") + "/Data/mnist"
  for (split, n) in [(MNIST.Split.train, train), (.test, test)] {
    let data = try MNIST(directory: bundled, split: split).prefix(n)
    func be(_ v: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8((v >> $0) & 255) } }
    let prefix = split == .train ? "train" : "t10k"
    try writeBytes([0, 0, 8, 3] + be(n) + be(28) + be(28) + data.pixels, "\(dir)/\(prefix)-images-idx3-ubyte")
    try writeBytes([0, 0, 8, 1] + be(n) + data.labels, "\(dir)/\(prefix)-labels-idx1-ubyte")
  }
  return dir
}
