// The memory-management stage on a simulated GPU, through real pipelines: for every rung, the
// failures above it are forced with FAISS's own messages, and the pipeline must land on that rung
// with results equal to an unconstrained run's (float16: recall@10 >= 0.99 against exact).
#include "memory/memory_stage.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "memory/device_ledger.h"
#include "memory/simulated_gpu_device.h"
#include "pipelines/config_loader.h"
#include "pipelines/runner.h"
#include "stages/dense/exact_knn.h"
#include "stages/eval/knn_recall.h"
#include "stages/eval/ranked_lists_compare.h"

namespace trawl {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kMiB = int64_t{1} << 20;

constexpr char kPipeline[] = R"cfg(
  name: "ladder"
  stage {
    type: "synth_dense" name: "generate" output: "corpus:corpus" output: "queries:queries"
    options {
      [type.googleapis.com/trawl.synth.SynthDenseOptions] {
        num_vectors: 20000 num_queries: 200 dim: 64 num_clusters: 200
      }
    }
  }
  stage {
    type: "faiss_index_build" name: "index" input: "corpus:corpus" output: "index:index"
  }
  stage {
    type: "faiss_search" name: "search" input: "index:index" input: "queries:queries"
    output: "results:results"
    options { [type.googleapis.com/trawl.dense.FaissSearchOptions] { k: 10 } }
  }
)cfg";

struct LadderRun {
  PipelineRun run;
  const RankedLists* results = nullptr;
  const MemoryDecision* build_decision = nullptr;
};

class MemoryStageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pipeline_ = new Pipeline(*ParsePipelineText(kPipeline, "ladder.pbtxt"));
    // The unconstrained run: no memory stage, CPU.
    PipelineRun run =
        RunPipeline(*pipeline_, RunEnvironment{}, {.keep_slots = {"results", "queries"}});
    ASSERT_TRUE(run.status.ok()) << run.status;
    baseline_ = new RankedLists(*run.slots.at("results").As<RankedLists>());
  }
  static void TearDownTestSuite() {
    delete pipeline_;
    delete baseline_;
    pipeline_ = nullptr;
    baseline_ = nullptr;
  }

  LadderRun Run(const SimulatedGpuSpec& spec, MemoryPolicy policy, HostMemorySources host = {}) {
    device_ = std::make_unique<SimulatedGpuDevice>(spec);
    memory_ = std::make_unique<MemoryStage>(policy, device_.get(), host);
    RunEnvironment env;
    env.gpu.devices.push_back(GpuDeviceInfo{0, "simulated", spec.total_bytes, 90});
    env.memory = memory_.get();
    LadderRun out;
    out.run = RunPipeline(*pipeline_, env, {.keep_slots = {"results"}});
    if (out.run.slots.contains("results"))
      out.results = out.run.slots.at("results").As<RankedLists>();
    if (out.run.report.stage_size() > 1) out.build_decision = &out.run.report.stage(1).memory();
    return out;
  }

  static MemoryPolicy Permissive() {
    MemoryPolicy policy;
    policy.set_allow_lossy_storage(true);
    policy.set_allow_cpu_fallback(true);
    return policy;
  }

  static Pipeline* pipeline_;
  static RankedLists* baseline_;
  std::unique_ptr<SimulatedGpuDevice> device_;
  std::unique_ptr<MemoryStage> memory_;
};

Pipeline* MemoryStageTest::pipeline_ = nullptr;
RankedLists* MemoryStageTest::baseline_ = nullptr;

// The error each rung's attempt raises when it is forced to fail: FAISS's own texts.
std::string ForcedFailure(Rung rung) {
  return rung == Rung::kFull ? FaissPinnedAllocFailure(256 * kMiB)
                             : FaissDeviceAllocFailure(5120000);
}

class MemoryStageRungTest : public MemoryStageTest, public ::testing::WithParamInterface<Rung> {};

