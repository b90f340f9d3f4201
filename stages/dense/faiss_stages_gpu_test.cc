// faiss_index_build + faiss_search on a real GPU: results equal the CPU's, id for id up to exact
// score ties, and the exact kNN's.
#include <cuda_runtime.h>

#include <cctype>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "faiss/gpu/GpuIndexFlat.h"
#include "faiss/gpu/StandardGpuResources.h"
#include "gtest/gtest.h"
#include "memory/cuda_gpu_device.h"
#include "memory/gpu_probe.h"
#include "memory/memory_stage.h"
#include "memory/run_environment.h"
#include "pipelines/config_loader.h"
#include "pipelines/runner.h"
#include "stages/dense/exact_knn.h"
#include "stages/dense/faiss_placement.h"
#include "stages/dense/faiss_test_util.h"
#include "stages/eval/knn_recall.h"
#include "stages/eval/ranked_lists_compare.h"
#include "stages/synth/clustered_dense.h"

namespace trawl {
namespace {

ClusteredDense Data() {
  ClusteredDenseSpec spec;
  spec.num_vectors = 100000;
  spec.num_queries = 1000;
  spec.dim = 128;
  return *GenerateClusteredDense(spec);
}

// Owns the environments the tests run in (device and memory stage).
std::vector<std::unique_ptr<ManagedEnvironment>>& Environments() {
  static auto* environments = new std::vector<std::unique_ptr<ManagedEnvironment>>();
  return *environments;
}

const RunEnvironment& WithDevice(MemoryPolicy::Device device) {
  MemoryPolicy policy;
  policy.set_device(device);
  Environments().push_back(*MakeRunEnvironment(policy));
  return Environments().back()->env;
}

class FaissStagesGpuTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FaissStagesGpuTest, GpuResultsEqualCpuResults) {
  const RunEnvironment& gpu = WithDevice(MemoryPolicy::GPU);
  ASSERT_TRUE(gpu.gpu.usable()) << gpu.gpu.unavailable_reason;
  ClusteredDense data = Data();
  std::string device;
  absl::StatusOr<RankedLists> on_gpu =
      BuildAndSearch(data.corpus, data.queries, GetParam(), "k: 10 nprobe: 16", gpu, &device);
  ASSERT_TRUE(on_gpu.ok()) << on_gpu.status();
  EXPECT_EQ(device, "gpu:0");
  RankedLists on_cpu = *BuildAndSearch(data.corpus, data.queries, GetParam(), "k: 10 nprobe: 16",
                                       WithDevice(MemoryPolicy::CPU), &device);
  EXPECT_EQ(device, "cpu");
  RankedListsDiff diff = *CompareRankedLists(*on_gpu, on_cpu, 1e-5);
  std::printf("[gpu vs cpu] %s: %s\n", GetParam().c_str(), diff.Summary().c_str());
  EXPECT_TRUE(diff.EqualUpToTies()) << diff.Summary();
}

INSTANTIATE_TEST_SUITE_P(Indexes, FaissStagesGpuTest,
                         ::testing::Values("metric: L2", "metric: INNER_PRODUCT",
                                           "metric: COSINE"));

// Factory strings on the GPU: through FAISS's cloner, or on the CPU for types it has no GPU form
// of (HNSW). 20000 x 64 clustered vectors; IVF visits every list, so Flat and IVF-Flat are exact.
struct GpuFactoryCase {
  std::string factory;
  std::string params;
  std::string expected_device;
  double min_recall_at_10;
};

class FaissFactoryGpuTest : public ::testing::TestWithParam<GpuFactoryCase> {};

TEST_P(FaissFactoryGpuTest, PlacedAsFaissCanAndAgainstExact) {
  ClusteredDenseSpec spec;
  spec.num_vectors = 20000;
  spec.num_queries = 200;
  spec.dim = 64;
  spec.num_clusters = 100;
  ClusteredDense data = *GenerateClusteredDense(spec);
  const GpuFactoryCase& c = GetParam();
  std::string device;
  absl::StatusOr<RankedLists> results =
      BuildAndSearch(data.corpus, data.queries, "factory: \"" + c.factory + "\"",
                     "k: 10 params: \"" + c.params + "\"", WithDevice(MemoryPolicy::GPU), &device);
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(device, c.expected_device) << c.factory;
  RankedLists exact = *ExactKnn(data.corpus, data.queries, 10, dense::L2);
  const double recall = *KnnRecall(*results, exact, 10);
  std::printf("[factory on gpu] %s: device %s, recall@10 %.4f\n", c.factory.c_str(), device.c_str(),
              recall);
  EXPECT_GE(recall, c.min_recall_at_10);
}

INSTANTIATE_TEST_SUITE_P(Types, FaissFactoryGpuTest,
                         ::testing::Values(GpuFactoryCase{"Flat", "", "gpu:0", 0.999},
                                           GpuFactoryCase{"IVF64,Flat", "nprobe=64", "gpu:0",
                                                          0.999},
                                           GpuFactoryCase{"IVF64,SQ8", "nprobe=64", "gpu:0", 0.9},
                                           GpuFactoryCase{"HNSW32", "efSearch=128", "cpu", 0.9}),
                         [](const ::testing::TestParamInfo<GpuFactoryCase>& info) {
                           return std::to_string(info.index);
                         });

TEST(FaissStagesGpuExactTest, GpuFlatEqualsExactKnn) {
  ClusteredDense data = Data();
  RankedLists on_gpu =
      *BuildAndSearch(data.corpus, data.queries, "", "k: 10", WithDevice(MemoryPolicy::GPU));
  RankedLists exact = *ExactKnn(data.corpus, data.queries, 10, dense::L2);
  RankedListsDiff diff = *CompareRankedLists(on_gpu, exact, 1e-4);
  std::printf("[gpu vs exact] %s\n", diff.Summary().c_str());
  EXPECT_TRUE(diff.EqualUpToTies()) << diff.Summary();
}

// The device estimate of each factory type against what FAISS holds on the card once the index is
// built (StandardGpuResources' own accounting, temp memory excluded: the temp tier sizes that):
// at least that, and within 25% of it.
class FaissEstimateGpuTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FaissEstimateGpuTest, EstimateCoversWhatFaissHoldsWithin25Percent) {
  ClusteredDense data = Data();
  absl::StatusOr<StageTestRunner> build = StageTestRunner::Create(
      "type: 'faiss_index_build' options { "
      "[type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { factory: '" +
          GetParam() + "' } }",
      WithDevice(MemoryPolicy::GPU));
  ASSERT_TRUE(build.ok()) << build.status();
  build->SetInput("corpus", data.corpus);
  ASSERT_TRUE(build->Run().ok());
  const DenseIndex* index = build->Output<DenseIndex>("index");
  ASSERT_TRUE(index != nullptr && index->on_gpu());
  int64_t held = 0;
  std::string detail;
  for (const auto& [device, by_type] : index->faiss_resources[0]->getMemoryInfo()) {
    for (const auto& [type, count_bytes] : by_type) {
      absl::StrAppend(&detail, " ", type, "=", count_bytes.second);
      if (type != "TemporaryMemoryBuffer") held += static_cast<int64_t>(count_bytes.second);
    }
  }
  const int64_t estimate = build->estimate().device_bytes;
  std::printf("[estimate vs faiss] %s: estimate %lld, held %lld (ratio %.3f);%s\n",
              GetParam().c_str(), static_cast<long long>(estimate), static_cast<long long>(held),
              static_cast<double>(estimate) / held, detail.c_str());
  EXPECT_GE(estimate, held);
  EXPECT_LE(estimate, held * 1.25);
}

