// Opens wgpu-native with dlopen and wraps the callback-based parts of the API (device request,
// buffer mapping, error scopes) in blocking calls.
#include "born_webgpu.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  WGPUChainedStruct *nextInChain;
  uint32_t mode;
  void (*callback)(uint32_t status, WGPUDevice device, WGPUStringView message, void *u1, void *u2);
  void *userdata1;
  void *userdata2;
} RequestDeviceCallbackInfo;

typedef struct {
  WGPUChainedStruct *nextInChain;
  uint32_t mode;
  void (*callback)(uint32_t status, WGPUStringView message, void *u1, void *u2);
  void *userdata1;
  void *userdata2;
} BufferMapCallbackInfo;

typedef struct {
  WGPUChainedStruct *nextInChain;
  uint32_t mode;
  void (*callback)(uint32_t status, uint32_t type, WGPUStringView message, void *u1, void *u2);
  void *userdata1;
  void *userdata2;
} PopErrorScopeCallbackInfo;

typedef struct {
  WGPUChainedStruct *nextInChain;
  WGPUStringView label;
} QueueDescriptor;

typedef struct {
  WGPUChainedStruct *nextInChain;
  uint32_t mode;
  void (*callback)(const WGPUDevice *device, uint32_t reason, WGPUStringView message, void *u1, void *u2);
  void *userdata1;
  void *userdata2;
} DeviceLostCallbackInfo;

typedef struct {
  WGPUChainedStruct *nextInChain;
  void (*callback)(const WGPUDevice *device, uint32_t type, WGPUStringView message, void *u1, void *u2);
  void *userdata1;
  void *userdata2;
} UncapturedErrorCallbackInfo;

typedef struct {
  WGPUChainedStruct *nextInChain;
  WGPUStringView label;
  size_t requiredFeatureCount;
  const uint32_t *requiredFeatures;
  const WGPULimits *requiredLimits;
  QueueDescriptor defaultQueue;
  DeviceLostCallbackInfo deviceLostCallbackInfo;
  UncapturedErrorCallbackInfo uncapturedErrorCallbackInfo;
} DeviceDescriptor;

typedef WGPUFuture (*RequestDeviceFn)(WGPUAdapter, const DeviceDescriptor *, RequestDeviceCallbackInfo);
typedef WGPUFuture (*MapAsyncFn)(WGPUBuffer, WGPUMapMode, size_t, size_t, BufferMapCallbackInfo);
typedef WGPUFuture (*PopErrorScopeFn)(WGPUDevice, PopErrorScopeCallbackInfo);

static void copy_message(char *dst, size_t size, WGPUStringView m) {
  if (size == 0) return;
  size_t n = m.data ? (m.length == SIZE_MAX ? strlen(m.data) : m.length) : 0;
  if (n >= size) n = size - 1;
  if (n) memcpy(dst, m.data, n);
  dst[n] = 0;
}

