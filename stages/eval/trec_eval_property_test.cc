// Random qrels and runs (graded and negative judgments, tied scores, unjudged documents, queries
// with no relevant or no retrieved documents) checked against what can be derived by hand for
// every query: counts recomputed here independently, and identities between measures.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "stages/eval/trec_eval.h"

namespace trawl {
namespace {

struct Case {
  Qrels qrels;
  TrecRun run;
};

Case RandomCase(std::mt19937& rng) {
  Case c;
  c.run.tag = "random";
  std::uniform_int_distribution<int> queries(1, 5), docs(0, 25), judgment(-1, 3), coin(0, 3);
  const int num_queries = queries(rng);
  for (int q = 0; q < num_queries; ++q) {
    const std::string qid = absl::StrCat("q", q);
    const int pool = docs(rng) + 1;
    // Judge some documents of a pool; leave others unjudged.
    for (int d = 0; d < pool; ++d) {
      if (coin(rng) == 0) continue;
      c.qrels.by_query[qid][absl::StrCat("d", d)] = judgment(rng);
    }
    if (c.qrels.by_query[qid].empty()) c.qrels.by_query[qid]["d0"] = 0;
    if (q == 0 || coin(rng) != 0) {  // some judged queries retrieve nothing
      const int retrieved = docs(rng) + 1;
      std::vector<int> ids(pool + 5);
      for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int>(i);
      std::shuffle(ids.begin(), ids.end(), rng);
      for (int r = 0; r < std::min<int>(retrieved, ids.size()); ++r) {
        // Few distinct scores, so ties are common.
        c.run.by_query[qid].push_back(
            RunDoc{absl::StrCat("d", ids[r]), static_cast<double>(coin(rng))});
      }
    }
  }
  c.run.by_query["unjudged_query"].push_back(RunDoc{"x", 1.0});  // never evaluated
  return c;
}

// The query's judgments in trec_eval's ranking order (score descending, id descending), computed
// here without the evaluator: the judgment, or -1 when not in the qrels.
std::vector<int> RankedJudgments(const Case& c, const std::string& qid) {
  std::vector<RunDoc> docs = c.run.by_query.at(qid);
  std::sort(docs.begin(), docs.end(), [](const RunDoc& a, const RunDoc& b) {
    return a.score != b.score ? a.score > b.score : a.docno > b.docno;
  });
  std::vector<int> rels;
  for (const RunDoc& d : docs) {
    auto it = c.qrels.by_query.at(qid).find(d.docno);
    rels.push_back(it == c.qrels.by_query.at(qid).end() ? -1 : it->second);
  }
  return rels;
}

TEST(TrecEvalPropertyTest, InvariantsHoldOnRandomRuns) {
  std::mt19937 rng(20261127);
  const std::vector<MeasureSpec> measures = *ParseMeasures({"all_trec"});
  EvalOptions options;
  options.per_query = true;
  for (int trial = 0; trial < 300; ++trial) {
    SCOPED_TRACE(absl::StrCat("trial ", trial));
    const Case c = RandomCase(rng);
    absl::StatusOr<std::vector<EvalLine>> lines = EvaluateRun(c.qrels, c.run, measures, options);
    ASSERT_TRUE(lines.ok()) << lines.status();
    std::map<std::string, std::map<std::string, double>> v;  // query -> measure -> value
    for (const EvalLine& line : *lines) v[line.query][line.measure] = line.value;

    double map_sum = 0, num_ret_sum = 0;
    int evaluated = 0;
    for (const auto& [qid, judgments] : c.qrels.by_query) {
      if (!c.run.by_query.count(qid)) continue;
      ++evaluated;
      const std::vector<int> rels = RankedJudgments(c, qid);
      std::map<std::string, double>& m = v[qid];
      int64_t num_rel = 0;
      for (const auto& [doc, rel] : judgments) num_rel += rel >= 1;
      const int64_t num_ret = rels.size();
      int64_t rel_ret = 0, judged_nonrel_ret = 0, first_relevant = 0;
      for (int64_t i = 0; i < num_ret; ++i) {
        if (rels[i] >= 1) {
          ++rel_ret;
          if (first_relevant == 0) first_relevant = i + 1;
        }
        judged_nonrel_ret += rels[i] == 0;
      }
      EXPECT_EQ(m["num_ret"], num_ret);
      EXPECT_EQ(m["num_rel"], num_rel);
      EXPECT_EQ(m["num_rel_ret"], rel_ret);
      EXPECT_EQ(m["num_nonrel_judged_ret"], judged_nonrel_ret);
      EXPECT_DOUBLE_EQ(m["recip_rank"], first_relevant ? 1.0 / first_relevant : 0.0);
      EXPECT_DOUBLE_EQ(m["set_recall"], num_rel ? 1.0 * rel_ret / num_rel : 0.0);
      EXPECT_DOUBLE_EQ(m["set_P"], num_ret ? 1.0 * rel_ret / num_ret : 0.0);
      for (int k : {5, 10, 15, 20, 30, 100}) {
        int64_t top = 0, unjudged = 0;
        for (int64_t i = 0; i < std::min<int64_t>(k, num_ret); ++i) {
          top += rels[i] >= 1;
          unjudged += rels[i] < 0;
        }
        EXPECT_NEAR(m[absl::StrCat("P_", k)] * k, top, 1e-9) << qid << " P_" << k;
        EXPECT_LE(m[absl::StrCat("recall_", k)], m["set_recall"] + 1e-12);
        if (k == 5 || k == 10 || k == 20) {
          EXPECT_NEAR(m[absl::StrCat("unj_", k)] * k, unjudged, 1e-9) << qid << " unj_" << k;
        }
      }
      EXPECT_EQ(m["success_10"], m["P_10"] > 0 ? 1.0 : 0.0);
      const int64_t r = std::min(num_ret, num_rel);
      int64_t rel_in_r = 0;
      for (int64_t i = 0; i < r; ++i) rel_in_r += rels[i] >= 1;
      EXPECT_DOUBLE_EQ(m["Rprec"], num_rel && r ? 1.0 * rel_in_r / num_rel : 0.0);
      for (const char* bounded : {"map", "bpref", "ndcg", "ndcg_cut_10", "infAP", "Rndcg",
                                  "ndcg_rel", "set_F", "binG", "G", "rbp", "11pt_avg"}) {
        EXPECT_GE(m[bounded], 0) << qid << " " << bounded;
        EXPECT_LE(m[bounded], 1 + 1e-12) << qid << " " << bounded;
      }
      EXPECT_LE(m["map"], m["iprec_at_recall_0.00"] + 1e-12);  // AP never beats the best precision
      if (judged_nonrel_ret + rel_ret == num_ret) {
        EXPECT_NEAR(m["infAP"], m["map"], 1e-4) << qid << ": everything retrieved is judged";
      }
      map_sum += m["map"];
      num_ret_sum += num_ret;
    }
    ASSERT_GT(evaluated, 0);
    // Means for mean measures, sums for counts.
    EXPECT_NEAR(v["all"]["map"], map_sum / evaluated, 1e-12);
    EXPECT_EQ(v["all"]["num_ret"], num_ret_sum);
    EXPECT_EQ(v["all"]["num_q"], evaluated);
  }
}

}  // namespace
}  // namespace trawl
