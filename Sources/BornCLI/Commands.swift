import ArgumentParser
import Born

public struct BornCommand: ParsableCommand {
  public init() {}
  public static let configuration = CommandConfiguration(
    commandName: "born",
    abstract: "Born: deep learning for Swift.",
    subcommands: [Train.self, Eval.self, Inspect.self, Doctor.self, Info.self, Bench.self]
  )
}

struct Info: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Print the CPU backend's configuration.")

  func run() {
    print("Born CPU backend")
    print("  kernel variant: \(CPU.kernelVariant) (set BORN_KERNEL=generic|avx2|avx512 to force one)")
    print("  threads:        \(cpuThreadCount) (set BORN_NUM_THREADS to change)")
    let (live, cached, peak) = CPUAllocator.statistics
    print("  allocator:      \(live) B live, \(cached) B cached, \(peak) B peak")
  }
}

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Benchmarks that run Born and a peer on the same inputs.",
    subcommands: [BenchCPU.self, BenchTrain.self, BenchMNIST.self, BenchOps.self, BenchIO.self, BenchGPU.self]
  )
}
