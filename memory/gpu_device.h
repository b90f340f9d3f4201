// The GPU as the memory-management stage sees it: memory queries, a pin test, cleanup, streams.
//
// Two implementations: CudaGpuDevice (cuda_gpu_device.h) asks the CUDA runtime; SimulatedGpuDevice
// (simulated_gpu_device.h) has a configured size, free memory, pin limit and scripted failures, so
// CPU-only tests reach every branch of the ladder. Implementations are thread-compatible.
#ifndef TRAWL_MEMORY_GPU_DEVICE_H_
#define TRAWL_MEMORY_GPU_DEVICE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "memory/gpu_probe.h"
#include "pipelines/placement.h"

namespace trawl {

class GpuDevice {
 public:
  virtual ~GpuDevice() = default;

  virtual int device_count() const = 0;

  // Free and total memory of `device` right now.
  virtual absl::StatusOr<GpuMemoryInfo> MemoryInfo(int device) = 0;

  // Pins `bytes` of host memory and frees it. ResourceExhausted with the runtime's message when
  // pinning fails. Implementations cache the answer per size for the life of the process.
  virtual absl::Status PinTest(int64_t bytes) = 0;

  // Synchronises `device` and returns unused pool memory to the driver.
  virtual absl::Status Cleanup(int device) = 0;

  // A new stream on `device` for one placement attempt, destroyed (after a synchronize) when the
  // last holder lets go — the attempt, or a value that keeps it (DeviceLease::stream_owners); the
  // deleter does not use this object, which may be gone by then. Null (the default stream) on
  // emulated devices.
  virtual absl::StatusOr<std::shared_ptr<CUstream_st>> CreateStream(int device) {
    (void)device;
    return std::shared_ptr<CUstream_st>();
  }

  // Device memory for Trawl's own kernels (the lease's allocator allocates through this):
  // ResourceExhausted with the runtime's message when the device has too little. An emulated
  // device hands out placeholders that must not be dereferenced and fails beyond its free memory.
  virtual absl::StatusOr<void*> AllocateDevice(int device, int64_t bytes) = 0;
  virtual void FreeDevice(int device, void* pointer) = 0;

  // True when no real GPU backs this device: placements are emulated on the CPU.
  virtual bool emulated() const = 0;

  // Emulated devices only: the error FAISS would raise for this placement holding `device_bytes`
  // of data per device (its cudaHostAlloc or cudaMalloc message), or OK.
  virtual absl::Status SimulateAllocation(const DeviceLease& placement, int64_t device_bytes) {
    (void)placement;
    (void)device_bytes;
    return absl::OkStatus();
  }
};

}  // namespace trawl

#endif  // TRAWL_MEMORY_GPU_DEVICE_H_
