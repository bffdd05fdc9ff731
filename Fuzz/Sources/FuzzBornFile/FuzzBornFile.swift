import BornIO
import FuzzSupport

/// libFuzzer entry point: any bytes must be either read or rejected with a `ModelFileError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let file = FileBytes(bytes: Array(UnsafeBufferPointer(start: data, count: size)), path: "fuzz.born")
  for verify in [true, false] {
    guard let contents = try? BornFile.parse(file, verify: verify) else { continue }
    touchEveryByte(contents)
  }
  return 0
}

@_cdecl("FuzzBornFile_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runLibFuzzer(argc, argv) { data, size in LLVMFuzzerTestOneInput(data, size) }
}
