#include "memory/run_environment.h"

#include "absl/strings/str_cat.h"
#include "memory/cuda_gpu_device.h"
#include "memory/gpu_probe.h"
#include "memory/simulated_gpu_device.h"

namespace trawl {

absl::StatusOr<std::unique_ptr<ManagedEnvironment>> MakeRunEnvironment(const MemoryPolicy& policy,
                                                                       int64_t simulate_gpu_mb) {
  auto managed = std::make_unique<ManagedEnvironment>();
  RunEnvironment& env = managed->env;
  if (policy.device() == MemoryPolicy::CPU) {
    env.gpu.unavailable_reason = "the memory policy selects the CPU";
    return managed;
  }
  if (simulate_gpu_mb > 0) {
    SimulatedGpuSpec spec;
    spec.total_bytes = spec.free_bytes = simulate_gpu_mb << 20;
    env.gpu.devices.push_back(GpuDeviceInfo{
        0, absl::StrCat("simulated ", simulate_gpu_mb, " MiB GPU"), spec.total_bytes, 0});
    managed->device = std::make_unique<SimulatedGpuDevice>(spec);
  } else {
    env.gpu = ProbeGpus();
    if (!env.gpu.usable()) {
      if (policy.device() == MemoryPolicy::GPU) {
        return absl::FailedPreconditionError(
            absl::StrCat("the memory policy requires a GPU, but ", env.gpu.unavailable_reason));
      }
      return managed;
    }
    managed->device = std::make_unique<CudaGpuDevice>(static_cast<int>(env.gpu.devices.size()));
  }
  managed->memory = std::make_unique<MemoryStage>(policy, managed->device.get());
  env.memory = managed->memory.get();
  return managed;
}

}  // namespace trawl
