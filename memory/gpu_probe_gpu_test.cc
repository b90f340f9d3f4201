// On a GPU machine: the probe finds the card and Trawl's kernel runs on it.
#include "gtest/gtest.h"
#include "memory/gpu_probe.h"
#include "memory/kernel_probe.h"

namespace trawl {
namespace {

TEST(GpuProbeGpuTest, FindsTheCardAndRunsTheProbeKernel) {
  GpuEnvironment env = ProbeGpus();
  ASSERT_TRUE(env.usable()) << env.unavailable_reason;
  EXPECT_GE(env.devices[0].compute_capability, 70);
  EXPECT_EQ(RunKernelProbe(0), cudaSuccess);
}

}  // namespace
}  // namespace trawl
