// The memory stage on a real GPU with failures injected inside FAISS's own code path
// (memory/testing/cuda_fault_injection.h): the quickstart still finishes on the GPU, on a lower
// rung, with results identical to the clean run. Prints the build stage's memory decisions.
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "memory/cuda_gpu_device.h"
#include "memory/gpu_probe.h"
#include "memory/memory_stage.h"
#include "memory/testing/cuda_fault_injection.h"
#include "pipelines/config_loader.h"
#include "pipelines/runner.h"
#include "stages/eval/ranked_lists_compare.h"

namespace trawl {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kMiB = int64_t{1} << 20;

class MemoryStageGpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gpu_ = ProbeGpus();
    ASSERT_TRUE(gpu_.usable()) << gpu_.unavailable_reason;
    testing::DisarmFaults();
  }
  void TearDown() override { testing::DisarmFaults(); }

  // `allow` adds policy switches: "lossy" (allow_lossy_storage), "cpu" (allow_cpu_fallback).
  PipelineRun Run(const std::vector<std::string>& allow = {}, const std::string& config_text = "") {
    setenv("BUILD_WORKING_DIRECTORY", ::testing::TempDir().c_str(), 1);
    const char* srcdir = std::getenv("TEST_SRCDIR");
    absl::StatusOr<Pipeline> pipeline =
        !config_text.empty()
            ? ParsePipelineText(config_text, "inline")
            : LoadPipelineFile(srcdir != nullptr
                                   ? std::string(srcdir) + "/trawl/configs/quickstart.pbtxt"
                                   : "configs/quickstart.pbtxt");
    EXPECT_TRUE(pipeline.ok()) << pipeline.status();
    CudaGpuDevice device(static_cast<int>(gpu_.devices.size()));
    MemoryPolicy policy = pipeline->config.memory();
    policy.set_device(MemoryPolicy::GPU);
    for (const std::string& a : allow) {
      if (a == "lossy") policy.set_allow_lossy_storage(true);
      if (a == "cpu") policy.set_allow_cpu_fallback(true);
    }
    MemoryStage memory(policy, &device);
    RunEnvironment env;
    env.gpu = gpu_;
    env.memory = &memory;
    return RunPipeline(*pipeline, env, {.keep_slots = {"flat_results"}});
  }

  static void Print(const char* label, const PipelineRun& run) {
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    (void)google::protobuf::util::MessageToJsonString(run.report.stage(1).memory(), &json, options);
    std::printf("[%s] build stage on %s, memory decision:\n%s\n", label,
                run.report.stage(1).device().c_str(), json.c_str());
  }

  static void ExpectSameResults(const PipelineRun& a, const PipelineRun& b) {
    RankedListsDiff diff = *CompareRankedLists(*a.slots.at("flat_results").As<RankedLists>(),
                                               *b.slots.at("flat_results").As<RankedLists>(), 0);
    std::printf("results vs clean run: %s\n", diff.Summary().c_str());
    EXPECT_EQ(diff.same_id, diff.positions) << diff.Summary();
    EXPECT_EQ(diff.max_score_rel_diff, 0) << diff.Summary();
  }

  GpuEnvironment gpu_;
};

TEST_F(MemoryStageGpuTest, PinnedBufferFailureFinishesOnTheGpuWithIdenticalResults) {
  PipelineRun clean = Run();  // also pin-tests 256 MiB once; the answer is cached
  ASSERT_TRUE(clean.status.ok()) << clean.status;
  EXPECT_EQ(clean.report.stage(1).memory().final_rung(), "full");

  // FAISS's first initialisation asks for its 256 MiB staging buffer: make exactly that fail.
  testing::FailHostAlloc({.min_bytes = 256 * kMiB, .max_bytes = 256 * kMiB, .count = 1});
  PipelineRun constrained = Run();
  ASSERT_TRUE(constrained.status.ok()) << constrained.status;
  Print("cudaHostAlloc failure", constrained);
  EXPECT_EQ(testing::InjectedFailures(), 1);
  const MemoryDecision& decision = constrained.report.stage(1).memory();
  ASSERT_EQ(decision.attempt_size(), 2);
  EXPECT_EQ(decision.attempt(0).rung(), "full");
  EXPECT_THAT(decision.attempt(0).error(),
              HasSubstr("failed to cudaHostAlloc 268435456 bytes for CPU <-> GPU async copy "
                        "buffer (error 2 out of memory)"));
  EXPECT_EQ(decision.final_rung(), "reduced");
  EXPECT_EQ(constrained.report.stage(1).device(), "gpu:0");
  EXPECT_EQ(constrained.report.stage(2).device(), "gpu:0");
  ExpectSameResults(constrained, clean);
}

