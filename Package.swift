// swift-tools-version: 6.2
import PackageDescription

let package = Package(
  name: "Born",
  products: [
    .library(name: "Born", targets: ["Born"]),
    .library(name: "BornCore", targets: ["BornCore"]),
    .library(name: "BornCPU", targets: ["BornCPU"]),
    .library(name: "BornAutodiff", targets: ["BornAutodiff"]),
    .executable(name: "born", targets: ["born"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
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
    // Umbrella module re-exporting the libraries.
    .target(name: "Born", dependencies: ["BornCore", "BornCPU", "BornAutodiff"]),
    // The command-line tool.
    .executableTarget(
      name: "born",
      dependencies: [
        "Born",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // Shared test helpers: fixture loader, tolerance table, comparisons.
    .target(name: "BornTestSupport", dependencies: ["Born"], path: "Tests/BornTestSupport"),
    .testTarget(name: "BornCoreTests", dependencies: ["Born", "BornTestSupport"]),
    .testTarget(name: "BornCPUTests", dependencies: ["Born", "BornTestSupport", "CBornKernels"]),
    .testTarget(name: "BornAutodiffTests", dependencies: ["Born", "BornTestSupport"]),
  ]
)
