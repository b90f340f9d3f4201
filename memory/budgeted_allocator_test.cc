#include "memory/budgeted_allocator.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "memory/simulated_gpu_device.h"

namespace trawl {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kMiB = int64_t{1} << 20;

TEST(BudgetedAllocatorTest, HoldsEachDeviceToTheBudget) {
  SimulatedGpuSpec spec;
  spec.device_count = 2;
  SimulatedGpuDevice device(spec);
  BudgetedAllocator allocator(&device, 100 * kMiB, "reduced");
  absl::StatusOr<void*> a = allocator.Allocate(0, 60 * kMiB);
  ASSERT_TRUE(a.ok()) << a.status();
  // Another 60 MiB on device 0 would pass the budget; on device 1 it fits.
  absl::StatusOr<void*> b = allocator.Allocate(0, 60 * kMiB);
  EXPECT_EQ(b.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(b.status().message(),
            "device memory budget: the work asked for 60 MiB on GPU 0 holding 60 MiB, beyond the "
            "reduced rung's budget of 100 MiB");
  EXPECT_TRUE(allocator.Allocate(1, 60 * kMiB).ok());
  EXPECT_EQ(allocator.allocated_bytes(0), 60 * kMiB);
  // Freed memory counts no more.
  allocator.Free(0, *a);
  EXPECT_EQ(allocator.allocated_bytes(0), 0);
  EXPECT_TRUE(allocator.Allocate(0, 100 * kMiB).ok());
}

TEST(BudgetedAllocatorTest, TheDevicesOwnOutOfMemoryIsResourceExhaustedToo) {
  SimulatedGpuSpec spec;
  spec.free_bytes = 50 * kMiB;
  SimulatedGpuDevice device(spec);
  BudgetedAllocator allocator(&device, 1000 * kMiB, "full");
  absl::StatusOr<void*> big = allocator.Allocate(0, 80 * kMiB);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(big.status().message(), HasSubstr("out of memory"));
  EXPECT_EQ(allocator.allocated_bytes(0), 0);
}

// What an attempt leaves allocated goes back to the device when its allocator ends.
TEST(BudgetedAllocatorTest, TheEndOfTheAttemptFreesWhatIsLeft) {
  SimulatedGpuSpec spec;
  spec.free_bytes = 100 * kMiB;
  SimulatedGpuDevice device(spec);
  {
    BudgetedAllocator allocator(&device, 100 * kMiB, "full");
    ASSERT_TRUE(allocator.Allocate(0, 90 * kMiB).ok());
  }
  BudgetedAllocator next(&device, 100 * kMiB, "full");
  EXPECT_TRUE(next.Allocate(0, 90 * kMiB).ok());  // the device has it back
}

}  // namespace
}  // namespace trawl