TEST_F(MemoryStageGpuTest, IndexTransferMallocFailureLandsOnALowerRung) {
  PipelineRun clean = Run();
  ASSERT_TRUE(clean.status.ok()) << clean.status;

  // The Flat index's storage (100000 x 128 floats = 51.2 MB, rounded up by FAISS's DeviceVector):
  // fail it twice, so the full and reduced rungs both fail and the minimal rung places it.
  // Temp-memory reservations (1.5 GiB, 768 MiB, 16 MiB) are outside the window.
  testing::FailMalloc({.min_bytes = 40 * kMiB, .max_bytes = 512 * kMiB, .count = 2});
  PipelineRun constrained = Run();
  ASSERT_TRUE(constrained.status.ok()) << constrained.status;
  Print("cudaMalloc failure", constrained);
  EXPECT_EQ(testing::InjectedFailures(), 2);
  const MemoryDecision& decision = constrained.report.stage(1).memory();
  ASSERT_EQ(decision.attempt_size(), 3);
  for (int i : {0, 1}) {
    EXPECT_THAT(decision.attempt(i).error(), HasSubstr("cudaMalloc error out of memory [2]"));
  }
  EXPECT_EQ(decision.final_rung(), "minimal");
  EXPECT_EQ(constrained.report.stage(1).device(), "gpu:0");
  ExpectSameResults(constrained, clean);
}

TEST_F(MemoryStageGpuTest, LossyPolicyLandsOnFloat16StorageOnTheGpu) {
  PipelineRun clean = Run();
  ASSERT_TRUE(clean.status.ok()) << clean.status;
  // Full-precision storage (51.2 MB) fails on every full-precision rung; float16 (25.6 MB) fits.
  testing::FailMalloc({.min_bytes = 40 * kMiB, .max_bytes = 512 * kMiB, .count = 3});
  PipelineRun constrained = Run({"lossy"});
  ASSERT_TRUE(constrained.status.ok()) << constrained.status;
  const MemoryDecision& decision = constrained.report.stage(1).memory();
  EXPECT_EQ(decision.final_rung(), "lossy");
  EXPECT_EQ(constrained.report.stage(1).device(), "gpu:0");
  const double recall = constrained.report.metrics().at("eval/recall@10");
  std::printf("[float16] recall@10 against exact: %.4f (clean run %.4f)\n", recall,
              clean.report.metrics().at("eval/recall@10"));
  EXPECT_GE(recall, 0.99);
}

// IVF with 64 lists over 100k vectors: each list's storage is about 1 MiB at full precision and
// 0.5 MiB as float16, so failing 1-2 MiB allocations three times fails the three full-precision
// rungs and leaves the lossy rung (IVF with a QT_fp16 scalar quantizer).
constexpr char kIvfPipeline[] = R"cfg(
  name: "ivf"
  stage {
    type: "synth_dense" name: "generate" output: "corpus:corpus" output: "queries:queries"
    options { [type.googleapis.com/trawl.synth.SynthDenseOptions] { num_vectors: 100000 num_queries: 1000 dim: 128 } }
  }
  stage {
    type: "faiss_index_build" name: "index" input: "corpus:corpus" output: "index:index"
    options { [type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { index_type: IVF_FLAT nlist: 64 } }
  }
  stage {
    type: "faiss_search" name: "search" input: "index:index" input: "queries:queries" output: "results:results"
    options { [type.googleapis.com/trawl.dense.FaissSearchOptions] { k: 10 nprobe: 64 } }
  }
  stage {
    type: "exact_knn" name: "truth" input: "corpus:corpus" input: "queries:queries" output: "ground_truth:truth"
    options { [type.googleapis.com/trawl.dense.ExactKnnOptions] { k: 10 } }
  }
  stage {
    type: "knn_recall" name: "eval" input: "results:results" input: "ground_truth:truth" output: "metrics:m"
    options { [type.googleapis.com/trawl.eval.KnnRecallOptions] { at: 10 } }
  }
)cfg";

TEST_F(MemoryStageGpuTest, IvfLandsOnFloat16ScalarQuantizerOnTheGpu) {
  testing::FailMalloc({.min_bytes = 900 * 1024, .max_bytes = 2 * kMiB, .count = 3});
  PipelineRun constrained = Run({"lossy"}, kIvfPipeline);
  ASSERT_TRUE(constrained.status.ok()) << constrained.status;
  Print("ivf float16", constrained);
  EXPECT_EQ(constrained.report.stage(1).memory().final_rung(), "lossy");
  EXPECT_EQ(constrained.report.stage(1).device(), "gpu:0");
  std::printf("[ivf float16] recall@10 %.4f\n", constrained.report.metrics().at("eval/recall@10"));
  EXPECT_GE(constrained.report.metrics().at("eval/recall@10"), 0.99);
}