TEST_P(MemoryStageRungTest, LandsOnTheRungWithIdenticalResults) {
  const std::vector<Rung> order = {Rung::kFull,  Rung::kReduced, Rung::kMinimal,
                                   Rung::kLossy, Rung::kSharded, Rung::kCpu};
  const Rung target = GetParam();
  SimulatedGpuSpec spec;
  spec.device_count = 2;  // so that sharding is a rung
  size_t failures = 0;
  for (Rung rung : order) {
    if (rung == target) break;
    spec.scripted_failures[rung] = ForcedFailure(rung);
    ++failures;
  }
  LadderRun run = Run(spec, Permissive());
  ASSERT_TRUE(run.run.status.ok()) << run.run.status;
  const MemoryDecision& decision = *run.build_decision;
  EXPECT_EQ(decision.final_rung(), RungName(target));
  ASSERT_EQ(decision.attempt_size(), failures + 1);
  for (size_t i = 0; i < failures; ++i) {
    EXPECT_EQ(decision.attempt(i).rung(), RungName(order[i]));
    EXPECT_FALSE(decision.attempt(i).succeeded());
    EXPECT_THAT(decision.attempt(i).error(), HasSubstr(ForcedFailure(order[i])));
  }
  EXPECT_TRUE(decision.attempt(failures).succeeded());

  if (target == Rung::kLossy) {
    // Lossy storage: compare with the exact neighbours instead.
    EXPECT_GE(*KnnRecall(*run.results, *baseline_, 10), 0.99);
  } else {
    RankedListsDiff diff = *CompareRankedLists(*run.results, *baseline_, 1e-5);
    EXPECT_EQ(diff.same_id, diff.positions) << diff.Summary();
    EXPECT_LE(diff.max_score_rel_diff, 1e-5) << diff.Summary();
  }
}

INSTANTIATE_TEST_SUITE_P(EveryRung, MemoryStageRungTest,
                         ::testing::Values(Rung::kFull, Rung::kReduced, Rung::kMinimal,
                                           Rung::kLossy, Rung::kSharded, Rung::kCpu),
                         [](const ::testing::TestParamInfo<Rung>& info) {
                           return RungName(info.param);
                         });

TEST_F(MemoryStageTest, IvfLandsOnFloat16ScalarQuantizerStorage) {
  std::string text = kPipeline;
  text.replace(text.find("type: \"faiss_index_build\" name: \"index\" input: \"corpus:corpus\" "
                         "output: \"index:index\""),
               std::string("type: \"faiss_index_build\" name: \"index\" input: \"corpus:corpus\" "
                           "output: \"index:index\"")
                   .size(),
               "type: \"faiss_index_build\" name: \"index\" input: \"corpus:corpus\" output: "
               "\"index:index\" "
               "options { [type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { index_type: "
               "IVF_FLAT nlist: 16 } }");
  text.replace(text.find("{ k: 10 }"), 9,
               "{ k: 10 nprobe: 16 }");  // every list: exact but for storage
  Pipeline ivf = *ParsePipelineText(text, "ivf.pbtxt");
  SimulatedGpuSpec spec;
  for (Rung rung : {Rung::kFull, Rung::kReduced, Rung::kMinimal}) {
    spec.scripted_failures[rung] = ForcedFailure(rung);
  }
  device_ = std::make_unique<SimulatedGpuDevice>(spec);
  memory_ = std::make_unique<MemoryStage>(Permissive(), device_.get());
  RunEnvironment env;
  env.gpu.devices.push_back(GpuDeviceInfo{0, "simulated", spec.total_bytes, 90});
  env.memory = memory_.get();
  PipelineRun run = RunPipeline(ivf, env, {.keep_slots = {"results"}});
  ASSERT_TRUE(run.status.ok()) << run.status;
  EXPECT_EQ(run.report.stage(1).memory().final_rung(), "lossy");
  EXPECT_EQ(run.report.stage(1).device(), "cpu (emulating lossy)");
  EXPECT_GE(*KnnRecall(*run.slots.at("results").As<RankedLists>(), *baseline_, 10), 0.99);
}

