// The memory-management stage: runs before every INDEX_BUILD and SEARCH stage (RunStage in
// pipelines/stage.h calls it; configs never name it) — ValidateHost alone for a stage without
// device work, Prepare for one whose contract sets plans_device_memory — and places that stage's
// device work. It holds the run's one copy of the memory policy.
//
// Prepare(), in the order the code does it:
//   1. Host validation: available memory (MemAvailable and the cgroup limit) against the policy's
//      minimum (default 512 MiB) and the stage's data; RLIMIT_MEMLOCK is recorded.
//   2. Pinned buffer: a real pin test of the requested size (cached per size), falling back to
//      64 MiB, then none.
//   3. Cleanup: synchronise, trim memory pools; free device memory before and after.
//   4. Temp memory: the tier for the free memory after cleanup (memory/temp_memory.h), requested
//      and effective.
//   5. Plan: the device bytes each rung of the ladder needs (pipelines/placement.h) from the
//      stage's MemoryEstimate; rungs the policy forbids or that do not fit are skipped, with why.
//      Memory other Trawl runs have reserved in the host's ledger counts as coming back.
//      ResourceExhausted, with the numbers, when no rung is left.
//   6. Ledger (memory/device_ledger.h): the first rung's memory is reserved before anything is
//      allocated. While the runs' reservations leave too little, the stage waits (a progress line
//      every 10 s, up to ledger_wait_seconds) when other runs' memory would make room, and drops
//      the rung (recorded with why) when it would not, or when the wait times out. The
//      reservation is released when RunPlaced ends, unless the stage's output keeps its device
//      memory (MemoryEstimate.keeps_device_memory: an index), then when the run ends. Only the
//      planned device (the first GPU) is reserved: a sharded rung's other GPUs are not.
// RunPlaced() then runs the work on the rungs in order, each on a fresh lease (pipelines/
// placement.h): a stream per device and a BudgetedAllocator holding Trawl's own kernels to the
// rung's budget (FAISS work makes its StandardGpuResources from the lease: the dense family's
// adapter), moving down only on allocation failures (ResourceExhausted) and recording each attempt
// with the library's own message.
//
//   CudaGpuDevice device(gpu_count);
//   MemoryStage memory(policy, &device);
//   env.memory = &memory;  // RunStage calls Prepare; stages call ctx.RunPlaced(work)
//
// Not thread-safe: one pipeline's stages run on one thread.
#ifndef TRAWL_MEMORY_MEMORY_STAGE_H_
#define TRAWL_MEMORY_MEMORY_STAGE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "memory/device_ledger.h"
#include "memory/gpu_device.h"
#include "memory/host_memory.h"
#include "pipelines/pipeline.pb.h"
#include "pipelines/placement.h"

namespace trawl {

class MemoryStage : public MemoryManager {
 public:
  // `device` must outlive the stage.
  MemoryStage(MemoryPolicy policy, GpuDevice* device, HostMemorySources host_sources = {});

  absl::Status Preflight() override;
  absl::Status ValidateHost(const MemoryEstimate& estimate, MemoryDecision& decision) override;
  absl::Status Prepare(const MemoryEstimate& estimate, MemoryDecision& decision) override;
  absl::Status RunPlaced(const PlacedWork& work, MemoryDecision& decision) override;
  int64_t FreeDeviceBytes(int device) override;

  // FAISS's default pinned buffer (kDefaultPinnedMemoryAllocation), the full rung's size.
  static constexpr int64_t kDefaultPinnedBytes = int64_t{256} << 20;
  static constexpr int64_t kReducedPinnedBytes = int64_t{64} << 20;
  static constexpr int64_t kMinimalTempBytes = int64_t{16} << 20;
  static constexpr int64_t kDefaultMinHostBytes = int64_t{512} << 20;

 private:
  struct PlannedRung {
    DeviceLease placement;     // without streams or allocator: RunOnRung adds them
    int64_t device_bytes = 0;  // data per device
  };

  // ResourceExhausted when the host has less available memory than the policy's minimum.
  absl::Status CheckHostMinimum(const HostMemoryInfo& host, absl::string_view consequence) const;
  int64_t ChoosePinnedBytes(MemoryDecision& decision);
  void PlanLadder(const MemoryEstimate& estimate, int device, int64_t free_bytes,
                  int64_t temp_bytes, int64_t pinned_bytes, MemoryDecision& decision);
  // Runs `work` on one planned rung: creates its lease (streams, allocator), then releases it.
  absl::Status RunOnRung(const PlannedRung& planned, const PlacedWork& work);
  int64_t MinHostBytes() const;
  // Step 6: reserves the first GPU rung's memory on `device`, waiting or dropping rungs.
  absl::Status ReserveInLedger(int device, MemoryDecision& decision);
  // Bytes other runs have reserved on `device` (0 without a ledger or when it cannot be read).
  int64_t ReservedByOthers(int device);

  const MemoryPolicy policy_;
  GpuDevice* device_;                // not owned
  HostMemorySources host_sources_;   // where host memory is read from
  std::vector<PlannedRung> ladder_;  // the last Prepare()'s rungs, in order
  // The host's ledger of reserved device memory; null without a real device or with no_ledger.
  std::unique_ptr<DeviceLedger> ledger_;
  int64_t stage_reservation_ = 0;     // the prepared stage's reservation (0: none)
  bool keeps_device_memory_ = false;  // whether it outlives the stage (MemoryEstimate)
};

}  // namespace trawl

#endif  // TRAWL_MEMORY_MEMORY_STAGE_H_
