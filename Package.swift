// swift-tools-version: 6.2
import PackageDescription

let package = Package(
  name: "Born",
  products: [
    .library(name: "Born", targets: ["Born"]),
    .library(name: "BornCore", targets: ["BornCore"]),
    .library(name: "BornCPU", targets: ["BornCPU"]),
    .library(name: "BornAutodiff", targets: ["BornAutodiff"]),
    .library(name: "BornNN", targets: ["BornNN"]),
    .library(name: "BornOptim", targets: ["BornOptim"]),
    .library(name: "BornData", targets: ["BornData"]),
    .library(name: "BornIO", targets: ["BornIO"]),
    .library(name: "BornWebGPU", targets: ["BornWebGPU"]),
    .executable(name: "born", targets: ["born"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    // SHA-256 of model files (BoringSSL uses the CPU's SHA instructions).
    .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
  ],
  targets: [
    // Compute-bound micro-kernels in C with per-ISA variants chosen at run time.
    .target(name: "CBornKernels"),
    // DType, Shape, Layout, Tensor and the Backend protocol. Standard library only.
    .target(name: "BornCore"),
    // The CPU backend.
    .target(name: "BornCPU", dependencies: ["BornCore", "CBornKernels"]),
    // Reverse-mode automatic differentiation as a backend that wraps any backend.
    .target(name: "BornAutodiff", dependencies: ["BornCore"]),
    // Modules, layers, losses and initializers.
    .target(name: "BornNN", dependencies: ["BornCore", "BornAutodiff"]),
    // Optimizers, learning-rate schedulers, gradient clipping.
    .target(name: "BornOptim", dependencies: ["BornCore", "BornAutodiff", "BornNN"]),
    // zlib (system library) for gzip-compressed data files.
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    // Datasets, data loaders, transforms, and the MNIST IDX reader.
    .target(name: "BornData", dependencies: ["BornCore", "CZlib"]),
    // Model files: .born and safetensors (read, write, mmap), state dicts, checkpoints.
    .target(
      name: "BornIO",
      dependencies: ["BornCore", "BornNN", "BornOptim", .product(name: "Crypto", package: "swift-crypto")]),
    // wgpu-native's C API as Born uses it, opened with dlopen at run time (no link dependency).
    .target(name: "CBornWebGPU", linkerSettings: [.linkedLibrary("dl")]),
    // The WebGPU backend: adapters, devices, buffer pool, lazy command recording, WGSL kernels
    // (ops without a kernel yet run on the CPU backend).
    .target(name: "BornWebGPU", dependencies: ["BornCore", "BornCPU", "CBornKernels", "CBornWebGPU"]),
    // Umbrella module re-exporting the libraries.
    .target(
      name: "Born",
      dependencies: [
        "BornCore", "BornCPU", "BornAutodiff", "BornNN", "BornOptim", "BornData", "BornIO", "BornWebGPU",
      ]),
    // The command-line tool's commands (a library so tests can run them).
    .target(
      name: "BornCLI",
      dependencies: [
        "Born",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // The command-line tool.
    .executableTarget(name: "born", dependencies: ["BornCLI"]),
    // Shared test helpers: fixture loader, tolerance table, comparisons.
    .target(name: "BornTestSupport", dependencies: ["Born"], path: "Tests/BornTestSupport"),
    .testTarget(name: "BornCoreTests", dependencies: ["Born", "BornTestSupport"]),
    .testTarget(name: "BornCPUTests", dependencies: ["Born", "BornTestSupport", "CBornKernels"]),
    .testTarget(name: "BornAutodiffTests", dependencies: ["Born", "BornTestSupport"]),
    .testTarget(name: "BornNNTests", dependencies: ["Born", "BornTestSupport"]),
    .testTarget(name: "BornOptimTests", dependencies: ["Born", "BornTestSupport"]),
    .testTarget(name: "BornDataTests", dependencies: ["Born", "BornTestSupport"]),
    .testTarget(name: "BornWebGPUTests", dependencies: ["Born", "BornWebGPU", "BornCLI", "BornTestSupport"]),
    .testTarget(name: "BornIOTests", dependencies: ["Born", "BornIO", "BornTestSupport"]),
    .testTarget(name: "BornCLITests", dependencies: ["BornCLI", "Born", "BornTestSupport"]),
  ]
)
