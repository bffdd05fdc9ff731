import BornIO
import FuzzSupport

/// libFuzzer entry point: any bytes must be either read or rejected with a `ModelFileError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let file = FileBytes(bytes: Array(UnsafeBufferPointer(start: data, count: size)), path: "fuzz.safetensors")
  guard let contents = try? SafeTensors.parse(file) else { return 0 }
  touchEveryByte(contents)
  // Whatever was accepted must serialize back to a file that reads the same.
  if let again = try? SafeTensors.parse(
    FileBytes(bytes: SafeTensors.serialize(contents.tensors, metadata: contents.metadata)))
  {
    precondition(
      again.tensors == contents.tensors && again.metadata == contents.metadata, "round trip changed the file")
  } else {
    preconditionFailure("an accepted file did not serialize to a readable one")
  }
  return 0
}

@_cdecl("FuzzSafeTensors_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runLibFuzzer(argc, argv) { data, size in LLVMFuzzerTestOneInput(data, size) }
}