INSTANTIATE_TEST_SUITE_P(Types, FaissEstimateGpuTest,
                         ::testing::Values("Flat", "IVF256,Flat", "IVF256,SQ8", "IVF256,PQ16"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// gpus: 2 by option, as shards and as replicas: the same results as one GPU (Flat: exact).
TEST(FaissMultiGpuTest, ShardsAndReplicasEqualOneGpu) {
  const RunEnvironment& gpu = WithDevice(MemoryPolicy::GPU);
  if (gpu.gpu.devices.size() < 2) GTEST_SKIP() << "needs 2 GPUs";
  ClusteredDense data = Data();
  std::string device;
  RankedLists one = *BuildAndSearch(data.corpus, data.queries, "factory: 'Flat'", "k: 10", gpu);
  for (const std::string spread : {"gpus: 2 shard: true", "gpus: 2 shard: false"}) {
    absl::StatusOr<StageTestRunner> build = StageTestRunner::Create(
        "type: 'faiss_index_build' options { "
        "[type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { factory: 'Flat' " +
            spread + " } }",
        gpu);
    ASSERT_TRUE(build.ok()) << build.status();
    build->SetInput("corpus", data.corpus);
    ASSERT_TRUE(build->Run().ok());
    EXPECT_EQ(build->report().memory().final_rung(), "sharded") << spread;
    absl::StatusOr<RankedLists> spread_results =
        BuildAndSearch(data.corpus, data.queries, "factory: 'Flat' " + spread, "k: 10", gpu);
    ASSERT_TRUE(spread_results.ok()) << spread_results.status();
    RankedListsDiff diff = *CompareRankedLists(*spread_results, one, 1e-5);
    std::printf("[2 gpus vs 1] %s: %s\n", spread.c_str(), diff.Summary().c_str());
    EXPECT_TRUE(diff.EqualUpToTies()) << diff.Summary();
  }
}

// exact_knn on a GPU run: FaissGpuIndexFlat through the memory stage, against the direct CPU
// computation (cpu_only).
TEST(ExactKnnGpuTest, GpuGroundTruthEqualsTheCpuReference) {
  ClusteredDense data = Data();
  auto run = [&](const RunEnvironment& env, bool cpu_only, std::string* device) {
    absl::StatusOr<StageTestRunner> knn = StageTestRunner::Create(
        std::string("type: 'exact_knn' options { [type.googleapis.com/trawl.dense.ExactKnnOptions] "
                    "{ k: 100 metric: INNER_PRODUCT cpu_only: ") +
            (cpu_only ? "true" : "false") + " } }",
        env);
    EXPECT_TRUE(knn.ok()) << knn.status();
    knn->SetInput("corpus", data.corpus);
    knn->SetInput("queries", data.queries);
    absl::Status status = knn->Run();
    EXPECT_TRUE(status.ok()) << status;
    *device = knn->report().device();
    return *knn->Output<RankedLists>("ground_truth");
  };
  std::string gpu_device, cpu_device;
  const RankedLists on_gpu = run(WithDevice(MemoryPolicy::GPU), false, &gpu_device);
  const RankedLists reference = run(WithDevice(MemoryPolicy::GPU), true, &cpu_device);
  EXPECT_EQ(gpu_device, "gpu:0");
  EXPECT_EQ(cpu_device, "cpu");
  RankedListsDiff diff = *CompareRankedLists(on_gpu, reference, 1e-4);
  std::printf("[exact_knn gpu vs cpu] %s\n", diff.Summary().c_str());
  EXPECT_TRUE(diff.EqualUpToTies()) << diff.Summary();
  EXPECT_LT(diff.max_score_rel_diff, 1e-4);
}

// engine: TRAWL through the stages: exact_knn and faiss_index_build + faiss_search give the
// float64 reference's results (cpu_only), ids exactly (the engine and ExactKnn both break equal
// float64 scores by row; sums in another order may differ in the last bits, hence up to ties),
// for every metric; k = 1024 too.
class TrawlEngineGpuTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TrawlEngineGpuTest, StagesGiveTheFloat64Reference) {
  ClusteredDense data = Data();
  const std::string metric = GetParam();
  auto exact = [&](const std::string& options, std::string* device) {
    absl::StatusOr<StageTestRunner> knn = StageTestRunner::Create(
        "type: 'exact_knn' options { [type.googleapis.com/trawl.dense.ExactKnnOptions] { metric: " +
            metric + " " + options + " } }",
        WithDevice(MemoryPolicy::GPU));
    EXPECT_TRUE(knn.ok()) << knn.status();
    knn->SetInput("corpus", data.corpus);
    knn->SetInput("queries", data.queries);
    absl::Status status = knn->Run();
    EXPECT_TRUE(status.ok()) << status;
    *device = knn->report().device();
    return *knn->Output<RankedLists>("ground_truth");
  };
  for (int k : {10, 1024}) {
    std::string trawl_device, cpu_device, build_device;
    const std::string kk = " k: " + std::to_string(k);
    const RankedLists reference = exact("cpu_only: true" + kk, &cpu_device);
    const RankedLists engine = exact("engine: TRAWL" + kk, &trawl_device);
    EXPECT_EQ(trawl_device, "gpu:0");
    RankedListsDiff diff = *CompareRankedLists(engine, reference, 1e-6);
    std::printf("[exact_knn TRAWL vs cpu_only, %s, k=%d] %s\n", metric.c_str(), k,
                diff.Summary().c_str());
    EXPECT_TRUE(diff.EqualUpToTies()) << diff.Summary();
    EXPECT_LT(diff.max_score_rel_diff, 1e-6);
    absl::StatusOr<RankedLists> searched =
        BuildAndSearch(data.corpus, data.queries, "factory: 'Flat' engine: TRAWL metric: " + metric,
                       "k: " + std::to_string(k), WithDevice(MemoryPolicy::GPU), &build_device);
    ASSERT_TRUE(searched.ok()) << searched.status();
    EXPECT_EQ(build_device, "gpu:0");
    diff = *CompareRankedLists(*searched, reference, 1e-6);
    EXPECT_TRUE(diff.EqualUpToTies()) << diff.Summary();
  }
}

INSTANTIATE_TEST_SUITE_P(Metrics, TrawlEngineGpuTest,
                         ::testing::Values("L2", "INNER_PRODUCT", "COSINE"));

// An index folder written on the CPU, read onto the GPU by faiss_index_read, searches as the CPU
// index does.
TEST(FaissIndexReadGpuTest, ReadOntoTheGpuSearchesAsOnTheCpu) {
  ClusteredDense data = Data();
  auto stage = [](const std::string& type, const std::string& options_type,
                  const std::string& options, const RunEnvironment& env) {
    return *StageTestRunner::Create("type: '" + type +
                                        "' options { [type.googleapis.com/trawl.dense." +
                                        options_type + "] { " + options + " } }",
                                    env);
  };
  const RunEnvironment& cpu = WithDevice(MemoryPolicy::CPU);
  const RunEnvironment& gpu = WithDevice(MemoryPolicy::GPU);
  StageTestRunner build =
      stage("faiss_index_build", "FaissIndexBuildOptions", "factory: 'IVF256,Flat'", cpu);
  build.SetInput("corpus", data.corpus);
  ASSERT_TRUE(build.Run().ok());
  const std::string path = ::testing::TempDir() + "/ivf256.index";
  StageTestRunner write =
      stage("faiss_index_write", "FaissIndexWriteOptions", "path: '" + path + "'", cpu);
  write.SetInput("index", std::move(*build.Output<DenseIndex>("index")));
  ASSERT_TRUE(write.Run().ok());

  auto read_and_search = [&](const RunEnvironment& env, std::string* device) {
    StageTestRunner read =
        stage("faiss_index_read", "FaissIndexReadOptions", "path: '" + path + "'", env);
    EXPECT_TRUE(read.Run().ok());
    *device = read.report().device();
    StageTestRunner search = stage("faiss_search", "FaissSearchOptions", "k: 10 nprobe: 32", env);
    search.SetInput("index", std::move(*read.Output<DenseIndex>("index")));
    search.SetInput("queries", data.queries);
    EXPECT_TRUE(search.Run().ok());
    return *search.Output<RankedLists>("results");
  };
  std::string gpu_device, cpu_device;
  const RankedLists on_gpu = read_and_search(gpu, &gpu_device);
  const RankedLists on_cpu = read_and_search(cpu, &cpu_device);
  EXPECT_EQ(gpu_device, "gpu:0");
  EXPECT_EQ(cpu_device, "cpu");
  RankedListsDiff diff = *CompareRankedLists(on_gpu, on_cpu, 1e-4);
  std::printf("[index read gpu vs cpu] %s\n", diff.Summary().c_str());
  EXPECT_TRUE(diff.EqualUpToTies()) << diff.Summary();
}

}  // namespace
}  // namespace trawl

