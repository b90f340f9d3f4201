#include "memory/budgeted_allocator.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "memory/host_memory.h"

namespace trawl {

BudgetedAllocator::BudgetedAllocator(GpuDevice* device, int64_t budget_bytes, std::string rung)
    : device_(device), budget_bytes_(budget_bytes), rung_(std::move(rung)) {}

BudgetedAllocator::~BudgetedAllocator() {
  for (const auto& [pointer, allocation] : allocations_) {
    device_->FreeDevice(allocation.device, pointer);
  }
}

absl::StatusOr<void*> BudgetedAllocator::Allocate(int device, int64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (bytes < 0) return absl::InvalidArgumentError(absl::StrCat("allocating ", bytes, " bytes"));
  const int64_t held = held_[device];
  if (held + bytes > budget_bytes_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("device memory budget: the work asked for ", FormatBytes(bytes), " on GPU ",
                     device, " holding ", FormatBytes(held), ", beyond the ", rung_,
                     " rung's budget of ", FormatBytes(budget_bytes_)));
  }
  absl::StatusOr<void*> pointer = device_->AllocateDevice(device, bytes);
  if (!pointer.ok()) return pointer.status();
  allocations_[*pointer] = Allocation{device, bytes};
  held_[device] = held + bytes;
  return *pointer;
}

void BudgetedAllocator::Free(int device, void* pointer) {
  std::lock_guard<std::mutex> lock(mutex_);
  (void)device;  // the allocation's own device is recorded
  auto it = allocations_.find(pointer);
  if (it == allocations_.end()) return;  // not ours (or freed already): nothing to give back
  const Allocation allocation = it->second;
  held_[allocation.device] -= allocation.bytes;
  allocations_.erase(it);
  device_->FreeDevice(allocation.device, pointer);
}

int64_t BudgetedAllocator::allocated_bytes(int device) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = held_.find(device);
  return it == held_.end() ? 0 : it->second;
}

}  // namespace trawl
