// The part of the WebGPU C API (webgpu.h + wgpu.h of wgpu-native as shipped in the Python
// package wgpu 0.32.0) that Born uses, declared here so Born builds without the library or its
// headers. The library is opened at run time (born_wgpu_open); every entry point goes through
// the function table it fills. Layouts follow that version's headers exactly.
#ifndef BORN_WEBGPU_H
#define BORN_WEBGPU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t WGPUBool;
typedef uint64_t WGPUFlags;
typedef WGPUFlags WGPUBufferUsage;
typedef WGPUFlags WGPUMapMode;
typedef WGPUFlags WGPUInstanceBackend;
typedef uint64_t WGPUSubmissionIndex;

typedef struct WGPUAdapterImpl *WGPUAdapter;
typedef struct WGPUBindGroupImpl *WGPUBindGroup;
typedef struct WGPUBindGroupLayoutImpl *WGPUBindGroupLayout;
typedef struct WGPUBufferImpl *WGPUBuffer;
typedef struct WGPUCommandBufferImpl *WGPUCommandBuffer;
typedef struct WGPUCommandEncoderImpl *WGPUCommandEncoder;
typedef struct WGPUComputePassEncoderImpl *WGPUComputePassEncoder;
typedef struct WGPUComputePipelineImpl *WGPUComputePipeline;
typedef struct WGPUDeviceImpl *WGPUDevice;
typedef struct WGPUInstanceImpl *WGPUInstance;
typedef struct WGPUPipelineLayoutImpl *WGPUPipelineLayout;
typedef struct WGPUQueueImpl *WGPUQueue;
typedef struct WGPUShaderModuleImpl *WGPUShaderModule;

enum {
  BORN_WGPU_BUFFER_MAP_READ = 0x1,
  BORN_WGPU_BUFFER_COPY_SRC = 0x4,
  BORN_WGPU_BUFFER_COPY_DST = 0x8,
  BORN_WGPU_BUFFER_UNIFORM = 0x40,
  BORN_WGPU_BUFFER_STORAGE = 0x80,
};

enum { BORN_WGPU_STYPE_SHADER_SOURCE_WGSL = 0x2 };
enum { BORN_WGPU_CALLBACK_MODE_ALLOW_PROCESS_EVENTS = 0x2 };
enum { BORN_WGPU_STATUS_SUCCESS = 0x1 };
enum { BORN_WGPU_FEATURE_SHADER_F16 = 0xB, BORN_WGPU_FEATURE_SUBGROUPS = 0x12 };
enum { BORN_WGPU_ERROR_FILTER_VALIDATION = 0x1 };

typedef struct WGPUStringView {
  const char *data;
  size_t length;
} WGPUStringView;

typedef struct WGPUChainedStruct {
  struct WGPUChainedStruct *next;
  uint32_t sType;
} WGPUChainedStruct;

typedef struct WGPUFuture {
  uint64_t id;
} WGPUFuture;

typedef struct WGPUAdapterInfo {
  WGPUChainedStruct *nextInChain;
  WGPUStringView vendor;
  WGPUStringView architecture;
  WGPUStringView device;
  WGPUStringView description;
  uint32_t backendType;
  uint32_t adapterType;
  uint32_t vendorID;
  uint32_t deviceID;
  uint32_t subgroupMinSize;
  uint32_t subgroupMaxSize;
} WGPUAdapterInfo;

typedef struct WGPULimits {
  WGPUChainedStruct *nextInChain;
  uint32_t maxTextureDimension1D;
  uint32_t maxTextureDimension2D;
  uint32_t maxTextureDimension3D;
  uint32_t maxTextureArrayLayers;
  uint32_t maxBindGroups;
  uint32_t maxBindGroupsPlusVertexBuffers;
  uint32_t maxBindingsPerBindGroup;
  uint32_t maxDynamicUniformBuffersPerPipelineLayout;
  uint32_t maxDynamicStorageBuffersPerPipelineLayout;
  uint32_t maxSampledTexturesPerShaderStage;
  uint32_t maxSamplersPerShaderStage;
  uint32_t maxStorageBuffersPerShaderStage;
  uint32_t maxStorageTexturesPerShaderStage;
  uint32_t maxUniformBuffersPerShaderStage;
  uint64_t maxUniformBufferBindingSize;
  uint64_t maxStorageBufferBindingSize;
  uint32_t minUniformBufferOffsetAlignment;
  uint32_t minStorageBufferOffsetAlignment;
  uint32_t maxVertexBuffers;
  uint64_t maxBufferSize;
  uint32_t maxVertexAttributes;
  uint32_t maxVertexBufferArrayStride;
  uint32_t maxInterStageShaderVariables;
  uint32_t maxColorAttachments;
  uint32_t maxColorAttachmentBytesPerSample;
  uint32_t maxComputeWorkgroupStorageSize;
  uint32_t maxComputeInvocationsPerWorkgroup;
  uint32_t maxComputeWorkgroupSizeX;
  uint32_t maxComputeWorkgroupSizeY;
  uint32_t maxComputeWorkgroupSizeZ;
  uint32_t maxComputeWorkgroupsPerDimension;
  uint32_t maxImmediateSize;
} WGPULimits;