// gpus: 2 in the build's options: the spread rung is planned first and taken at once, as shards
// or replicas, with the results of one device.
TEST_F(MemoryStageTest, GpusOptionPlansTheSpreadRungFirst) {
  for (const std::string spread : {"gpus: 2 shard: true", "gpus: 2"}) {
    SCOPED_TRACE(spread);
    std::string text = kPipeline;
    const std::string build =
        "type: \"faiss_index_build\" name: \"index\" input: \"corpus:corpus\" "
        "output: \"index:index\"";
    text.replace(text.find(build), build.size(),
                 build + " options { [type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { " +
                     spread + " } }");
    Pipeline pipeline = *ParsePipelineText(text, "spread.pbtxt");
    SimulatedGpuSpec spec;
    spec.device_count = 2;
    device_ = std::make_unique<SimulatedGpuDevice>(spec);
    memory_ = std::make_unique<MemoryStage>(Permissive(), device_.get());
    RunEnvironment env;
    env.gpu.devices.push_back(GpuDeviceInfo{0, "simulated", spec.total_bytes, 90});
    env.gpu.devices.push_back(GpuDeviceInfo{1, "simulated", spec.total_bytes, 90});
    env.memory = memory_.get();
    PipelineRun run = RunPipeline(pipeline, env, {.keep_slots = {"results"}});
    ASSERT_TRUE(run.status.ok()) << run.status;
    const MemoryDecision& decision = run.report.stage(1).memory();
    EXPECT_THAT(decision.planned_rungs(0), ::testing::StartsWith("sharded"));
    EXPECT_EQ(decision.final_rung(), "sharded");
    EXPECT_EQ(decision.attempt_size(), 1);
    RankedListsDiff diff =
        *CompareRankedLists(*run.slots.at("results").As<RankedLists>(), *baseline_, 1e-5);
    EXPECT_EQ(diff.same_id, diff.positions) << diff.Summary();
  }
}

TEST_F(MemoryStageTest, ReportsPolicyTierAndFreeMemory) {
  SimulatedGpuSpec spec;
  spec.total_bytes = spec.free_bytes = 24576 * kMiB;  // a 24 GB card
  LadderRun run = Run(spec, MemoryPolicy());
  ASSERT_TRUE(run.run.status.ok()) << run.run.status;
  const MemoryDecision& decision = *run.build_decision;
  EXPECT_EQ(decision.temp_requested_bytes(), 2048 * kMiB);
  EXPECT_EQ(decision.temp_effective_bytes(), 1536 * kMiB);
  EXPECT_EQ(decision.pinned_requested_bytes(), 256 * kMiB);
  EXPECT_EQ(decision.pinned_effective_bytes(), 256 * kMiB);
  EXPECT_EQ(decision.gpu_free_before_cleanup_bytes(), 24576 * kMiB);
  EXPECT_EQ(decision.gpu_free_after_cleanup_bytes(), 24576 * kMiB);
  EXPECT_GT(decision.host_available_bytes(), 0);
  EXPECT_EQ(decision.final_rung(), "full");
  // The default policy forbids the lossy and CPU rungs; one GPU cannot shard.
  EXPECT_THAT(decision.skipped_rungs(),
              ::testing::Contains(HasSubstr("lossy: the policy does not allow lossy storage")));
  EXPECT_THAT(decision.skipped_rungs(), ::testing::Contains("sharded: 1 GPU visible"));
  EXPECT_THAT(decision.skipped_rungs(),
              ::testing::Contains(HasSubstr("cpu: the policy does not allow the CPU")));
  EXPECT_GE(device_->cleanups(), 2);  // before the build and before the search
  EXPECT_EQ(run.run.report.stage(1).gpu_free_before_bytes(), 24576 * kMiB);
  EXPECT_EQ(run.run.report.stage(1).gpu_free_after_bytes(), 24576 * kMiB);
  // The search reused the index on the (simulated) GPU.
  EXPECT_EQ(run.run.report.stage(2).memory().final_rung(), "cpu");
}

