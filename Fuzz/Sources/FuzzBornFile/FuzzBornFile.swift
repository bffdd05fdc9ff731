import BornIO

/// libFuzzer entry point: any bytes must be either read or rejected with a `ModelFileError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let file = FileBytes(bytes: Array(UnsafeBufferPointer(start: data, count: size)), path: "fuzz.born")
  for verify in [true, false] {
    guard let contents = try? BornFile.parse(file, verify: verify) else { continue }
    touch(contents)
  }
  return 0
}

/// Reads every byte of every tensor, so an out-of-bounds range shows up under AddressSanitizer.
func touch(_ contents: ModelFileContents) {
  var sum: UInt8 = 0
  for name in contents.names {
    contents.tensors[name]!.withUnsafeBytes { for b in $0 { sum &+= b } }
  }
  precondition(contents.names.count == contents.tensors.count || sum >= 0)
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
  _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// SwiftPM links executables with `main` aliased to this symbol; it hands control to libFuzzer.
@_cdecl("FuzzBornFile_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  var argc = argc
  var argv = argv
  return runFuzzerDriver(&argc, &argv) { data, size in LLVMFuzzerTestOneInput(data, size) }
}
