#if canImport(Glibc)
  import Glibc
#endif

/// How many threads CPU kernels use: `BORN_NUM_THREADS`, else the number of online cores.
public let cpuThreadCount: Int = {
  if let s = getenv("BORN_NUM_THREADS"), let n = Int(String(cString: s)), n >= 1 { return n }
  return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}()

/// Runs `body` over disjoint ranges covering 0..<count, on several threads when each gets at
/// least `grain` items. The ranges depend only on `count`, `grain` and ``cpuThreadCount``, never
/// on what else is running, so results are reproducible bit for bit.
@inline(__always)
func parallelFor(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
  let threads = Swift.min(cpuThreadCount, count / Swift.max(grain, 1))
  if threads <= 1 {
    if count > 0 { body(0..<count) }
    return
  }
  func chunk(_ t: Int) {
    let start = count * t / threads
    let end = count * (t + 1) / threads
    if start < end { body(start..<end) }
  }
  // When the pool is busy (another caller's kernel is running), the same ranges run here in
  // turn: a kernel that combines per-range partial results gets identical bits either way.
  if !ThreadPool.shared.run(threads, chunk) {
    for t in 0..<threads { chunk(t) }
  }
}

/// Runs `body(t)` for t in 0..<threads concurrently.
@inline(__always)
func parallelThreads(_ threads: Int, _ body: (Int) -> Void) {
  if threads <= 1 {
    body(0)
    return
  }
  if !ThreadPool.shared.run(threads, body) {
    for t in 0..<threads { body(t) }
  }
}
