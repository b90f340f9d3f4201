// faiss_index_build + faiss_search on the CPU, checked against the independent exact_knn.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stages/dense/exact_knn.h"
#include "stages/dense/faiss_test_util.h"
#include "stages/eval/ranked_lists_compare.h"
#include "stages/synth/clustered_dense.h"

namespace trawl {
namespace {

ClusteredDense Data() {
  ClusteredDenseSpec spec;
  spec.num_vectors = 4000;
  spec.num_queries = 50;
  spec.dim = 32;
  spec.num_clusters = 40;
  return *GenerateClusteredDense(spec);
}

RunEnvironment Cpu() {
  RunEnvironment env;
  return env;
}

class FaissStagesTest : public ::testing::TestWithParam<dense::Metric> {};

TEST_P(FaissStagesTest, FlatEqualsExactKnn) {
  ClusteredDense data = Data();
  const std::string metric = dense::Metric_Name(GetParam());
  std::string device;
  absl::StatusOr<RankedLists> flat =
      BuildAndSearch(data.corpus, data.queries, "metric: " + metric, "k: 10", Cpu(), &device);
  ASSERT_TRUE(flat.ok()) << flat.status();
  EXPECT_EQ(device, "cpu");
  RankedLists exact = *ExactKnn(data.corpus, data.queries, 10, GetParam());
  RankedListsDiff diff = *CompareRankedLists(*flat, exact, 1e-4);
  EXPECT_TRUE(diff.EqualUpToTies()) << diff.Summary();
  EXPECT_LT(diff.max_score_rel_diff, 1e-4) << diff.Summary();
}

INSTANTIATE_TEST_SUITE_P(Metrics, FaissStagesTest,
                         ::testing::Values(dense::L2, dense::INNER_PRODUCT, dense::COSINE));

TEST(FaissStagesIvfTest, IvfVisitingEveryListEqualsFlat) {
  ClusteredDense data = Data();
  RankedLists flat = *BuildAndSearch(data.corpus, data.queries, "", "k: 10", Cpu());
  absl::StatusOr<RankedLists> ivf = BuildAndSearch(
      data.corpus, data.queries, "index_type: IVF_FLAT nlist: 16", "k: 10 nprobe: 16", Cpu());
  ASSERT_TRUE(ivf.ok()) << ivf.status();
  RankedListsDiff diff = *CompareRankedLists(*ivf, flat, 1e-5);
  EXPECT_TRUE(diff.EqualUpToTies()) << diff.Summary();
}

TEST(FaissStagesIvfTest, IvfWithOneProbeLosesSomeRecallButReturnsK) {
  ClusteredDense data = Data();
  RankedLists ivf = *BuildAndSearch(data.corpus, data.queries, "index_type: IVF_FLAT nlist: 64",
                                    "k: 10 nprobe: 1", Cpu());
  EXPECT_EQ(ivf.doc_rows.size(), 500);
  EXPECT_EQ(std::count(ivf.doc_rows.begin(), ivf.doc_rows.end(), -1), 0);
}

TEST(FaissStagesValidationTest, IvfWithoutNlistIsRejectedAtOpen) {
  absl::StatusOr<StageTestRunner> build = StageTestRunner::Create(R"cfg(
    type: "faiss_index_build"
    options { [type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { index_type: IVF_FLAT } })cfg");
  EXPECT_EQ(build.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(build.status().message(), "nlist must be > 0 for IVF_FLAT, got 0");
}

TEST(FaissStagesValidationTest, QueryDimensionMismatchNamesBoth) {
  ClusteredDense data = Data();
  DenseMatrix wrong = data.queries;
  wrong.dim = 16;
  wrong.rows *= 2;
  absl::Status s = BuildAndSearch(data.corpus, wrong, "", "k: 5", Cpu()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "queries have dimension 16, the index has 32");
}

TEST(FaissStagesValidationTest, FaissExceptionsBecomeStatusesWithFaissMessage) {
  ClusteredDense data = Data();
  // Training 64 lists on 10 points: FAISS throws; the stage returns its message.
  absl::Status s = BuildAndSearch(data.corpus, data.queries,
                                  "index_type: IVF_FLAT nlist: 64 train_size: 10", "k: 5", Cpu())
                       .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(s.message()), ::testing::StartsWith("building IVF64,Flat: Error in"));
}

TEST(FaissStagesTest, EstimatesCountTheCorpus) {
  ClusteredDense data = Data();
  absl::StatusOr<StageTestRunner> build =
      StageTestRunner::Create(R"cfg(type: "faiss_index_build")cfg", Cpu());
  build->SetInput("corpus", data.corpus);
  ASSERT_TRUE(build->Run().ok());
  EXPECT_EQ(build->estimate().device_bytes, 4000 * 32 * 4);
  EXPECT_EQ(build->estimate().lossy_device_bytes, 4000 * 32 * 2);
}

}  // namespace
}  // namespace trawl
