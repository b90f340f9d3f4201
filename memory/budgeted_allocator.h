// BudgetedAllocator: the DeviceAllocator of one placement attempt (pipelines/placement.h). It
// allocates through the GpuDevice (cudaMalloc, or the simulated device's placeholders) and
// enforces the lease's budget per device: an allocation that would take the attempt's holdings on
// a device past budget_bytes is a ResourceExhausted before anything is allocated, which the
// memory stage's ladder handles as it handles a real out-of-memory. What is still allocated when
// the attempt ends is freed by the destructor. Thread-safe: the shards of a sharded rung allocate
// from their own threads.
#ifndef TRAWL_MEMORY_BUDGETED_ALLOCATOR_H_
#define TRAWL_MEMORY_BUDGETED_ALLOCATOR_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "memory/gpu_device.h"
#include "pipelines/placement.h"

namespace trawl {

class BudgetedAllocator : public DeviceAllocator {
 public:
  // `device` must outlive the allocator. `budget_bytes` holds for each device; `rung` names the
  // lease in messages.
  BudgetedAllocator(GpuDevice* device, int64_t budget_bytes, std::string rung);
  BudgetedAllocator(const BudgetedAllocator&) = delete;
  BudgetedAllocator& operator=(const BudgetedAllocator&) = delete;
  ~BudgetedAllocator() override;

  absl::StatusOr<void*> Allocate(int device, int64_t bytes) override;
  void Free(int device, void* pointer) override;
  int64_t allocated_bytes(int device) const override;

 private:
  struct Allocation {
    int device;
    int64_t bytes;
  };
  mutable std::mutex mutex_;                 // guards everything below
  GpuDevice* device_;                        // not owned
  int64_t budget_bytes_;                     // per device
  std::string rung_;                         // for messages
  std::map<void*, Allocation> allocations_;  // live allocations
  std::map<int, int64_t> held_;              // device -> bytes held
};

}  // namespace trawl

#endif  // TRAWL_MEMORY_BUDGETED_ALLOCATOR_H_