TEST_F(MemoryStageGpuTest, CpuFallbackFinishesWithExactResults) {
  // Every GPU rung fails (sharding is impossible on one card; lossy storage is not allowed).
  if (gpu_.devices.size() > 1) GTEST_SKIP() << "the sharded rung would place it";
  testing::FailMalloc({.min_bytes = 40 * kMiB, .max_bytes = 512 * kMiB, .count = 3});
  PipelineRun constrained = Run({"cpu"});
  ASSERT_TRUE(constrained.status.ok()) << constrained.status;
  const MemoryDecision& decision = constrained.report.stage(1).memory();
  EXPECT_EQ(decision.final_rung(), "cpu");
  EXPECT_EQ(decision.attempt_size(), 4);
  EXPECT_EQ(constrained.report.stage(1).device(), "cpu");
  std::printf("[cpu fallback] recall@10 %.4f after %d attempts\n",
              constrained.report.metrics().at("eval/recall@10"), decision.attempt_size());
  EXPECT_GE(constrained.report.metrics().at("eval/recall@10"), 0.999);
}

TEST_F(MemoryStageGpuTest, SingleCardFailuresLandOnTheShardedRungAcrossAllGpus) {
  if (gpu_.devices.size() < 2) GTEST_SKIP() << "needs 2 GPUs, found " << gpu_.devices.size();
  PipelineRun clean = Run();
  ASSERT_TRUE(clean.status.ok()) << clean.status;

  // The whole 51.2 MB index cannot be placed on one card (full, reduced and minimal all fail);
  // split across the cards each shard is 25.6 MB, below the window, and fits.
  testing::FailMalloc({.min_bytes = 40 * kMiB, .max_bytes = 512 * kMiB, .count = 3});
  PipelineRun constrained = Run();
  ASSERT_TRUE(constrained.status.ok()) << constrained.status;
  Print("sharded", constrained);
  const MemoryDecision& decision = constrained.report.stage(1).memory();
  ASSERT_EQ(decision.attempt_size(), 4);
  EXPECT_EQ(decision.final_rung(), "sharded");
  EXPECT_EQ(constrained.report.stage(1).device(), "gpu:0");
  RankedListsDiff diff =
      *CompareRankedLists(*constrained.slots.at("flat_results").As<RankedLists>(),
                          *clean.slots.at("flat_results").As<RankedLists>(), 1e-6);
  std::printf("sharded results vs clean run: %s\n", diff.Summary().c_str());
  EXPECT_TRUE(diff.EqualUpToTies()) << diff.Summary();
}

// A kernel stage of Trawl's own whose estimate was short: on the full rung it asks the lease's
// allocator for more than the rung's budget and is refused before cudaMalloc; the ladder moves down
// and the reduced rung's real device memory is written by the card.
TEST_F(MemoryStageGpuTest, AKernelOverItsBudgetMovesDownTheLadder) {
  CudaGpuDevice device(1);
  MemoryStage memory(MemoryPolicy(), &device);
  MemoryEstimate estimate;
  estimate.device_bytes = 256 * kMiB;
  estimate.reduced_device_bytes = 32 * kMiB;
  MemoryDecision decision;
  ASSERT_TRUE(memory.Prepare(estimate, decision).ok());
  std::vector<std::string> rungs;
  absl::Status status = memory.RunPlaced(
      [&](const DeviceLease& lease) -> absl::Status {
        rungs.push_back(RungName(lease.rung));
        const int64_t want = lease.budget_bytes + (lease.rung == Rung::kFull ? kMiB : -kMiB);
        absl::StatusOr<void*> buffer = lease.allocator->Allocate(lease.devices[0], want);
        if (!buffer.ok()) return buffer.status();
        EXPECT_EQ(cudaMemsetAsync(*buffer, 1, static_cast<size_t>(want), lease.streams[0]),
                  cudaSuccess);
        EXPECT_EQ(cudaStreamSynchronize(lease.streams[0]), cudaSuccess);
        return absl::OkStatus();  // the allocator frees it when the attempt ends
      },
      decision);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(rungs, (std::vector<std::string>{"full", "reduced"}));
  EXPECT_THAT(decision.attempt(0).error(), HasSubstr("beyond the full rung's budget"));
  EXPECT_EQ(decision.final_rung(), "reduced");
}

}  // namespace
}  // namespace trawl