TEST_F(MemoryStageTest, FailedPinTestChoosesASmallerPinnedBuffer) {
  SimulatedGpuSpec spec;
  spec.pin_limit_bytes = 100 * kMiB;
  LadderRun run = Run(spec, MemoryPolicy());
  ASSERT_TRUE(run.run.status.ok()) << run.run.status;
  EXPECT_EQ(run.build_decision->pinned_effective_bytes(), 64 * kMiB);
  EXPECT_EQ(run.build_decision->final_rung(), "full");
  // A pinned buffer is not a rung: its outcome is reported apart from the ladder's.
  EXPECT_THAT(run.build_decision->pinned_outcomes(),
              ::testing::ElementsAre(
                  HasSubstr("pinned 256 MiB: pin test: cudaHostAlloc of 268435456 bytes failed")));
  EXPECT_THAT(run.build_decision->skipped_rungs(),
              ::testing::Each(::testing::Not(HasSubstr("pinned"))));
}

TEST_F(MemoryStageTest, RungsThatCannotFitAreSkippedWithTheNumbers) {
  SimulatedGpuSpec spec;
  spec.total_bytes = 2048 * kMiB;
  spec.free_bytes = 300 * kMiB;  // tier 32 MiB; 5 MB of data: full fits
  LadderRun run = Run(spec, MemoryPolicy());
  ASSERT_TRUE(run.run.status.ok()) << run.run.status;
  EXPECT_EQ(run.build_decision->temp_requested_bytes(), 32 * kMiB);

  spec.free_bytes = 24 * kMiB;  // data 4.9 MiB + 32 MiB temp does not fit; + 16 MiB (half) does
  run = Run(spec, MemoryPolicy());
  ASSERT_TRUE(run.run.status.ok()) << run.run.status;
  EXPECT_EQ(run.build_decision->final_rung(), "reduced");
  EXPECT_EQ(run.build_decision->attempt_size(), 1);  // full was never tried
  EXPECT_THAT(
      run.build_decision->skipped_rungs(),
      ::testing::Contains("full: needs 37 MiB per device (data 5 MiB + temp 32 MiB), 24 MiB free"));
}