typedef struct WGPUBufferDescriptor {
  WGPUChainedStruct *nextInChain;
  WGPUStringView label;
  WGPUBufferUsage usage;
  uint64_t size;
  WGPUBool mappedAtCreation;
} WGPUBufferDescriptor;

typedef struct WGPUShaderModuleDescriptor {
  WGPUChainedStruct *nextInChain;
  WGPUStringView label;
} WGPUShaderModuleDescriptor;

typedef struct WGPUShaderSourceWGSL {
  WGPUChainedStruct chain;
  WGPUStringView code;
} WGPUShaderSourceWGSL;

typedef struct WGPUConstantEntry {
  WGPUChainedStruct *nextInChain;
  WGPUStringView key;
  double value;
} WGPUConstantEntry;

typedef struct WGPUComputeState {
  WGPUChainedStruct *nextInChain;
  WGPUShaderModule module;
  WGPUStringView entryPoint;
  size_t constantCount;
  const WGPUConstantEntry *constants;
} WGPUComputeState;

typedef struct WGPUComputePipelineDescriptor {
  WGPUChainedStruct *nextInChain;
  WGPUStringView label;
  WGPUPipelineLayout layout;
  WGPUComputeState compute;
} WGPUComputePipelineDescriptor;

typedef struct WGPUBindGroupEntry {
  WGPUChainedStruct *nextInChain;
  uint32_t binding;
  WGPUBuffer buffer;
  uint64_t offset;
  uint64_t size;
  void *sampler;
  void *textureView;
} WGPUBindGroupEntry;

typedef struct WGPUBindGroupDescriptor {
  WGPUChainedStruct *nextInChain;
  WGPUStringView label;
  WGPUBindGroupLayout layout;
  size_t entryCount;
  const WGPUBindGroupEntry *entries;
} WGPUBindGroupDescriptor;

typedef struct WGPUInstanceEnumerateAdapterOptions {
  const WGPUChainedStruct *nextInChain;
  WGPUInstanceBackend backends;
} WGPUInstanceEnumerateAdapterOptions;

