// GpuDevice backed by the CUDA runtime. Construct only when ProbeGpus() found a usable device.
// Pin-test answers are cached per size for the life of the process (a mutex guards the cache).
#ifndef TRAWL_MEMORY_CUDA_GPU_DEVICE_H_
#define TRAWL_MEMORY_CUDA_GPU_DEVICE_H_

#include "memory/gpu_device.h"

namespace trawl {

class CudaGpuDevice : public GpuDevice {
 public:
  explicit CudaGpuDevice(int device_count) : device_count_(device_count) {}

  int device_count() const override { return device_count_; }
  absl::StatusOr<GpuMemoryInfo> MemoryInfo(int device) override;
  absl::Status PinTest(int64_t bytes) override;
  absl::Status Cleanup(int device) override;
  absl::StatusOr<std::shared_ptr<CUstream_st>> CreateStream(int device) override;
  absl::StatusOr<void*> AllocateDevice(int device, int64_t bytes) override;
  void FreeDevice(int device, void* pointer) override;
  bool emulated() const override { return false; }

 private:
  int device_count_;  // devices the run may use, 0..device_count_-1
};

}  // namespace trawl

#endif  // TRAWL_MEMORY_CUDA_GPU_DEVICE_H_
