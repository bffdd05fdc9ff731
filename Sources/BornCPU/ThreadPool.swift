import Dispatch
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Persistent worker threads for kernels' parallel regions.
///
/// `DispatchQueue.concurrentPerform` wakes pool threads on every call; for the short parallel
/// regions of small ops (tens of microseconds) the caller often finished before a worker started,
/// so two threads ran no faster than one. These workers spin on an atomic generation counter
/// after each region (up to 200,000 checks, a few hundred microseconds: longer than the serial
/// stretches between the regions of a training step, which measured 10–30% faster than with a
/// tenth of that), so back-to-back regions start without a wake-up, and then sleep on a semaphore. One region runs at a time; a region requested while another runs (a nested
/// call, or another thread) runs on the calling thread alone.
final class ThreadPool: @unchecked Sendable {
  static let shared = ThreadPool(workers: cpuThreadCount - 1)

  private let workerCount: Int
  private let generation = Atomic<Int>(0)
  private let remaining = Atomic<Int>(0)
  private let slots: [WorkerSlot]
  private let busy = Mutex(false)
  // Written by the caller before publishing a new generation; read by workers after seeing it.
  private var job: ((Int) -> Void)?
  private var jobCount = 0

  init(workers: Int) {
    workerCount = Swift.max(workers, 0)
    slots = (0..<workerCount).map { _ in WorkerSlot() }
    for i in 0..<workerCount {
      let start = Unmanaged.passRetained(WorkerStart(pool: self, index: i)).toOpaque()
      var thread = pthread_t()
      let rc = pthread_create(
        &thread, nil,
        { context in
          let start = Unmanaged<WorkerStart>.fromOpaque(context!).takeRetainedValue()
          start.pool.work(start.index)
          return nil
        }, start)
      if rc == 0 { pthread_detach(thread) }
    }
  }

  /// A worker's sleep flag and semaphore.
  final class WorkerSlot: @unchecked Sendable {
    let sleeping = Atomic<Bool>(false)
    let semaphore = DispatchSemaphore(value: 0)
  }

  final class WorkerStart {
    let pool: ThreadPool
    let index: Int
    init(pool: ThreadPool, index: Int) {
      self.pool = pool
      self.index = index
    }
  }

  /// Runs `body(t)` for t in 0..<count on the caller and every worker (parts are dealt round
  /// robin, the caller taking t = 0). Returns false (running nothing) when another region holds
  /// the pool.
  func run(_ count: Int, _ body: (Int) -> Void) -> Bool {
    if count <= 1 || workerCount == 0 {
      for t in 0..<count { body(t) }
      return true
    }
    let acquired = busy.withLock { taken -> Bool in
      if taken { return false }
      taken = true
      return true
    }
    guard acquired else { return false }
    defer { busy.withLock { $0 = false } }
    withoutActuallyEscaping(body) { body in
      job = body
      jobCount = count
      // Every worker takes part in every region (and counts itself done), so a worker can never
      // see a later region's job while finishing an earlier one.
      remaining.store(workerCount, ordering: .sequentiallyConsistent)
      generation.add(1, ordering: .sequentiallyConsistent)
      for slot in slots where slot.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
        slot.semaphore.signal()
      }
      var t = 0
      while t < count {
        body(t)
        t += workerCount + 1
      }
      var spins = 0
      while remaining.load(ordering: .sequentiallyConsistent) > 0 {
        spins += 1
        if spins > 100_000 { sched_yield() }
      }
      job = nil
    }
    return true
  }

  private func work(_ index: Int) {
    var seen = 0
    while true {
      var current = generation.load(ordering: .acquiring)
      var spins = 0
      while current == seen && spins < 200_000 {
        spins += 1
        current = generation.load(ordering: .acquiring)
      }
      if current == seen {
        let slot = slots[index]
        slot.sleeping.store(true, ordering: .sequentiallyConsistent)
        current = generation.load(ordering: .sequentiallyConsistent)
        if current == seen {
          slot.semaphore.wait()
          continue
        }
        // A region started while going to sleep: take back the flag, or consume the signal
        // the caller already sent.
        if !slot.sleeping.exchange(false, ordering: .sequentiallyConsistent) { slot.semaphore.wait() }
      }
      seen = current
      if let job {
        var t = index + 1
        while t < jobCount {
          job(t)
          t += workerCount + 1
        }
      }
      remaining.subtract(1, ordering: .sequentiallyConsistent)
    }
  }
}
