// faiss_index_build + faiss_search on a real GPU: results equal the CPU's, id for id up to exact
// score ties, and the exact kNN's.
#include "gtest/gtest.h"
#include "memory/run_environment.h"
#include "stages/dense/exact_knn.h"
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

}  // namespace
}  // namespace trawl
