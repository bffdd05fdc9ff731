import CBornWebGPU
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Why the WebGPU runtime could not do something.
public enum WebGPUError: Error, CustomStringConvertible, Equatable {
  /// No `libwgpu_native` was found; `searched` lists where Born looked.
  case libraryNotFound(searched: [String])
  /// The library was found but could not be opened or lacks entry points.
  case libraryUnusable(path: String, reason: String)
  /// The library loaded but reported no adapter (no GPU and no software Vulkan driver).
  case noAdapter
  /// The adapter refused to create a device.
  case deviceFailed(adapter: String, reason: String)
  /// A WGSL kernel did not compile or its pipeline was rejected.
  case shader(kernel: String, message: String)
  /// The GPU reported an error (validation, out of memory) for an operation.
  case gpu(operation: String, message: String)

  public var description: String {
    switch self {
    case .libraryNotFound(let s):
      "libwgpu_native not found (set BORN_WGPU_LIBRARY, or `pip install wgpu==0.32.0`); searched: "
        + s.joined(separator: ", ")
    case .libraryUnusable(let p, let r): "\(p): cannot use this wgpu-native library: \(r)"
    case .noAdapter: "wgpu-native found no GPU adapter (on Linux without a GPU: apt-get install mesa-vulkan-drivers)"
    case .deviceFailed(let a, let r): "\(a): device request failed: \(r)"
    case .shader(let k, let m): "WGSL kernel \(k) was rejected: \(m)"
    case .gpu(let o, let m): "\(o): GPU error: \(m)"
    }
  }
}

/// A GPU adapter as wgpu-native reports it.
public struct WebGPUAdapterInfo: Sendable, CustomStringConvertible {
  public var name: String
  public var vendor: String
  public var backend: String
  public var type: String
  public var supportsF16: Bool
  public var supportsSubgroups: Bool
  public var maxBufferSize: UInt64
  public var maxStorageBufferBindingSize: UInt64
  public var maxComputeWorkgroupStorageSize: UInt32
  public var maxComputeInvocationsPerWorkgroup: UInt32
  /// Storage buffers one kernel may bind (fused elementwise kernels use up to this many).
  public var maxStorageBuffersPerShaderStage: UInt32

  public var description: String {
    "\(name) (\(type), \(backend)\(vendor.isEmpty ? "" : ", " + vendor)): max buffer \(maxBufferSize >> 20) MiB, "
      + "storage binding \(maxStorageBufferBindingSize >> 20) MiB, workgroup storage \(maxComputeWorkgroupStorageSize) B, "
      + "\(maxComputeInvocationsPerWorkgroup) invocations, \(maxStorageBuffersPerShaderStage) storage buffers; f16 \(supportsF16 ? "yes" : "no"), subgroups \(supportsSubgroups ? "yes" : "no")"
  }
}

/// The loaded wgpu-native library and its instance.
public final class WebGPULibrary: @unchecked Sendable {
  /// Where the library was loaded from.
  public let path: String
  /// wgpu-native's version as major.minor.patch.
  public let version: String
  var api = BornWGPU()
  let instance: WGPUInstance

  /// The library, loaded once per process: `BORN_WGPU_LIBRARY`, then the standard library
  /// paths, then the `resources` folder of the Python `wgpu` package.
  public static func shared() throws(WebGPUError) -> WebGPULibrary {
    try loaded.withLock { (state) throws(WebGPUError) -> WebGPULibrary in
      if let lib = state.library { return lib }
      if let error = state.error { throw error }
      do throws(WebGPUError) {
        let lib = try WebGPULibrary()
        state.library = lib
        return lib
      } catch {
        state.error = error
        throw error
      }
    }
  }

  struct LoadState: @unchecked Sendable {
    var library: WebGPULibrary?
    var error: WebGPUError?
  }
  static let loaded = Mutex(LoadState())

