// A GpuDevice with configured memory and failures, for CPU-only tests of the memory stage and for
// `trawl validate --explain --simulate_gpu_mb=N`. It models the two FAISS allocations that fail in
// practice, with FAISS's own messages: the pinned staging buffer (cudaHostAlloc) when it exceeds
// pin_limit_bytes, and device memory (cudaMalloc) when data + temp exceed free memory. Scripted
// failures fail a rung outright with a given message. Not thread-safe.
#ifndef TRAWL_MEMORY_SIMULATED_GPU_DEVICE_H_
#define TRAWL_MEMORY_SIMULATED_GPU_DEVICE_H_

#include <map>
#include <string>

#include "memory/gpu_device.h"

namespace trawl {

struct SimulatedGpuSpec {
  int device_count = 1;
  int64_t total_bytes = int64_t{80} << 30;
  int64_t free_bytes = int64_t{79} << 30;
  int64_t pin_limit_bytes = int64_t{1} << 40;     // pinned allocations above this fail
  std::map<Rung, std::string> scripted_failures;  // rung -> the error its attempt raises
};

// FAISS 1.7.3's exact messages, for simulated failures and tests.
std::string FaissPinnedAllocFailure(int64_t bytes);
std::string FaissDeviceAllocFailure(int64_t bytes);

class SimulatedGpuDevice : public GpuDevice {
 public:
  explicit SimulatedGpuDevice(SimulatedGpuSpec spec) : spec_(std::move(spec)) {}

  int device_count() const override { return spec_.device_count; }
  absl::StatusOr<GpuMemoryInfo> MemoryInfo(int device) override;
  absl::Status PinTest(int64_t bytes) override;
  absl::Status Cleanup(int device) override;
  bool emulated() const override { return true; }
  absl::Status SimulateAllocation(const DeviceLease& placement, int64_t device_bytes) override;
  absl::StatusOr<void*> AllocateDevice(int device, int64_t bytes) override;
  void FreeDevice(int device, void* pointer) override;

  int pin_tests() const { return pin_tests_; }
  int cleanups() const { return cleanups_; }

 private:
  SimulatedGpuSpec spec_;
  int pin_tests_ = 0;                     // calls of PinTest
  int cleanups_ = 0;                      // calls of Cleanup
  std::map<void*, int64_t> allocations_;  // placeholder -> bytes, of AllocateDevice
  int64_t allocated_bytes_ = 0;           // their sum, taken from free_bytes
};

}  // namespace trawl

#endif  // TRAWL_MEMORY_SIMULATED_GPU_DEVICE_H_