int born_wgpu_open(const char *path, BornWGPU *api, char *error, size_t error_size) {
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    snprintf(error, error_size, "%s", dlerror());
    return -1;
  }
  struct {
    const char *name;
    void **slot;
  } table[] = {
#define E(field, symbol) {symbol, (void **)&api->field}
      E(createInstance, "wgpuCreateInstance"),
      E(instanceEnumerateAdapters, "wgpuInstanceEnumerateAdapters"),
      E(instanceProcessEvents, "wgpuInstanceProcessEvents"),
      E(instanceRelease, "wgpuInstanceRelease"),
      E(adapterGetInfo, "wgpuAdapterGetInfo"),
      E(adapterInfoFreeMembers, "wgpuAdapterInfoFreeMembers"),
      E(adapterGetLimits, "wgpuAdapterGetLimits"),
      E(adapterHasFeature, "wgpuAdapterHasFeature"),
      E(adapterRelease, "wgpuAdapterRelease"),
      E(deviceRelease, "wgpuDeviceRelease"),
      E(deviceGetQueue, "wgpuDeviceGetQueue"),
      E(deviceGetLimits, "wgpuDeviceGetLimits"),
      E(deviceCreateBuffer, "wgpuDeviceCreateBuffer"),
      E(deviceCreateShaderModule, "wgpuDeviceCreateShaderModule"),
      E(deviceCreateComputePipeline, "wgpuDeviceCreateComputePipeline"),
      E(deviceCreateBindGroup, "wgpuDeviceCreateBindGroup"),
      E(deviceCreateCommandEncoder, "wgpuDeviceCreateCommandEncoder"),
      E(devicePushErrorScope, "wgpuDevicePushErrorScope"),
      E(devicePoll, "wgpuDevicePoll"),
      E(computePipelineGetBindGroupLayout, "wgpuComputePipelineGetBindGroupLayout"),
      E(computePipelineRelease, "wgpuComputePipelineRelease"),
      E(shaderModuleRelease, "wgpuShaderModuleRelease"),
      E(bindGroupRelease, "wgpuBindGroupRelease"),
      E(bindGroupLayoutRelease, "wgpuBindGroupLayoutRelease"),
      E(commandEncoderBeginComputePass, "wgpuCommandEncoderBeginComputePass"),
      E(commandEncoderCopyBufferToBuffer, "wgpuCommandEncoderCopyBufferToBuffer"),
      E(commandEncoderClearBuffer, "wgpuCommandEncoderClearBuffer"),
      E(commandEncoderFinish, "wgpuCommandEncoderFinish"),
      E(commandEncoderRelease, "wgpuCommandEncoderRelease"),
      E(commandBufferRelease, "wgpuCommandBufferRelease"),
      E(computePassEncoderSetPipeline, "wgpuComputePassEncoderSetPipeline"),
      E(computePassEncoderSetBindGroup, "wgpuComputePassEncoderSetBindGroup"),
      E(computePassEncoderDispatchWorkgroups, "wgpuComputePassEncoderDispatchWorkgroups"),
      E(computePassEncoderEnd, "wgpuComputePassEncoderEnd"),
      E(computePassEncoderRelease, "wgpuComputePassEncoderRelease"),
      E(queueSubmit, "wgpuQueueSubmit"),
      E(queueWriteBuffer, "wgpuQueueWriteBuffer"),
      E(queueRelease, "wgpuQueueRelease"),
      E(bufferGetConstMappedRange, "wgpuBufferGetConstMappedRange"),
      E(bufferUnmap, "wgpuBufferUnmap"),
      E(bufferDestroy, "wgpuBufferDestroy"),
      E(bufferRelease, "wgpuBufferRelease"),
      E(getVersion, "wgpuGetVersion"),
      E(adapterRequestDevice, "wgpuAdapterRequestDevice"),
      E(bufferMapAsync, "wgpuBufferMapAsync"),
      E(devicePopErrorScope, "wgpuDevicePopErrorScope"),
#undef E
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    *table[i].slot = dlsym(lib, table[i].name);
    if (!*table[i].slot) {
      snprintf(error, error_size, "%s: missing symbol %s (not the wgpu-native version Born supports)", path,
               table[i].name);
      dlclose(lib);
      return -1;
    }
  }
  return 0;
}

// The first uncaptured error since the last born_wgpu_take_error (one process-wide slot: Born
// opens one device per adapter and checks after each operation that can fail).
static char pending_error[1024];
static int pending_error_flag;

static void on_uncaptured_error(const WGPUDevice *device, uint32_t type, WGPUStringView message, void *u1, void *u2) {
  (void)device, (void)u1, (void)u2, (void)type;
  if (!__atomic_exchange_n(&pending_error_flag, 1, __ATOMIC_ACQ_REL)) copy_message(pending_error, sizeof pending_error, message);
}

int born_wgpu_take_error(char *error, size_t error_size) {
  if (!__atomic_load_n(&pending_error_flag, __ATOMIC_ACQUIRE)) return 0;
  snprintf(error, error_size, "%s", pending_error);
  __atomic_store_n(&pending_error_flag, 0, __ATOMIC_RELEASE);
  return 1;
}

typedef struct {
  int done;
  uint32_t status;
  WGPUDevice device;
  char *error;
  size_t error_size;
} DeviceRequest;

