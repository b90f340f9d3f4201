#include "stages/eval/ranked_lists_compare.h"

#include "gtest/gtest.h"
#include "pipelines/values_testing.h"

namespace trawl {
namespace {

TEST(RankedListsCompareTest, IdenticalListsAreEqual) {
  RankedLists a = MakeRankedLists(2, {1, 2, 3, 4}, {-1, -2, -3, -4});
  RankedListsDiff diff = *CompareRankedLists(a, a);
  EXPECT_EQ(diff.same_id, 4);
  EXPECT_TRUE(diff.EqualUpToTies());
  EXPECT_EQ(diff.max_score_rel_diff, 0);
}

TEST(RankedListsCompareTest, SwapAtTiedScoresIsATieSwapNotAMismatch) {
  RankedLists a = MakeRankedLists(2, {1, 2, 3, 4}, {-100, -200.001f, -3, -4});
  RankedLists b = MakeRankedLists(2, {1, 9, 3, 4}, {-100, -200.0f, -3, -4});
  RankedListsDiff diff = *CompareRankedLists(a, b);
  EXPECT_EQ(diff.tie_swaps, 1);
  EXPECT_TRUE(diff.EqualUpToTies());
}

TEST(RankedListsCompareTest, DifferentIdAtDifferentScoreIsAMismatch) {
  RankedLists a = MakeRankedLists(2, {1, 2, 3, 4}, {-1, -2, -3, -4});
  RankedLists b = MakeRankedLists(2, {1, 2, 3, 8}, {-1, -2, -3, -5});
  RankedListsDiff diff = *CompareRankedLists(a, b);
  EXPECT_EQ(diff.mismatches, 1);
  EXPECT_FALSE(diff.EqualUpToTies());
  EXPECT_EQ(diff.first_mismatch, "query 1 rank 2: id 4 (score -4) vs id 8 (score -5)");
}

TEST(RankedListsCompareTest, ShapesMustAgree) {
  EXPECT_EQ(CompareRankedLists(MakeRankedLists(2, {1, 2}, {0, 0}),
                               MakeRankedLists(2, {1, 2, 3, 4}, {0, 0, 0, 0}))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trawl
