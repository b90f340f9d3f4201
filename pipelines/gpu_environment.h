// What the run knows about the machine's GPUs, probed once at start (memory/gpu_probe.h).
// A plain value: no CUDA dependency, so CPU-only code and tests can build one by hand.
#ifndef TRAWL_PIPELINES_GPU_ENVIRONMENT_H_
#define TRAWL_PIPELINES_GPU_ENVIRONMENT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace trawl {

struct GpuDeviceInfo {
  int index = 0;
  std::string name;            // "NVIDIA H100 80GB HBM3"
  int64_t total_bytes = 0;     // cudaMemGetInfo's total
  int compute_capability = 0;  // 90 for sm_90
};

struct GpuEnvironment {
  std::vector<GpuDeviceInfo> devices;  // usable devices only
  std::string unavailable_reason;      // why there are none, when there are none

  bool usable() const { return !devices.empty(); }
};

}  // namespace trawl

#endif  // TRAWL_PIPELINES_GPU_ENVIRONMENT_H_
