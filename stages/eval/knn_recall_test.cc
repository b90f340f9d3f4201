#include "stages/eval/knn_recall.h"

#include "gtest/gtest.h"

namespace trawl {
namespace {

RankedLists Lists(int64_t k, std::vector<int64_t> ids) {
  RankedLists lists;
  lists.k = k;
  lists.num_queries = static_cast<int64_t>(ids.size()) / k;
  lists.ids = std::move(ids);
  lists.scores.assign(lists.ids.size(), 0.0f);
  return lists;
}

TEST(KnnRecallTest, HandComputedValues) {
  // Query 0: truth {1,2,3}, results {3,9,1}; query 1: truth {4,5,6}, results {4,5,6}.
  RankedLists truth = Lists(3, {1, 2, 3, 4, 5, 6});
  RankedLists results = Lists(3, {3, 9, 1, 4, 5, 6});
  EXPECT_DOUBLE_EQ(*KnnRecall(results, truth, 3), (2.0 / 3 + 1.0) / 2);
  EXPECT_DOUBLE_EQ(*KnnRecall(results, truth, 1), (0.0 + 1.0) / 2);  // 3 is not truth's top-1
  EXPECT_DOUBLE_EQ(*KnnRecall(results, truth, 2), (0.0 + 1.0) / 2);
}

TEST(KnnRecallTest, MissingAndDuplicateResultsDoNotCount) {
  RankedLists truth = Lists(2, {7, 8});
  EXPECT_DOUBLE_EQ(*KnnRecall(Lists(2, {7, -1}), truth, 2), 0.5);
  EXPECT_DOUBLE_EQ(*KnnRecall(Lists(2, {7, 7}), truth, 2), 0.5);
}

TEST(KnnRecallTest, RejectsMismatchedQueriesAndTooDeepCutoffs) {
  RankedLists truth = Lists(2, {1, 2, 3, 4});
  absl::Status s = KnnRecall(Lists(2, {1, 2}), truth, 2).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "results cover 1 queries, the ground truth 2");
  s = KnnRecall(Lists(2, {1, 2, 3, 4}), truth, 5).status();
  EXPECT_EQ(s.message(), "recall@5 needs 1 <= k <= 2 (results depth 2, ground truth depth 2)");
}

}  // namespace
}  // namespace trawl