TEST_F(MemoryStageTest, NothingFitsAndNoCpuFailsBeforeTheBuildWithTheNumbers) {
  SimulatedGpuSpec spec;
  spec.free_bytes = 4 * kMiB;
  LadderRun run = Run(spec, MemoryPolicy());
  EXPECT_EQ(run.run.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(
      std::string(run.run.status.message()),
      HasSubstr("stage 'index' (faiss_index_build): no placement fits: the stage needs 5 MiB "
                "on the GPU (4 MiB free of 80.0 GiB on device 0)"));
  EXPECT_EQ(run.build_decision->attempt_size(), 0);  // nothing was tried
}

TEST_F(MemoryStageTest, EveryRungFailingIsReportedWithEachError) {
  SimulatedGpuSpec spec;
  for (Rung rung : {Rung::kFull, Rung::kReduced, Rung::kMinimal}) {
    spec.scripted_failures[rung] = ForcedFailure(rung);
  }
  LadderRun run = Run(spec, MemoryPolicy());
  EXPECT_EQ(run.run.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(run.run.status.message()),
              HasSubstr("every planned rung failed (3 attempts)"));
  EXPECT_EQ(run.build_decision->attempt_size(), 3);
}

TEST_F(MemoryStageTest, ErrorsOtherThanAllocationAreNotRetried) {
  SimulatedGpuSpec spec;
  spec.scripted_failures[Rung::kFull] = "Error in GpuIndexFlat: invalid argument";
  LadderRun run = Run(spec, Permissive());
  EXPECT_EQ(run.run.status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(run.build_decision->attempt_size(), 1);
}

TEST_F(MemoryStageTest, MaxAttemptsBoundsTheLadder) {
  SimulatedGpuSpec spec;
  spec.scripted_failures[Rung::kFull] = ForcedFailure(Rung::kFull);
  MemoryPolicy policy = Permissive();
  policy.set_max_attempts(1);
  LadderRun run = Run(spec, policy);
  EXPECT_EQ(run.run.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(run.build_decision->attempt_size(), 1);
}

TEST_F(MemoryStageTest, HostBelowTheMinimumFailsBeforeAnyWork) {
  const std::string dir = ::testing::TempDir() + "/lowmem";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/meminfo") << "MemAvailable:     102400 kB\n";
  HostMemorySources host;
  host.meminfo = dir + "/meminfo";
  host.cgroup_v2_dir = host.cgroup_v1_dir = dir + "/none";
  LadderRun run = Run(SimulatedGpuSpec(), MemoryPolicy(), host);
  EXPECT_EQ(run.run.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(run.run.status.message(),
            "host memory: 100 MiB available (MemAvailable 100 MiB), below the minimum of 512 MiB "
            "(memory.min_host_memory_mb); nothing was run. Free memory or lower the minimum");
  EXPECT_EQ(run.run.report.stage_size(), 0);
}

// A GPU stage with its own buffers (no FAISS): it states bytes per rung and gets, on each rung, a
// lease — a device, a stream, a byte budget and the allocator that enforces it. Its "kernel" asks
// the allocator for more than the full rung's budget (its estimate was short): the allocator
// refuses with ResourceExhausted and the ladder moves down, as for a real out-of-memory.
TEST(MemoryStageGenericTest, OwnBuffersGetDeviceStreamAndBudgetPerRung) {
  SimulatedGpuSpec spec;
  spec.total_bytes = spec.free_bytes = 24576 * kMiB;
  SimulatedGpuDevice device(spec);
  MemoryStage memory(MemoryPolicy(), &device);
  MemoryEstimate estimate;
  estimate.device_bytes = 1000 * kMiB;         // all queries' score tiles at once
  estimate.reduced_device_bytes = 100 * kMiB;  // one tile at a time
  MemoryDecision decision;
  ASSERT_TRUE(memory.Prepare(estimate, decision).ok());

  std::vector<DeviceLease> seen;
  absl::Status status = memory.RunPlaced(
      [&](const DeviceLease& placement) -> absl::Status {
        seen.push_back(placement);
        EXPECT_NE(placement.allocator, nullptr);
        // Every tile at once on the full rung (more than its budget); one tile on the others.
        const int64_t tiles = placement.rung == Rung::kFull ? 3000 * kMiB : 800 * kMiB;
        absl::StatusOr<void*> buffer = placement.allocator->Allocate(0, tiles);
        if (!buffer.ok()) return buffer.status();
        EXPECT_EQ(placement.allocator->allocated_bytes(0), tiles);
        placement.allocator->Free(0, *buffer);
        return absl::OkStatus();
      },
      decision);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(seen.size(), 2);
  for (const DeviceLease& placement : seen) {
    EXPECT_EQ(placement.devices, std::vector<int>{0});
    EXPECT_EQ(placement.streams.size(), 1);  // the default stream on a simulated device
  }
  // temp 1.5 GiB on a 24 GiB card: full = data + temp, reduced = the reduced set + half the temp.
  EXPECT_EQ(seen[0].budget_bytes, (1000 + 1536) * kMiB);
  EXPECT_EQ(seen[1].rung, Rung::kReduced);
  EXPECT_EQ(seen[1].budget_bytes, (100 + 768) * kMiB);
  EXPECT_EQ(decision.final_rung(), "reduced");
  ASSERT_EQ(decision.attempt_size(), 2);
  EXPECT_THAT(decision.attempt(0).error(),
              HasSubstr("device memory budget: the work asked for 2.9 GiB on GPU 0 holding 0 B, "
                        "beyond the full rung's budget of 2.5 GiB"));
}

// The host's ledger: runs sharing a card reserve before they allocate.
class MemoryStageLedgerTest : public ::testing::Test {
 protected:
  MemoryStageLedgerTest() {
    spec_.total_bytes = spec_.free_bytes = 24576 * kMiB;
    policy_.set_ledger_path(std::string(std::getenv("TEST_TMPDIR")) + "/ledger-" +
                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    estimate_.device_bytes = 8000 * kMiB;         // + 1.5 GiB temp on the full rung
    estimate_.reduced_device_bytes = 100 * kMiB;  // + 768 MiB temp on the reduced rung
  }

  SimulatedGpuSpec spec_;
  MemoryPolicy policy_;
  MemoryEstimate estimate_;
};

TEST_F(MemoryStageLedgerTest, WaitsWhileAnotherRunHoldsMemoryThatWillComeBack) {
  SimulatedGpuDevice device(spec_);
  DeviceLedger other(policy_.ledger_path());
  ASSERT_GT(*other.TryReserve(0, 20000 * kMiB, int64_t{1} << 50, "full rung"), 0);
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ASSERT_TRUE(other.ReleaseAll().ok());
  });
  {
    MemoryStage memory(policy_, &device);
    MemoryDecision decision;
    absl::Status status = memory.Prepare(estimate_, decision);
    release.join();
    ASSERT_TRUE(status.ok()) << status;
    // 20000 MiB + 9536 MiB exceed the card less 2%: it waited for the other run, then reserved
    // the full rung.
    EXPECT_THAT(decision.ledger(), ::testing::StartsWith("reserved 9.3 GiB on GPU 0 for the full "
                                                         "rung; others held 0 B after waiting"));
    ASSERT_EQ(other.Others(0)->size(), 1);  // the stage's reservation, seen by the other run
    EXPECT_EQ((*other.Others(0))[0].bytes, 9536 * kMiB);
    // The work runs; the stage keeps no device memory after it: the reservation goes with it.
    ASSERT_TRUE(
        memory.RunPlaced([](const DeviceLease&) { return absl::OkStatus(); }, decision).ok());
    EXPECT_TRUE(other.Others(0)->empty());
    // An index's reservation stays until the run ends.
    estimate_.keeps_device_memory = true;
    ASSERT_TRUE(memory.Prepare(estimate_, decision).ok());
    ASSERT_TRUE(
        memory.RunPlaced([](const DeviceLease&) { return absl::OkStatus(); }, decision).ok());
    EXPECT_EQ(other.Others(0)->size(), 1);
  }
  EXPECT_TRUE(other.Others(0)->empty());  // released with the memory stage
}

TEST_F(MemoryStageLedgerTest, WithoutWaitingTakesTheRungThatFitsBesideTheOthers) {
  policy_.set_ledger_wait_seconds(-1);
  SimulatedGpuDevice device(spec_);
  DeviceLedger other(policy_.ledger_path());
  ASSERT_GT(*other.TryReserve(0, 20000 * kMiB, int64_t{1} << 50, "full rung"), 0);
  MemoryStage memory(policy_, &device);
  MemoryDecision decision;
  ASSERT_TRUE(memory.Prepare(estimate_, decision).ok());
  EXPECT_THAT(decision.ledger(), ::testing::StartsWith("reserved 868 MiB on GPU 0 for the reduced "
                                                       "rung; others held 19.5 GiB"));
  EXPECT_THAT(decision.skipped_rungs(),
              ::testing::Contains(::testing::StartsWith(
                  "full: the ledger still has 19.5 GiB reserved by other runs on GPU 0, 9.3 GiB "
                  "needed of 23.5 GiB (waited")));
}

TEST_F(MemoryStageLedgerTest, DoesNotWaitWhenTheOthersEndingWouldNotMakeRoom) {
  // 20.6 GiB in use, 4 GiB of it reserved by another run: even when it ends, 6 GiB would be free,
  // less than the full rung's 9.3 GiB; the full rung is dropped at once and the reduced one
  // reserved, however long waiting may be.
  spec_.free_bytes = 2000 * kMiB;
  SimulatedGpuDevice device(spec_);
  DeviceLedger other(policy_.ledger_path());
  ASSERT_GT(*other.TryReserve(0, 4000 * kMiB, int64_t{1} << 50, "full rung"), 0);
  MemoryStage memory(policy_, &device);
  MemoryDecision decision;
  const absl::Time start = absl::Now();
  ASSERT_TRUE(memory.Prepare(estimate_, decision).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_THAT(decision.skipped_rungs(), ::testing::Contains(::testing::StartsWith("full: needs ")));
  EXPECT_THAT(decision.ledger(), ::testing::HasSubstr("for the reduced rung"));
}

}  // namespace
}  // namespace trawl
