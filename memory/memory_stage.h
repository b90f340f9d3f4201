// The memory-management stage: runs before every INDEX_BUILD and SEARCH stage that may use a GPU
// (the runner inserts it; configs never name it) and places that stage's device work.
//
// Prepare(), in order:
//   1. Plan: from the stage's MemoryEstimate, the device bytes each rung of the ladder needs
//      (pipelines/placement.h); rungs the policy forbids or that cannot fit are skipped, with why.
//   2. Host validation: available memory (MemAvailable and the cgroup limit) against the policy's
//      minimum (default 512 MiB) and the stage's data; RLIMIT_MEMLOCK; a real pin test of the
//      planned pinned buffer (cached per size), falling back to 64 MiB, then none.
//   3. Temp-memory tier from free VRAM (memory/temp_memory.h), requested and effective.
//   4. Cleanup: synchronise, trim memory pools; free memory before and after.
// RunPlaced() then tries the rungs in order, each on fresh StandardGpuResources, moving down
// only on allocation failures (ResourceExhausted) and logging each with FAISS's message.
//
//   CudaGpuDevice device(gpu_count);
//   MemoryStage memory(policy, &device, FaissResourcesFactory());
//   env.memory = &memory;  // the runner calls Prepare; stages call ctx.RunPlaced(work)
//
// Not thread-safe: one pipeline's stages run on one thread.
#ifndef TRAWL_MEMORY_MEMORY_STAGE_H_
#define TRAWL_MEMORY_MEMORY_STAGE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "memory/gpu_device.h"
#include "memory/host_memory.h"
#include "pipelines/pipeline.pb.h"
#include "pipelines/placement.h"

namespace trawl {

// Makes the FAISS resources for one device of a placement; FaissResourcesFactory() in
// memory/faiss_resources.h is the real one. Unused (may be null) with an emulated device.
using ResourcesFactory = std::function<std::shared_ptr<faiss::gpu::StandardGpuResources>(
    int device, int64_t temp_bytes, int64_t pinned_bytes)>;

class MemoryStage : public MemoryManager {
 public:
  // `device` must outlive the stage.
  MemoryStage(MemoryPolicy policy, GpuDevice* device, ResourcesFactory factory,
              HostMemorySources host_sources = {});

  absl::Status Preflight() override;
  absl::Status Prepare(const MemoryEstimate& estimate, MemoryDecision& decision) override;
  absl::Status RunPlaced(const PlacedWork& work, MemoryDecision& decision) override;
  int64_t FreeDeviceBytes(int device) override;

  // FAISS's default pinned buffer (kDefaultPinnedMemoryAllocation), the planned rung's size.
  static constexpr int64_t kDefaultPinnedBytes = int64_t{256} << 20;
  static constexpr int64_t kReducedPinnedBytes = int64_t{64} << 20;
  static constexpr int64_t kMinimalTempBytes = int64_t{16} << 20;
  static constexpr int64_t kDefaultMinHostBytes = int64_t{512} << 20;

 private:
  struct PlannedRung {
    GpuPlacement placement;      // without resources
    int64_t device_bytes = 0;    // data per device
  };

  absl::Status ValidateHost(const MemoryEstimate& estimate, MemoryDecision& decision);
  int64_t ChoosePinnedBytes(MemoryDecision& decision);
  void PlanLadder(const MemoryEstimate& estimate, int device, int64_t free_bytes,
                  int64_t temp_bytes, int64_t pinned_bytes, MemoryDecision& decision);
  int64_t MinHostBytes() const;

  MemoryPolicy policy_;
  GpuDevice* device_;                // not owned
  ResourcesFactory factory_;         // makes StandardGpuResources per attempt
  HostMemorySources host_sources_;   // where host memory is read from
  std::vector<PlannedRung> ladder_;  // the last Prepare()'s rungs, in order
};

}  // namespace trawl

#endif  // TRAWL_MEMORY_MEMORY_STAGE_H_
