#if canImport(Glibc)
  import Glibc
#endif

/// Writes files so that a crash at any moment leaves either the old or the new contents at the
/// path, never a mix or a partial file.
///
/// The data goes to a temporary file in the same directory (`NAME.tmp-PID`), which is fsynced
/// and renamed over the target; then the directory is fsynced so the rename itself is durable.
/// Temporary files left by processes that died mid-write are removed at the next write to the
/// same path.
public enum AtomicFile {
  /// Writes `bytes` to `path` atomically.
  public static func write(_ bytes: [UInt8], to path: String) throws(ModelFileError) {
    try write(to: path) { (sink: inout Sink) throws(ModelFileError) in sink.write(bytes) }
  }

  /// Writes what `body` sends to the sink to `path` atomically.
  public static func write(to path: String, _ body: (inout Sink) throws(ModelFileError) -> Void)
    throws(ModelFileError)
  {
    let (dir, name) = split(path)
    removeStaleTemporaries(directory: dir, name: name)
    let tmp = path + ".tmp-\(getpid())"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw .unwritable(path: path, reason: "\(tmp): " + String(cString: strerror(errno))) }
    var sink = Sink(fd: fd, path: path)
    do throws(ModelFileError) {
      try body(&sink)
      if let failure = sink.failure { throw failure }
      guard fsync(fd) == 0 else { throw ModelFileError.unwritable(path: path, reason: "fsync: " + errnoText()) }
    } catch {
      close(fd)
      unlink(tmp)
      throw error
    }
    close(fd)
    guard rename(tmp, path) == 0 else {
      let reason = errnoText()
      unlink(tmp)
      throw .unwritable(path: path, reason: "rename: " + reason)
    }
    let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dfd >= 0 {
      fsync(dfd)
      close(dfd)
    }
  }

  /// Where an atomic write sends its bytes. The first failure is kept (later writes are
  /// skipped) and reported when the body returns.
  public struct Sink {
    let fd: Int32
    let path: String
    /// Bytes written so far.
    public private(set) var count = 0
    /// The first write error.
    var failure: ModelFileError?

    /// Appends `bytes` to the file.
    public mutating func write(_ bytes: UnsafeRawBufferPointer) {
      guard failure == nil, let base = bytes.baseAddress else { return }
      var done = 0
      while done < bytes.count {
        let n = Glibc.write(fd, base + done, bytes.count - done)
        if n < 0, errno == EINTR { continue }
        guard n > 0 else {
          failure = .unwritable(path: path, reason: n == 0 ? "no space written" : errnoText())
          return
        }
        done += n
      }
      count += bytes.count
    }

    /// Appends `bytes` to the file.
    public mutating func write(_ bytes: [UInt8]) {
      bytes.withUnsafeBytes { write($0) }
    }
  }

  /// The directory and file name of `path`.
  static func split(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let dir = String(path[..<slash])
    return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
  }

  /// Removes `NAME.tmp-PID` files in `directory` whose process no longer runs.
  static func removeStaleTemporaries(directory: String, name: String) {
    guard let d = opendir(directory) else { return }
    defer { closedir(d) }
    let prefix = name + ".tmp-"
    while let entry = readdir(d) {
      let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      guard entryName.hasPrefix(prefix), let pid = Int32(entryName.dropFirst(prefix.count)) else { continue }
      if pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) {
        unlink(directory + "/" + entryName)
      }
    }
  }
}

func errnoText() -> String { String(cString: strerror(errno)) }
