#include "memory/run_environment.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trawl {
namespace {

TEST(RunEnvironmentTest, CpuPolicyTouchesNoGpu) {
  MemoryPolicy policy;
  policy.set_device(MemoryPolicy::CPU);
  auto managed = MakeRunEnvironment(policy);
  ASSERT_TRUE(managed.ok());
  EXPECT_FALSE((*managed)->env.UseGpu());
  EXPECT_EQ((*managed)->env.memory, nullptr);
}

TEST(RunEnvironmentTest, SimulatedCardGetsAMemoryStage) {
  auto managed = MakeRunEnvironment(MemoryPolicy(), 24576);
  ASSERT_TRUE(managed.ok());
  EXPECT_TRUE((*managed)->env.UseGpu());
  EXPECT_NE((*managed)->env.memory, nullptr);
  EXPECT_EQ((*managed)->env.gpu.devices[0].total_bytes, int64_t{24576} << 20);
  EXPECT_TRUE((*managed)->device->emulated());
}

TEST(RunEnvironmentTest, AutoWithoutGpuFallsBackAndGpuPolicyFailsWithTheReason) {
  auto automatic = MakeRunEnvironment(MemoryPolicy());
  ASSERT_TRUE(automatic.ok());
  if ((*automatic)->env.UseGpu()) GTEST_SKIP() << "this machine has a GPU";
  EXPECT_THAT((*automatic)->env.gpu.unavailable_reason, ::testing::StartsWith("no usable GPU"));
  MemoryPolicy gpu;
  gpu.set_device(MemoryPolicy::GPU);
  absl::Status s = MakeRunEnvironment(gpu).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()),
              ::testing::StartsWith("the memory policy requires a GPU, but no usable GPU"));
}

}  // namespace
}  // namespace trawl