namespace trawl {
namespace {

// FAISS works on the lease's stream: FaissLease binds each device's default stream to the
// lease's (checked through FAISS's own accessor), and resources that outlive the attempt keep the
// stream alive with them (FAISS's temp memory remembers it), so they never use a destroyed stream.
TEST(FaissLeaseGpuTest, FaissRunsOnTheLeaseStreamWhichLivesAsLongAsItsResources) {
  GpuEnvironment gpu = ProbeGpus();
  ASSERT_TRUE(gpu.usable()) << gpu.unavailable_reason;
  CudaGpuDevice device(1);
  MemoryStage memory(MemoryPolicy(), &device);
  MemoryEstimate estimate;
  estimate.device_bytes = 64 << 20;
  MemoryDecision decision;
  ASSERT_TRUE(memory.Prepare(estimate, decision).ok());
  std::shared_ptr<faiss::gpu::StandardGpuResources> kept;
  std::shared_ptr<CUstream_st> kept_stream;  // declared first: outlives `kept`, as in DenseIndex
  CUstream_st* lease_stream = nullptr;
  ClusteredDense data = Data();
  absl::Status status = memory.RunPlaced(
      [&](const DeviceLease& lease) -> absl::Status {
        EXPECT_EQ(lease.streams.size(), 1u);
        lease_stream = lease.streams[0];
        EXPECT_NE(lease_stream, nullptr);
        const FaissLease faiss(lease);
        EXPECT_EQ(faiss.at(0)->getDefaultStream(lease.devices[0]), lease_stream);
        faiss::gpu::GpuIndexFlatConfig config;
        config.device = lease.devices[0];
        faiss::gpu::GpuIndexFlat index(faiss.at(0), 128, faiss::METRIC_L2, config);
        index.add(10000, data.corpus.data.data());
        std::vector<float> distances(10);
        std::vector<faiss::Index::idx_t> labels(10);
        index.search(1, data.queries.data.data(), 10, distances.data(), labels.data());
        EXPECT_GE(labels[0], 0);
        kept = faiss.resources()[0];
        kept_stream = faiss.streams()[0];
        return absl::OkStatus();
      },
      decision);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_NE(kept, nullptr);
  ASSERT_EQ(kept_stream.get(), lease_stream);
  EXPECT_EQ(kept->getDefaultStream(0), lease_stream);
  EXPECT_EQ(cudaStreamQuery(lease_stream), cudaSuccess);  // still a live stream after the attempt
  // FAISS work after the attempt (temp memory that remembers the stream) still runs.
  faiss::gpu::GpuIndexFlatConfig config;
  faiss::gpu::GpuIndexFlat again(kept.get(), 128, faiss::METRIC_L2, config);
  again.add(10000, data.corpus.data.data());
  std::vector<float> distances(10 * 100);
  std::vector<faiss::Index::idx_t> labels(10 * 100);
  again.search(100, data.queries.data.data(), 10, distances.data(), labels.data());
  EXPECT_GE(labels[0], 0);
}

// Two searches of one IVF index built on the GPU, with different nprobe: each runs on the stream
// the index was placed on, whose lease ended with the build (the crash this guards: FAISS's temp
// memory waiting on a destroyed stream, CUDA error 709), and each equals a run with only that
// search (the per-search parameters, on the GPU).
std::vector<RankedLists> RunSearches(const RunEnvironment& env, const std::vector<int>& nprobes) {
  std::string text = R"(name: "two_searches"
stage { type: "synth_dense" name: "generate" output: "corpus:corpus" output: "queries:queries"
  options { [type.googleapis.com/trawl.synth.SynthDenseOptions] {
    num_vectors: 200000 num_queries: 2000 dim: 64 seed: 9 } } }
stage { type: "faiss_index_build" name: "index" input: "corpus:corpus" output: "index:index"
  options { [type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { factory: "IVF256,Flat" } } }
)";
  RunOptions options;
  for (size_t i = 0; i < nprobes.size(); ++i) {
    absl::StrAppend(
        &text, "stage { type: \"faiss_search\" name: \"search_", i,
        "\" input: \"index:index\" input: \"queries:queries\" output: \"results:r", i,
        "\" options { [type.googleapis.com/trawl.dense.FaissSearchOptions] { k: 10 nprobe: ",
        nprobes[i], " } } }\n");
    options.keep_slots.push_back(absl::StrCat("r", i));
  }
  absl::StatusOr<Pipeline> pipeline = ParsePipelineText(text, "inline");
  EXPECT_TRUE(pipeline.ok()) << pipeline.status();
  PipelineRun run = RunPipeline(*pipeline, env, options);
  EXPECT_TRUE(run.status.ok()) << run.status;
  EXPECT_EQ(run.report.stage(2).device(), "gpu:0");
  std::vector<RankedLists> results;
  for (const std::string& slot : options.keep_slots) {
    results.push_back(*run.slots.at(slot).As<RankedLists>());
  }
  return results;
}

TEST(FaissLeaseGpuTest, SearchesOfAKeptIndexRunOnItsStreamWithTheirOwnParameters) {
  const RunEnvironment& env = WithDevice(MemoryPolicy::GPU);
  const std::vector<RankedLists> both = RunSearches(env, {32, 1});
  const std::vector<RankedLists> wide = RunSearches(env, {32});
  const std::vector<RankedLists> narrow = RunSearches(env, {1});
  EXPECT_EQ(both[0].doc_rows, wide[0].doc_rows);
  EXPECT_EQ(both[1].doc_rows, narrow[0].doc_rows);
  EXPECT_NE(wide[0].doc_rows, narrow[0].doc_rows);
}

}  // namespace
}  // namespace trawl
