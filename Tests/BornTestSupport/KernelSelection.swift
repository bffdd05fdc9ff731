import Synchronization

/// Tests that switch the process-wide C kernel variant (`born_isa_set`) and tests that need
/// bit-identical results from run to run both hold this lock, so the two never overlap when
/// suites run in parallel.
public enum KernelSelection {
  static let lock = Mutex(())

  /// Runs `body` while no other test switches the kernel variant (or holds the lock).
  public static func exclusively<R>(_ body: () throws -> R) rethrows -> R {
    try lock.withLock { _ in try body() }
  }
}
