// sparse_search on a real GPU against the CPU's exact search (EXACT and MAXSCORE), through the
// memory stage: integer weights give the same rows and scores, float weights the same rows up to
// ties and scores within float rounding. Skewed generated data (synth_sparse).
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "memory/run_environment.h"
#include "pipelines/stage_test_runner.h"
#include "pipelines/values.h"
#include "pipelines/values/sparse_matrix.h"
#include "stages/eval/ranked_lists_compare.h"
#include "stages/sparse/inverted_index.h"

namespace trawl {
namespace {

std::unique_ptr<ManagedEnvironment> Environment(MemoryPolicy::Device device) {
  MemoryPolicy policy;
  policy.set_device(device);
  return *MakeRunEnvironment(policy);
}

struct Data {
  SparseMatrix docs, queries;
};

Data Generate(bool integer) {
  absl::StatusOr<StageTestRunner> synth = StageTestRunner::Create(
      "type: 'synth_sparse' options { [type.googleapis.com/trawl.synth.SynthSparseOptions] { "
      "num_documents: 50000 num_queries: 300 vocabulary: 5000 } }");
  EXPECT_TRUE(synth.ok() && synth->Run().ok());
  Data data{*synth->Output<SparseMatrix>("corpus"), *synth->Output<SparseMatrix>("queries")};
  if (!integer) {  // float weights: scale every weight by an irrational-ish factor
    for (float& w : data.docs.weights) w *= 0.7310586f;
    for (float& w : data.queries.weights) w *= 1.3195079f;
    data.docs.integer_weights = data.queries.integer_weights = false;
  }
  return data;
}

RankedLists Search(const SparseIndex& index, const SparseMatrix& queries, const std::string& mode,
                   const RunEnvironment& env, std::string* device, int gpus = 0) {
  absl::StatusOr<StageTestRunner> search = StageTestRunner::Create(
      "type: 'sparse_search' options { [type.googleapis.com/trawl.sparse.SparseSearchOptions] { "
      "k: 100 mode: " +
          mode + " gpus: " + std::to_string(gpus) + " } }",
      env);
  EXPECT_TRUE(search.ok()) << search.status();
  search->SetInput("index", index);
  search->SetInput("queries", queries);
  absl::Status status = search->Run();
  EXPECT_TRUE(status.ok()) << status;
  *device = search->report().device();
  return *search->Output<RankedLists>("results");
}

class SparseSearchGpuTest : public ::testing::TestWithParam<bool> {};

TEST_P(SparseSearchGpuTest, GpuEqualsCpu) {
  const bool integer = GetParam();
  const Data data = Generate(integer);
  const SparseIndex index = SparseIndex::Build(data.docs);
  auto gpu = Environment(MemoryPolicy::GPU);
  ASSERT_TRUE(gpu->env.gpu.usable()) << gpu->env.gpu.unavailable_reason;
  auto cpu = Environment(MemoryPolicy::CPU);
  std::string gpu_device, cpu_device;
  const RankedLists on_gpu = Search(index, data.queries, "MAXSCORE", gpu->env, &gpu_device);
  const RankedLists on_cpu = Search(index, data.queries, "EXACT", cpu->env, &cpu_device);
  EXPECT_EQ(gpu_device, "gpu:0");
  EXPECT_EQ(cpu_device, "cpu");
  if (integer) {
    EXPECT_EQ(on_gpu.doc_rows, on_cpu.doc_rows);
    EXPECT_EQ(on_gpu.scores, on_cpu.scores);
  }
  RankedListsDiff diff = *CompareRankedLists(on_gpu, on_cpu, 1e-6);
  std::printf("[sparse gpu vs cpu] %s weights: %s\n", integer ? "integer" : "float",
              diff.Summary().c_str());
  EXPECT_TRUE(diff.EqualUpToTies()) << diff.Summary();
  EXPECT_LT(diff.max_score_rel_diff, 1e-6);
}

// Documents sharded over two GPUs by option: the merged top k equal one device's, bit for bit.
TEST(SparseSearchShardedGpuTest, TwoGpusEqualOne) {
  auto gpu = Environment(MemoryPolicy::GPU);
  if (gpu->env.gpu.devices.size() < 2) GTEST_SKIP() << "needs 2 GPUs";
  const Data data = Generate(true);
  const SparseIndex index = SparseIndex::Build(data.docs);
  std::string one_device, two_devices;
  const RankedLists one = Search(index, data.queries, "EXACT", gpu->env, &one_device);
  const RankedLists two = Search(index, data.queries, "EXACT", gpu->env, &two_devices, 2);
  EXPECT_EQ(one_device, "gpu:0");
  EXPECT_EQ(two_devices, "gpu:0 (sharded over 2 GPUs)");
  EXPECT_EQ(one.doc_rows, two.doc_rows);
  EXPECT_EQ(one.scores, two.scores);
}

INSTANTIATE_TEST_SUITE_P(Weights, SparseSearchGpuTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Integer" : "Float"; });

}  // namespace
}  // namespace trawl
