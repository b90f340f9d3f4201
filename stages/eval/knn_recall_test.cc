#include "stages/eval/knn_recall.h"

#include "gtest/gtest.h"
#include "pipelines/values_testing.h"

namespace trawl {
namespace {

TEST(KnnRecallTest, HandComputedValues) {
  // Query 0: truth {1,2,3}, results {3,9,1}; query 1: truth {4,5,6}, results {4,5,6}.
  RankedLists truth = MakeRankedLists(3, {1, 2, 3, 4, 5, 6});
  RankedLists results = MakeRankedLists(3, {3, 9, 1, 4, 5, 6});
  EXPECT_DOUBLE_EQ(*KnnRecall(results, truth, 3), (2.0 / 3 + 1.0) / 2);
  EXPECT_DOUBLE_EQ(*KnnRecall(results, truth, 1), (0.0 + 1.0) / 2);  // 3 is not truth's top-1
  EXPECT_DOUBLE_EQ(*KnnRecall(results, truth, 2), (0.0 + 1.0) / 2);
}

TEST(KnnRecallTest, MissingAndDuplicateResultsDoNotCount) {
  RankedLists truth = MakeRankedLists(2, {7, 8});
  EXPECT_DOUBLE_EQ(*KnnRecall(MakeRankedLists(2, {7, -1}), truth, 2), 0.5);
  EXPECT_DOUBLE_EQ(*KnnRecall(MakeRankedLists(2, {7, 7}), truth, 2), 0.5);
}

TEST(KnnRecallTest, RejectsMismatchedQueriesAndTooDeepCutoffs) {
  RankedLists truth = MakeRankedLists(2, {1, 2, 3, 4});
  absl::Status s = KnnRecall(MakeRankedLists(2, {1, 2}), truth, 2).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "results cover 1 queries, the ground truth 2");
  s = KnnRecall(MakeRankedLists(2, {1, 2, 3, 4}), truth, 5).status();
  EXPECT_EQ(s.message(), "recall@5 needs 1 <= k <= 2 (results depth 2, ground truth depth 2)");
}

}  // namespace
}  // namespace trawl
