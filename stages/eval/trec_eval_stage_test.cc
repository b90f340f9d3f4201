#include "gtest/gtest.h"
#include "pipelines/stage_test_runner.h"
#include "pipelines/values.h"
#include "stages/formats/trec.h"

namespace trawl {
namespace {

TEST(TrecEvalStageTest, ScoresRankedListsAgainstQrelsByName) {
  absl::StatusOr<StageTestRunner> runner = StageTestRunner::Create(R"cfg(
    type: "trec_eval"
    options {
      [type.googleapis.com/trawl.eval.TrecEvalOptions] { measure: "map" measure: "RR@10" measure: "P.2" }
    })cfg");
  ASSERT_TRUE(runner.ok()) << runner.status();
  RankedLists results;  // query Q-1: d3, d1, d2 (best first); d1 and d2 are relevant
  results.num_queries = 1;
  results.k = 3;
  results.query_ids = IdTable::Of({"Q-1"});
  results.doc_ids = IdTable::Of({"d0", "d1", "d2", "d3"});
  results.doc_rows = {3, 1, 2};
  results.scores = {-1, -2, -3};
  runner->SetInput("results", results);
  runner->SetInput("qrels", *ParseQrels("Q-1 0 d1 1\nQ-1 0 d2 1\nQ-1 0 d3 0\n", "q"));
  ASSERT_TRUE(runner->Run().ok());
  const Metrics* metrics = runner->Output<Metrics>("metrics");
  ASSERT_NE(metrics, nullptr);
  ASSERT_EQ(metrics->values.size(), 3);
  EXPECT_EQ(metrics->values[0].first, "map");
  EXPECT_NEAR(metrics->values[0].second, (1.0 / 2 + 2.0 / 3) / 2, 1e-12);
  EXPECT_EQ(metrics->values[1].first, "P_2");
  EXPECT_DOUBLE_EQ(metrics->values[1].second, 0.5);
  EXPECT_EQ(metrics->values[2].first, "RR@10");
  EXPECT_DOUBLE_EQ(metrics->values[2].second, 0.5);
}

TEST(TrecEvalStageTest, UnknownMeasureIsRejectedAtOpen) {
  EXPECT_EQ(StageTestRunner::Create(R"cfg(
              type: "trec_eval"
              options { [type.googleapis.com/trawl.eval.TrecEvalOptions] { measure: "ndgc" } })cfg")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KnnQrelsStageTest, TrueTopKBecomeRelevantJudgments) {
  absl::StatusOr<StageTestRunner> runner = StageTestRunner::Create(R"cfg(
    type: "knn_qrels" options { [type.googleapis.com/trawl.eval.KnnQrelsOptions] { k: 2 } })cfg");
  ASSERT_TRUE(runner.ok());
  RankedLists truth;
  truth.num_queries = 2;
  truth.k = 3;
  truth.query_ids = IdTable::Of({"7", "8"});  // rows as ids: the ground truth of an fvecs corpus
  truth.doc_rows = {5, 6, 9, 1, -1, -1};
  truth.scores = {0, 0, 0, 0, 0, 0};
  runner->SetInput("ground_truth", truth);
  ASSERT_TRUE(runner->Run().ok());
  const Qrels* qrels = runner->Output<Qrels>("qrels");
  ASSERT_NE(qrels, nullptr);
  EXPECT_EQ(qrels->by_query.at("7"), (std::map<std::string, int>{{"5", 1}, {"6", 1}}));
  EXPECT_EQ(qrels->by_query.at("8"), (std::map<std::string, int>{{"1", 1}}));
}

}  // namespace
}  // namespace trawl
