// Runs everywhere: on a machine with no driver (CI) the probe must report "no GPU" with the CUDA
// runtime's reason instead of aborting the process, as FAISS's getNumDevices() would.
#include "memory/gpu_probe.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trawl {
namespace {

TEST(GpuProbeTest, ReportsDevicesOrAReasonWithoutAborting) {
  GpuEnvironment env = ProbeGpus();
  if (env.usable()) {
    EXPECT_TRUE(env.unavailable_reason.empty());
    EXPECT_GT(env.devices[0].total_bytes, 0);
    EXPECT_FALSE(env.devices[0].name.empty());
    absl::StatusOr<GpuMemoryInfo> memory = QueryGpuMemory(0);
    ASSERT_TRUE(memory.ok()) << memory.status();
    EXPECT_GT(memory->free_bytes, 0);
    EXPECT_LE(memory->free_bytes, memory->total_bytes);
  } else {
    EXPECT_THAT(env.unavailable_reason, ::testing::StartsWith("no usable GPU: "));
    EXPECT_EQ(QueryGpuMemory(0).status().code(), absl::StatusCode::kUnavailable);
  }
}

}  // namespace
}  // namespace trawl