  /// The paths tried, in order.
  public static func candidatePaths() -> [String] {
    var paths: [String] = []
    if let env = getenv("BORN_WGPU_LIBRARY") { paths.append(String(cString: env)) }
    // The dynamic loader's own search (LD_LIBRARY_PATH, ld.so.cache, /usr/lib...).
    paths += ["libwgpu_native.so"]
    var patterns = [
      "/usr/local/lib/python3*/site-packages/wgpu/resources/libwgpu_native-release.so",
      "/usr/local/lib/python3*/dist-packages/wgpu/resources/libwgpu_native-release.so",
      "/usr/lib/python3/dist-packages/wgpu/resources/libwgpu_native-release.so",
    ]
    if let venv = getenv("VIRTUAL_ENV") {
      patterns.insert(
        String(cString: venv) + "/lib/python3*/site-packages/wgpu/resources/libwgpu_native-release.so", at: 0)
    }
    if let home = getenv("HOME") {
      let h = String(cString: home)
      patterns += [
        h + "/.local/lib/python3*/site-packages/wgpu/resources/libwgpu_native-release.so",
        h + "/.pyenv/versions/*/lib/python3*/site-packages/wgpu/resources/libwgpu_native-release.so",
      ]
    }
    for p in patterns { paths += glob(p) }
    return paths
  }

  static func glob(_ pattern: String) -> [String] {
    var g = glob_t()
    defer { globfree(&g) }
    guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
    return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }
  }

  init() throws(WebGPUError) {
    var failures: [String] = []
    var opened: String?
    var error = [CChar](repeating: 0, count: 512)
    for candidate in Self.candidatePaths() {
      if born_wgpu_open(candidate, &api, &error, error.count) == 0 {
        opened = candidate
        break
      }
      let message = text(error)
      // A library that exists but is unusable is worth reporting as such.
      if candidate.contains("/") && access(candidate, F_OK) == 0 {
        throw .libraryUnusable(path: candidate, reason: message)
      }
      failures.append(candidate)
    }
    guard let opened else { throw .libraryNotFound(searched: failures) }
    path = opened
    let v = api.getVersion()
    version = "\(v >> 24).\((v >> 16) & 0xFF).\((v >> 8) & 0xFF)"
    guard let instance = api.createInstance(nil) else {
      throw .libraryUnusable(path: opened, reason: "wgpuCreateInstance returned no instance")
    }
    self.instance = instance
  }

  /// Every adapter wgpu-native finds (all backends).
  public func adapters() -> [WebGPUAdapterInfo] {
    adapterHandles().map { info(of: $0) }
  }

  func adapterHandles() -> [WGPUAdapter] {
    // Vulkan, Metal, D3D12 and browser WebGPU: the OpenGL backend lacks compute features Born
    // needs and probes the display server on Linux.
    var options = WGPUInstanceEnumerateAdapterOptions(nextInChain: nil, backends: 1 | 1 << 2 | 1 << 3 | 1 << 5)
    let count = api.instanceEnumerateAdapters(instance, &options, nil)
    var handles = [WGPUAdapter?](repeating: nil, count: count)
    _ = api.instanceEnumerateAdapters(instance, &options, &handles)
    return handles.compactMap { $0 }
  }

  func info(of adapter: WGPUAdapter) -> WebGPUAdapterInfo {
    var info = WGPUAdapterInfo()
    _ = api.adapterGetInfo(adapter, &info)
    defer { api.adapterInfoFreeMembers(info) }
    var limits = WGPULimits()
    _ = api.adapterGetLimits(adapter, &limits)
    let backends = [
      1: "null", 2: "WebGPU", 3: "D3D11", 4: "D3D12", 5: "Metal", 6: "Vulkan", 7: "OpenGL", 8: "OpenGLES",
    ]
    let types = [1: "discrete GPU", 2: "integrated GPU", 3: "CPU", 4: "unknown"]
    return WebGPUAdapterInfo(
      name: string(info.device), vendor: string(info.vendor), backend: backends[Int(info.backendType)] ?? "?",
      type: types[Int(info.adapterType)] ?? "?",
      supportsF16: api.adapterHasFeature(adapter, UInt32(BORN_WGPU_FEATURE_SHADER_F16)) != 0,
      supportsSubgroups: api.adapterHasFeature(adapter, UInt32(BORN_WGPU_FEATURE_SUBGROUPS)) != 0,
      maxBufferSize: limits.maxBufferSize, maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage)
  }
}

func string(_ view: WGPUStringView) -> String {
  guard let data = view.data else { return "" }
  if view.length < 0 { return String(cString: data) }  // WGPU_STRLEN: NUL-terminated
  return data.withMemoryRebound(to: UInt8.self, capacity: view.length) {
    String(decoding: UnsafeBufferPointer(start: $0, count: view.length), as: UTF8.self)
  }
}

/// The text of a NUL-terminated C buffer.
func text(_ buffer: [CChar]) -> String {
  String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
