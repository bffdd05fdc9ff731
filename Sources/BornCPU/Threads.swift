#if canImport(Glibc)
  import Glibc
#endif

/// How many threads CPU kernels use: `BORN_NUM_THREADS`, else the number of online cores.
public let cpuThreadCount: Int = {
  if let s = getenv("BORN_NUM_THREADS"), let n = Int(String(cString: s)), n >= 1 { return n }
  return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}()

/// Runs `body` over disjoint ranges covering 0..<count, on several threads when each gets at
/// least `grain` items. Ranges are contiguous and in order for a single thread.
@inline(__always)
func parallelFor(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
  let threads = Swift.min(cpuThreadCount, count / Swift.max(grain, 1))
  if threads <= 1 {
    if count > 0 { body(0..<count) }
    return
  }
  let ran = ThreadPool.shared.run(threads) { t in
    let start = count * t / threads
    let end = count * (t + 1) / threads
    if start < end { body(start..<end) }
  }
  if !ran { body(0..<count) }
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
