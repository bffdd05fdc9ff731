// swift-tools-version: 6.2
// libFuzzer targets for Born's model-file readers. Build and run: see Fuzz/README.md.
import PackageDescription

let package = Package(
  name: "BornFuzz",
  dependencies: [.package(name: "Born", path: "..")],
  targets: [
    .target(name: "FuzzSupport", dependencies: [.product(name: "BornIO", package: "Born")]),
    .executableTarget(
      name: "FuzzBornFile", dependencies: ["FuzzSupport", .product(name: "BornIO", package: "Born")]),
    .executableTarget(
      name: "FuzzSafeTensors", dependencies: ["FuzzSupport", .product(name: "BornIO", package: "Born")]),
  ]
)
