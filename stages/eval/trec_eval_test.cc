// Every value here was computed by hand from trec_eval's definitions (see trec_eval.h); the
// derivations are in the comments.
#include "stages/eval/trec_eval.h"

#include <cmath>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trawl {
namespace {

// q1 judges d1=1, d2=2, d3=0, d4=1 and d9=-1 (in the pool, not judged); q2 judges only e1=0
// (no relevant document); q3 has judgments but no results.
constexpr char kQrels[] =
    "q1 0 d1 1\nq1 0 d2 2\nq1 0 d3 0\nq1 0 d4 1\nq1 0 d9 -1\nq2 0 e1 0\nq3 0 f1 1\n";
// q1 ranks d3 (0.9), then dX and d1 tie at 0.8 — trec_eval puts the larger id first, "dX" >
// "d1" — then d2, d9. The rank column is deliberately wrong: trec_eval ignores it.
constexpr char kRun[] =
    "q1 Q0 d3 5 0.9 tag\nq1 Q0 d1 1 0.8 tag\nq1 Q0 dX 2 0.8 tag\nq1 Q0 d2 3 0.5 tag\n"
    "q1 Q0 d9 4 0.4 tag\nq2 Q0 e1 1 1.0 tag\nq2 Q0 e2 2 0.5 tag\n";
// So q1's ranked relevance is [0, unjudged, 1, 2, pool-unjudged]: relevant at ranks 3 and 4,
// num_rel 3 (d1, d2, d4), one judged non-relevant (d3).

std::map<std::string, double> Evaluate(const std::vector<std::string>& measures,
                                       EvalOptions options = {}) {
  Qrels qrels = *ParseQrels(kQrels, "qrels");
  TrecRun run = *ParseTrecRun(kRun, "run");
  absl::StatusOr<std::vector<MeasureSpec>> specs = ParseMeasures(measures);
  EXPECT_TRUE(specs.ok()) << specs.status();
  absl::StatusOr<std::vector<EvalLine>> lines = EvaluateRun(qrels, run, *specs, options);
  EXPECT_TRUE(lines.ok()) << lines.status();
  std::map<std::string, double> values;
  for (const EvalLine& line : *lines) values[line.measure + "/" + line.query] = line.value;
  return values;
}

const double kIdealDcg = 2 + 1 / std::log2(3.0) + 1 / std::log2(4.0);  // gains 2, 1, 1

TEST(TrecEvalTest, PerQueryValuesWithTiesUnjudgedAndGradedRelevance) {
  EvalOptions per_query;
  per_query.per_query = true;
  auto v = Evaluate({"num_ret", "num_rel", "num_rel_ret", "map", "Rprec", "recip_rank", "bpref",
                     "P.5,10", "recall.5", "ndcg", "ndcg_cut.3", "success.1,5", "map_cut.3"},
                    per_query);
  EXPECT_EQ(v["num_ret/q1"], 5);
  EXPECT_EQ(v["num_rel/q1"], 3);
  EXPECT_EQ(v["num_rel_ret/q1"], 2);
  EXPECT_NEAR(v["map/q1"], (1.0 / 3 + 2.0 / 4) / 3, 1e-12);
  EXPECT_NEAR(v["Rprec/q1"], 1.0 / 3, 1e-12);       // one relevant in the top 3
  EXPECT_NEAR(v["recip_rank/q1"], 1.0 / 3, 1e-12);  // the tie put dX before d1
  EXPECT_EQ(v["bpref/q1"], 0);  // d3 (non-relevant) outranks both relevant documents; min(R,N)=1
  EXPECT_NEAR(v["P_5/q1"], 0.4, 1e-12);
  EXPECT_NEAR(v["P_10/q1"], 0.2, 1e-12);
  EXPECT_NEAR(v["recall_5/q1"], 2.0 / 3, 1e-12);
  const double dcg = 1 / std::log2(4.0) + 2 / std::log2(5.0);  // d1 (gain 1) at 3, d2 (gain 2) at 4
  EXPECT_NEAR(v["ndcg/q1"], dcg / kIdealDcg, 1e-12);
  EXPECT_NEAR(v["ndcg_cut_3/q1"], (1 / std::log2(4.0)) / kIdealDcg, 1e-12);
  EXPECT_EQ(v["success_1/q1"], 0);
  EXPECT_EQ(v["success_5/q1"], 1);
  EXPECT_NEAR(v["map_cut_3/q1"], (1.0 / 3) / 3, 1e-12);
  // q2 has no relevant document: every measure is 0, not NaN.
  for (const char* m :
       {"map/q2", "Rprec/q2", "recip_rank/q2", "bpref/q2", "ndcg/q2", "P_5/q2", "recall_5/q2"}) {
    EXPECT_EQ(v[m], 0) << m;
  }
  EXPECT_EQ(v["num_ret/q2"], 2);
}

TEST(TrecEvalTest, AllAveragesEvaluatedQueriesAndSumsCounts) {
  auto v = Evaluate({"num_q", "num_ret", "num_rel", "map", "gm_map", "P.5", "ndcg"});
  EXPECT_EQ(v["num_q/all"], 2);  // q3 has no results: not evaluated without -c
  EXPECT_EQ(v["num_ret/all"], 7);
  EXPECT_EQ(v["num_rel/all"], 3);
  const double ap1 = (1.0 / 3 + 2.0 / 4) / 3;
  EXPECT_NEAR(v["map/all"], ap1 / 2, 1e-12);
  EXPECT_NEAR(v["gm_map/all"], std::sqrt(ap1 * 1e-5), 1e-12);  // q2's 0 floors at 1e-5
  EXPECT_NEAR(v["P_5/all"], 0.2, 1e-12);
  EXPECT_FALSE(v.count("map/q1"));  // no -q
}

TEST(TrecEvalTest, CompleteAveragingCountsQueriesWithoutResults) {
  EvalOptions complete;
  complete.average_complete = true;
  auto v = Evaluate({"num_q", "num_rel", "map"}, complete);
  EXPECT_EQ(v["num_q/all"], 3);
  EXPECT_EQ(v["num_rel/all"], 4);
  EXPECT_NEAR(v["map/all"], (1.0 / 3 + 2.0 / 4) / 3 / 3, 1e-12);
}

TEST(TrecEvalTest, MaxResultsTruncatesAfterRanking) {
  EvalOptions top3;
  top3.max_results = 3;
  top3.per_query = true;
  auto v = Evaluate({"num_ret", "map"}, top3);
  EXPECT_EQ(v["num_ret/q1"], 3);  // d3, dX, d1
  EXPECT_NEAR(v["map/q1"], (1.0 / 3) / 3, 1e-12);
}

TEST(TrecEvalTest, RelevanceLevelRaisesTheBar) {
  EvalOptions level2;
  level2.relevance_level = 2;
  level2.per_query = true;
  auto v = Evaluate({"num_rel", "map", "recip_rank", "bpref", "ndcg"}, level2);
  EXPECT_EQ(v["num_rel/q1"], 1);  // only d2
  EXPECT_NEAR(v["map/q1"], 0.25, 1e-12);
  EXPECT_NEAR(v["recip_rank/q1"], 0.25, 1e-12);
  EXPECT_EQ(v["bpref/q1"], 0);
  // nDCG's gains are the judgment levels whatever -l says.
  EXPECT_NEAR(v["ndcg/q1"], (1 / std::log2(4.0) + 2 / std::log2(5.0)) / kIdealDcg, 1e-12);
}

TEST(TrecEvalTest, InterpolatedPrecisionAtRecall) {
  EvalOptions per_query;
  per_query.per_query = true;
  auto v = Evaluate({"iprec_at_recall"}, per_query);
  // Relevant at rank 3 (1 of 3 relevant, precision 1/3) and rank 4 (2 of 3, precision 1/2).
  // trec_eval 10 turns each level into a count, lround(level * 3): 0.1 -> 0 (the best precision
  // anywhere), 0.2 and 0.4 -> 1, 0.6 and 0.8 -> 2 (reached at rank 4, 1/2), 0.9 and 1.0 -> 3
  // (never reached).
  EXPECT_NEAR(v["iprec_at_recall_0.00/q1"], 0.5, 1e-12);
  EXPECT_NEAR(v["iprec_at_recall_0.10/q1"], 0.5, 1e-12);
  EXPECT_NEAR(v["iprec_at_recall_0.20/q1"], 0.5, 1e-12);  // max precision at or below rank 3
  EXPECT_NEAR(v["iprec_at_recall_0.60/q1"], 0.5, 1e-12);
  EXPECT_NEAR(v["iprec_at_recall_0.80/q1"], 0.5, 1e-12);
  EXPECT_EQ(v["iprec_at_recall_0.90/q1"], 0);
}

TEST(TrecEvalTest, IrMeasuresNames) {
  EvalOptions per_query;
  per_query.per_query = true;
  auto v = Evaluate({"nDCG@3", "RR@2", "RR", "AP", "R@5", "P@5"}, per_query);
  EXPECT_NEAR(v["nDCG@3/q1"], (1 / std::log2(4.0)) / kIdealDcg, 1e-12);
  EXPECT_EQ(v["RR@2/q1"], 0);  // the first relevant document is at rank 3
  EXPECT_NEAR(v["RR/q1"], 1.0 / 3, 1e-12);
  EXPECT_NEAR(v["AP/q1"], (1.0 / 3 + 2.0 / 4) / 3, 1e-12);
  EXPECT_NEAR(v["R@5/q1"], 2.0 / 3, 1e-12);
  EXPECT_NEAR(v["P@5/q1"], 0.4, 1e-12);
}

TEST(TrecEvalTest, OfficialSetInTableOrderAndTrecEvalLineFormat) {
  Qrels qrels = *ParseQrels(kQrels, "qrels");
  TrecRun run = *ParseTrecRun(kRun, "run");
  std::vector<EvalLine> lines = *EvaluateRun(qrels, run, *ParseMeasures({}), EvalOptions());
  std::vector<std::string> names;
  for (const EvalLine& line : lines) names.push_back(line.measure);
  EXPECT_THAT(
      std::vector<std::string>(names.begin(), names.begin() + 11),
      ::testing::ElementsAre("runid", "num_q", "num_ret", "num_rel", "num_rel_ret", "map", "gm_map",
                             "Rprec", "bpref", "recip_rank", "iprec_at_recall_0.00"));
  EXPECT_EQ(names.back(), "P_1000");
  EXPECT_EQ(FormatEvalLine(lines[0]), "runid                 \tall\ttag");
  EXPECT_EQ(FormatEvalLine(lines[2]), "num_ret               \tall\t7");
  EXPECT_EQ(FormatEvalLine(lines[5]), "map                   \tall\t0.1389");
}

TEST(TrecEvalTest, BadMeasuresAreRejectedWithTheKnownOnes) {
  absl::Status s = ParseMeasures({"mapp"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              ::testing::StartsWith("unknown measure 'mapp'; trec_eval measures: runid"));
  // trec_eval reads cut-offs with atol: "x" is 0, which is not a cut-off.
  EXPECT_EQ(ParseMeasures({"P.x"}).status().message(), "measure 'P.x': cut-offs must be positive");
  EXPECT_EQ(ParseMeasures({"P.5,5"}).status().message(), "measure 'P.5,5': duplicate cut-offs");
  // Values that printed -1023 or nan with exit 0.
  EXPECT_EQ(ParseMeasures({"rbp.p=2"}).status().message(),
            "measure 'rbp.p=2': expected the persistence p between 0 and 1, found 2");
  EXPECT_EQ(ParseMeasures({"rbp_resid.p=0"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseMeasures({"rbp.p=nan"}).status().message(),
            "measure 'rbp.p=nan': expected a finite number in 'p=nan'");
  EXPECT_EQ(ParseMeasures({"ndcg.1=inf"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseMeasures({"set_F.nan"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ParseMeasures({"rbp.p=0.5"}).ok());
  EXPECT_EQ(ParseMeasures({"map.5"}).status().message(),
            "measure 'map.5': map takes no parameters");
  EXPECT_EQ(ParseMeasures({"P."}).status().message(),
            "measure 'P.': expected parameters after the '.'");
  EXPECT_EQ(ParseMeasures({"utility.1,2"}).status().message(),
            "measure 'utility.1,2': utility takes 4 coefficients, found 2");
  EXPECT_EQ(ParseMeasures({"ndcg.1=3,2"}).status().message(),
            "measure 'ndcg.1=3,2': expected level=gain pairs such as 1=3,2=9, found '2'");
  EXPECT_THAT(std::string(ParseMeasures({"nDCG@0"}).status().message()),
              ::testing::StartsWith("unknown measure 'nDCG@0'"));
}

TEST(TrecEvalTest, NoJudgedQueryIsAnError) {
  Qrels qrels = *ParseQrels("x 0 d 1\n", "qrels");
  TrecRun run = *ParseTrecRun(kRun, "run");
  EXPECT_EQ(EvaluateRun(qrels, run, *ParseMeasures({"map"}), EvalOptions()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trawl
