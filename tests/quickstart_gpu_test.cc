// The shipped quickstart on a real GPU: the report names the GPU, and the result lists equal the
// CPU run's id for id (up to float ties, counted and printed).
#include <cstdio>
#include <cstdlib>

#include "gtest/gtest.h"
#include "memory/run_environment.h"
#include "pipelines/config_loader.h"
#include "pipelines/runner.h"
#include "stages/eval/ranked_lists_compare.h"

namespace trawl {
namespace {

PipelineRun RunQuickstart(MemoryPolicy::Device device) {
  setenv("BUILD_WORKING_DIRECTORY", ::testing::TempDir().c_str(), 1);
  const char* srcdir = std::getenv("TEST_SRCDIR");
  std::string path = srcdir != nullptr ? std::string(srcdir) + "/trawl/configs/quickstart.pbtxt"
                                       : "configs/quickstart.pbtxt";
  absl::StatusOr<Pipeline> pipeline = LoadPipelineFile(path);
  EXPECT_TRUE(pipeline.ok()) << pipeline.status();
  MemoryPolicy policy = pipeline->config.memory();
  policy.set_device(device);
  absl::StatusOr<std::unique_ptr<ManagedEnvironment>> managed = MakeRunEnvironment(policy);
  EXPECT_TRUE(managed.ok()) << managed.status();
  return RunPipeline(*pipeline, (*managed)->env, {.keep_slots = {"flat_results"}});
}

TEST(QuickstartGpuTest, GpuRunReportsTheGpuAndEqualsTheCpuRun) {
  PipelineRun gpu = RunQuickstart(MemoryPolicy::GPU);
  ASSERT_TRUE(gpu.status.ok()) << gpu.status;
  EXPECT_EQ(gpu.report.device().kind(), "gpu");
  EXPECT_EQ(gpu.report.stage(1).device(), "gpu:0");
  EXPECT_EQ(gpu.report.stage(2).device(), "gpu:0");
  EXPECT_EQ(gpu.report.stage(1).memory().final_rung(), "full");
  EXPECT_EQ(gpu.report.stage(2).memory().final_rung(), "resident");
  PipelineRun cpu = RunQuickstart(MemoryPolicy::CPU);
  ASSERT_TRUE(cpu.status.ok()) << cpu.status;
  EXPECT_EQ(cpu.report.stage(1).device(), "cpu");

  const RankedLists* on_gpu = gpu.slots.at("flat_results").As<RankedLists>();
  const RankedLists* on_cpu = cpu.slots.at("flat_results").As<RankedLists>();
  RankedListsDiff diff = *CompareRankedLists(*on_gpu, *on_cpu, 1e-5);
  std::printf("[quickstart gpu vs cpu] device %s: %s\n", gpu.report.device().gpu_name().c_str(),
              diff.Summary().c_str());
  std::printf(
      "[quickstart] gpu recall@10 %.4f, cpu recall@10 %.4f; search %.3f s (gpu) vs %.3f s (cpu)\n",
      gpu.report.metrics().at("eval/recall@10"), cpu.report.metrics().at("eval/recall@10"),
      gpu.report.stage(2).wall_seconds(), cpu.report.stage(2).wall_seconds());
  EXPECT_TRUE(diff.EqualUpToTies()) << diff.Summary();
}

}  // namespace
}  // namespace trawl