static void on_device(uint32_t status, WGPUDevice device, WGPUStringView message, void *u1, void *u2) {
  (void)u2;
  DeviceRequest *r = u1;
  r->status = status;
  r->device = device;
  if (status != BORN_WGPU_STATUS_SUCCESS) copy_message(r->error, r->error_size, message);
  r->done = 1;
}

WGPUDevice born_wgpu_request_device(const BornWGPU *api, WGPUInstance instance, WGPUAdapter adapter,
                                    const uint32_t *features, size_t feature_count, char *error,
                                    size_t error_size) {
  WGPULimits limits;
  memset(&limits, 0, sizeof limits);
  if (api->adapterGetLimits(adapter, &limits) != BORN_WGPU_STATUS_SUCCESS) {
    snprintf(error, error_size, "the adapter did not report its limits");
    return NULL;
  }
  limits.nextInChain = NULL;
  DeviceDescriptor d;
  memset(&d, 0, sizeof d);
  d.label = (WGPUStringView){"born", 4};
  d.requiredFeatureCount = feature_count;
  d.requiredFeatures = features;
  d.requiredLimits = &limits;
  d.uncapturedErrorCallbackInfo.callback = on_uncaptured_error;
  DeviceRequest r = {0, 0, NULL, error, error_size};
  RequestDeviceCallbackInfo cb = {NULL, BORN_WGPU_CALLBACK_MODE_ALLOW_PROCESS_EVENTS, on_device, &r, NULL};
  ((RequestDeviceFn)api->adapterRequestDevice)(adapter, &d, cb);
  for (int spins = 0; !r.done && spins < 1000000; spins++) api->instanceProcessEvents(instance);
  if (!r.done) {
    snprintf(error, error_size, "the device request did not complete");
    return NULL;
  }
  return r.status == BORN_WGPU_STATUS_SUCCESS ? r.device : NULL;
}

typedef struct {
  int done;
  uint32_t status;
  uint32_t type;
  char *error;
  size_t error_size;
} Pending;

static void on_map(uint32_t status, WGPUStringView message, void *u1, void *u2) {
  (void)u2;
  Pending *p = u1;
  p->status = status;
  if (status != BORN_WGPU_STATUS_SUCCESS) copy_message(p->error, p->error_size, message);
  p->done = 1;
}

const void *born_wgpu_map_read(const BornWGPU *api, WGPUInstance instance, WGPUDevice device, WGPUBuffer buffer,
                               size_t size, char *error, size_t error_size) {
  Pending p = {0, 0, 0, error, error_size};
  BufferMapCallbackInfo cb = {NULL, BORN_WGPU_CALLBACK_MODE_ALLOW_PROCESS_EVENTS, on_map, &p, NULL};
  ((MapAsyncFn)api->bufferMapAsync)(buffer, 1 /* read */, 0, size, cb);
  while (!p.done) {
    api->devicePoll(device, 1, NULL);
    api->instanceProcessEvents(instance);
  }
  if (p.status != BORN_WGPU_STATUS_SUCCESS) return NULL;
  return api->bufferGetConstMappedRange(buffer, 0, size);
}

static void on_pop(uint32_t status, uint32_t type, WGPUStringView message, void *u1, void *u2) {
  (void)u2;
  Pending *p = u1;
  p->status = status;
  p->type = type;
  if (type != 1 /* no error */) copy_message(p->error, p->error_size, message);
  p->done = 1;
}

int born_wgpu_pop_error_scope(const BornWGPU *api, WGPUInstance instance, WGPUDevice device, char *error,
                              size_t error_size) {
  Pending p = {0, 0, 1, error, error_size};
  PopErrorScopeCallbackInfo cb = {NULL, BORN_WGPU_CALLBACK_MODE_ALLOW_PROCESS_EVENTS, on_pop, &p, NULL};
  ((PopErrorScopeFn)api->devicePopErrorScope)(device, cb);
  while (!p.done) {
    api->devicePoll(device, 1, NULL);
    api->instanceProcessEvents(instance);
  }
  return p.type != 1;
}
