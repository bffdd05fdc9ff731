import BornIO

/// Reads every byte of every tensor, so an out-of-bounds range shows up under AddressSanitizer.
/// Returns a checksum so the reads cannot be optimized away.
@discardableResult
public func touchEveryByte(_ contents: ModelFileContents) -> UInt8 {
  var sum: UInt8 = 0
  for name in contents.names {
    contents.tensors[name]!.withUnsafeBytes { for b in $0 { sum &+= b } }
  }
  return sum
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
  _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// Hands control to libFuzzer. SwiftPM links an executable with `main` aliased to
/// `<Target>_main`, which `-parse-as-library` does not emit, so each target defines that symbol
/// and calls this.
public func runLibFuzzer(
  _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
  _ testOneInput: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt {
  var argc = argc
  var argv = argv
  return runFuzzerDriver(&argc, &argv, testOneInput)
}
