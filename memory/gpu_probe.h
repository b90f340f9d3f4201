// Finds the GPUs this process can use, through the CUDA runtime alone.
//
// FAISS's faiss::gpu::getNumDevices() aborts the process when there is no driver (CUDA error 35),
// so Trawl asks the runtime itself first and makes no faiss::gpu call unless this reports a usable
// device. Any runtime error means "no usable GPU", with the error in unavailable_reason.
// Thread-safe; the first call creates a CUDA context on each device.
#ifndef TRAWL_MEMORY_GPU_PROBE_H_
#define TRAWL_MEMORY_GPU_PROBE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "pipelines/gpu_environment.h"

namespace trawl {

// Devices that answered and ran Trawl's probe kernel; the reason when none did.
GpuEnvironment ProbeGpus();

// Free and total memory of `device` as cudaMemGetInfo reports it now, in bytes.
struct GpuMemoryInfo {
  int64_t free_bytes = 0;
  int64_t total_bytes = 0;
};
absl::StatusOr<GpuMemoryInfo> QueryGpuMemory(int device);

}  // namespace trawl

#endif  // TRAWL_MEMORY_GPU_PROBE_H_