/// The entry points Born calls, filled by born_wgpu_open.
typedef struct BornWGPU {
  WGPUInstance (*createInstance)(const void *descriptor);
  size_t (*instanceEnumerateAdapters)(WGPUInstance, const WGPUInstanceEnumerateAdapterOptions *, WGPUAdapter *);
  void (*instanceProcessEvents)(WGPUInstance);
  void (*instanceRelease)(WGPUInstance);
  uint32_t (*adapterGetInfo)(WGPUAdapter, WGPUAdapterInfo *);
  void (*adapterInfoFreeMembers)(WGPUAdapterInfo);
  uint32_t (*adapterGetLimits)(WGPUAdapter, WGPULimits *);
  WGPUBool (*adapterHasFeature)(WGPUAdapter, uint32_t);
  void (*adapterRelease)(WGPUAdapter);
  void (*deviceRelease)(WGPUDevice);
  WGPUQueue (*deviceGetQueue)(WGPUDevice);
  uint32_t (*deviceGetLimits)(WGPUDevice, WGPULimits *);
  WGPUBuffer (*deviceCreateBuffer)(WGPUDevice, const WGPUBufferDescriptor *);
  WGPUShaderModule (*deviceCreateShaderModule)(WGPUDevice, const WGPUShaderModuleDescriptor *);
  WGPUComputePipeline (*deviceCreateComputePipeline)(WGPUDevice, const WGPUComputePipelineDescriptor *);
  WGPUBindGroup (*deviceCreateBindGroup)(WGPUDevice, const WGPUBindGroupDescriptor *);
  WGPUCommandEncoder (*deviceCreateCommandEncoder)(WGPUDevice, const void *descriptor);
  void (*devicePushErrorScope)(WGPUDevice, uint32_t filter);
  WGPUBool (*devicePoll)(WGPUDevice, WGPUBool wait, const WGPUSubmissionIndex *);
  WGPUBindGroupLayout (*computePipelineGetBindGroupLayout)(WGPUComputePipeline, uint32_t);
  void (*computePipelineRelease)(WGPUComputePipeline);
  void (*shaderModuleRelease)(WGPUShaderModule);
  void (*bindGroupRelease)(WGPUBindGroup);
  void (*bindGroupLayoutRelease)(WGPUBindGroupLayout);
  WGPUComputePassEncoder (*commandEncoderBeginComputePass)(WGPUCommandEncoder, const void *descriptor);
  void (*commandEncoderCopyBufferToBuffer)(WGPUCommandEncoder, WGPUBuffer, uint64_t, WGPUBuffer, uint64_t, uint64_t);
  void (*commandEncoderClearBuffer)(WGPUCommandEncoder, WGPUBuffer, uint64_t, uint64_t);
  WGPUCommandBuffer (*commandEncoderFinish)(WGPUCommandEncoder, const void *descriptor);
  void (*commandEncoderRelease)(WGPUCommandEncoder);
  void (*commandBufferRelease)(WGPUCommandBuffer);
  void (*computePassEncoderSetPipeline)(WGPUComputePassEncoder, WGPUComputePipeline);
  void (*computePassEncoderSetBindGroup)(WGPUComputePassEncoder, uint32_t, WGPUBindGroup, size_t, const uint32_t *);
  void (*computePassEncoderDispatchWorkgroups)(WGPUComputePassEncoder, uint32_t, uint32_t, uint32_t);
  void (*computePassEncoderEnd)(WGPUComputePassEncoder);
  void (*computePassEncoderRelease)(WGPUComputePassEncoder);
  void (*queueSubmit)(WGPUQueue, size_t, const WGPUCommandBuffer *);
  void (*queueWriteBuffer)(WGPUQueue, WGPUBuffer, uint64_t, const void *, size_t);
  void (*queueRelease)(WGPUQueue);
  const void *(*bufferGetConstMappedRange)(WGPUBuffer, size_t, size_t);
  void (*bufferUnmap)(WGPUBuffer);
  void (*bufferDestroy)(WGPUBuffer);
  void (*bufferRelease)(WGPUBuffer);
  uint32_t (*getVersion)(void);
  // Used only by the C helpers below (their callback structs are declared in loader.c).
  void *adapterRequestDevice;
  void *bufferMapAsync;
  void *devicePopErrorScope;
} BornWGPU;

/// Opens the library at `path` and fills `api`. Returns 0, or -1 with a message in `error`.
int born_wgpu_open(const char *path, BornWGPU *api, char *error, size_t error_size);

/// Requests a device from `adapter` with the adapter's own limits and the features listed
/// (0 to 2 of BORN_WGPU_FEATURE_*). Uncaptured errors are recorded, not fatal: see
/// born_wgpu_take_error. Returns NULL with a message in `error` on failure.
WGPUDevice born_wgpu_request_device(const BornWGPU *api, WGPUInstance instance, WGPUAdapter adapter,
                                    const uint32_t *features, size_t feature_count, char *error,
                                    size_t error_size);

/// Copies the first uncaptured device error since the last call into `error` and returns 1, or
/// returns 0 when there was none.
int born_wgpu_take_error(char *error, size_t error_size);

/// Pops the error scope pushed with devicePushErrorScope; returns 1 and the message when an
/// error was caught.
int born_wgpu_pop_error_scope(const BornWGPU *api, WGPUInstance instance, WGPUDevice device, char *error,
                              size_t error_size);

/// Maps `buffer` (MAP_READ usage) for reading, waiting for the GPU, and returns the mapped
/// bytes (valid until bufferUnmap), or NULL with a message.
const void *born_wgpu_map_read(const BornWGPU *api, WGPUInstance instance, WGPUDevice device, WGPUBuffer buffer,
                               size_t size, char *error, size_t error_size);

#ifdef __cplusplus
}
#endif
#endif
