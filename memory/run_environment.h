// Builds a RunEnvironment for a memory policy, owning what it points to: the GPU device (real, or
// simulated for planning on another card) and the memory-management stage over it. The one place
// that decides "GPU or CPU" for a run: the trawl binary and GPU tests both use it.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<ManagedEnvironment> managed, MakeRunEnvironment(policy));
//   RunPipeline(pipeline, managed->env);
//
// Thread-compatible; the ManagedEnvironment must outlive every run that uses its env.
#ifndef TRAWL_MEMORY_RUN_ENVIRONMENT_H_
#define TRAWL_MEMORY_RUN_ENVIRONMENT_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "memory/gpu_device.h"
#include "memory/memory_stage.h"
#include "pipelines/stage.h"

namespace trawl {

struct ManagedEnvironment {
  RunEnvironment env;  // env.memory points into `memory`
  std::unique_ptr<GpuDevice> device;
  std::unique_ptr<MemoryStage> memory;
};

// policy.device() CPU: no GPU is touched. AUTO: the GPU when ProbeGpus() finds one, else the CPU
// (env.gpu.unavailable_reason says why). GPU: FailedPrecondition with the reason when there is
// none. `simulate_gpu_mb` > 0 plans for a simulated card of that size (all free) instead, with
// device work emulated on the CPU.
absl::StatusOr<std::unique_ptr<ManagedEnvironment>> MakeRunEnvironment(const MemoryPolicy& policy,
                                                                       int64_t simulate_gpu_mb = 0);

}  // namespace trawl

#endif  // TRAWL_MEMORY_RUN_ENVIRONMENT_H_
