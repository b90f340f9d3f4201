#include "gtest/gtest.h"
#include "pipelines/stage_test_runner.h"
#include "pipelines/values.h"
#include "pipelines/values_testing.h"

namespace trawl {
namespace {

TEST(KnnRecallStageTest, EmitsRecallAtEachCutoffInOrder) {
  absl::StatusOr<StageTestRunner> runner = StageTestRunner::Create(R"cfg(
    type: "knn_recall"
    options { [type.googleapis.com/trawl.eval.KnnRecallOptions] { at: 2 at: 1 } })cfg");
  ASSERT_TRUE(runner.ok()) << runner.status();
  runner->SetInput("results", MakeRankedLists(2, {5, 1}));
  runner->SetInput("ground_truth", MakeRankedLists(2, {1, 2}));
  ASSERT_TRUE(runner->Run().ok());
  const Metrics* metrics = runner->Output<Metrics>("metrics");
  ASSERT_NE(metrics, nullptr);
  ASSERT_EQ(metrics->values.size(), 2);
  EXPECT_EQ(metrics->values[0].first, "recall@2");
  EXPECT_DOUBLE_EQ(metrics->values[0].second, 0.5);
  EXPECT_EQ(metrics->values[1].first, "recall@1");
  EXPECT_DOUBLE_EQ(metrics->values[1].second, 0.0);
}

TEST(KnnRecallStageTest, DefaultCutoffsSkipThoseDeeperThanTheLists) {
  absl::StatusOr<StageTestRunner> runner = StageTestRunner::Create(R"cfg(type: "knn_recall")cfg");
  ASSERT_TRUE(runner.ok());
  runner->SetInput("results", MakeRankedLists(10, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  runner->SetInput("ground_truth", MakeRankedLists(10, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  ASSERT_TRUE(runner->Run().ok());
  const Metrics* metrics = runner->Output<Metrics>("metrics");
  ASSERT_EQ(metrics->values.size(), 2);  // recall@1 and recall@10; @100 is too deep
  EXPECT_DOUBLE_EQ(metrics->values[1].second, 1.0);
}

TEST(KnnRecallStageTest, ExplicitCutoffDeeperThanTheListsIsAnError) {
  absl::StatusOr<StageTestRunner> runner = StageTestRunner::Create(R"cfg(
    type: "knn_recall"
    options { [type.googleapis.com/trawl.eval.KnnRecallOptions] { at: 5 } })cfg");
  runner->SetInput("results", MakeRankedLists(2, {0, 1}));
  runner->SetInput("ground_truth", MakeRankedLists(2, {0, 1}));
  EXPECT_EQ(runner->Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(KnnRecallStageTest, ZeroCutoffIsRejectedAtOpen) {
  EXPECT_EQ(StageTestRunner::Create(R"cfg(
              type: "knn_recall"
              options { [type.googleapis.com/trawl.eval.KnnRecallOptions] { at: 0 } })cfg")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trawl
