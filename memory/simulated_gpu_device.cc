#include "memory/simulated_gpu_device.h"

#include "absl/strings/str_cat.h"
#include "pipelines/status_util.h"

namespace trawl {

std::string FaissPinnedAllocFailure(int64_t bytes) {
  return absl::StrCat("failed to cudaHostAlloc ", bytes,
                      " bytes for CPU <-> GPU async copy buffer (error 2 out of memory)");
}

std::string FaissDeviceAllocFailure(int64_t bytes) {
  return absl::StrCat(
      "StandardGpuResources: alloc fail type TemporaryMemoryBuffer dev 0 space "
      "Device stream 0 size ",
      bytes, " bytes (cudaMalloc error out of memory [2])");
}

absl::StatusOr<GpuMemoryInfo> SimulatedGpuDevice::MemoryInfo(int device) {
  if (device < 0 || device >= spec_.device_count) {
    return absl::UnavailableError(absl::StrCat("simulated device ", device, " does not exist"));
  }
  return GpuMemoryInfo{spec_.free_bytes, spec_.total_bytes};
}

absl::Status SimulatedGpuDevice::PinTest(int64_t bytes) {
  ++pin_tests_;
  if (bytes > spec_.pin_limit_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("pin test: cudaHostAlloc of ", bytes,
                                                     " bytes failed (error 2 out of memory)"));
  }
  return absl::OkStatus();
}

absl::Status SimulatedGpuDevice::Cleanup(int device) {
  ++cleanups_;
  return device < spec_.device_count ? absl::OkStatus()
                                     : absl::UnavailableError("no such simulated device");
}

absl::Status SimulatedGpuDevice::SimulateAllocation(const DeviceLease& placement,
                                                    int64_t device_bytes) {
  auto scripted = spec_.scripted_failures.find(placement.rung);
  if (scripted != spec_.scripted_failures.end()) {
    return StatusFromExceptionMessage("simulated", scripted->second);
  }
  if (placement.pinned_bytes > spec_.pin_limit_bytes) {
    return StatusFromExceptionMessage("simulated", FaissPinnedAllocFailure(placement.pinned_bytes));
  }
  if (device_bytes + placement.temp_bytes > spec_.free_bytes) {
    return StatusFromExceptionMessage("simulated", FaissDeviceAllocFailure(device_bytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<void*> SimulatedGpuDevice::AllocateDevice(int device, int64_t bytes) {
  (void)device;
  if (allocated_bytes_ + bytes > spec_.free_bytes) {
    return StatusFromExceptionMessage("simulated", FaissDeviceAllocFailure(bytes));
  }
  void* placeholder = new char[1];  // a distinct address standing in for device memory
  allocations_[placeholder] = bytes;
  allocated_bytes_ += bytes;
  return placeholder;
}

void SimulatedGpuDevice::FreeDevice(int device, void* pointer) {
  (void)device;
  auto it = allocations_.find(pointer);
  if (it == allocations_.end()) return;
  allocated_bytes_ -= it->second;
  allocations_.erase(it);
  delete[] static_cast<char*>(pointer);
}

}  // namespace trawl
