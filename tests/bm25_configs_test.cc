// The shipped BM25 configs end to end on the Cranfield collection (tests/testdata/cranfield):
// bm25_cranfield's run against BM25 scores computed here independently, in double, from the
// closed-form formula over the analysed collection; bm25_rm3_cranfield runs and changes the
// ranking; hybrid_bm25_dense evaluates its three runs.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "pipelines/config_loader.h"
#include "pipelines/runner.h"
#include "stages/formats/texts.h"
#include "stages/sparse/bm25.h"
#include "stages/text/analyzer.h"
#include "tests/user_directory.h"

namespace trawl {
namespace {

// The figures README.md and results/2026-11-27-vm-cranfield-bm25.txt publish, to the 4 decimals
// printed (as Anserini's regression files pin theirs): a change that moves one fails here.
void ExpectPublished(const PipelineRun& run, const std::map<std::string, double>& published) {
  for (const auto& [metric, value] : published) {
    EXPECT_NEAR(run.report.metrics().at(metric), value, 5e-5) << metric;
  }
}

class Bm25ConfigsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { UseCloneLikeUserDirectory(); }

  static PipelineRun Run(const std::string& name) { return RunShippedConfig(name); }

  // The run file's "qid -> [(docno, score)]", best first.
  static std::map<std::string, std::vector<std::pair<std::string, double>>> ReadRun(
      const std::string& name) {
    std::ifstream in(::testing::TempDir() + "/" + name);
    std::map<std::string, std::vector<std::pair<std::string, double>>> run;
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> f = absl::StrSplit(line, ' ');
      double score = 0;
      EXPECT_TRUE(absl::SimpleAtod(f[4], &score)) << line;
      run[f[0]].emplace_back(f[2], score);
    }
    return run;
  }
};

TEST_F(Bm25ConfigsTest, CranfieldScoresAsTheFormulaGives) {
  PipelineRun pipeline = Run("bm25_cranfield");
  ExpectPublished(pipeline,
                  {{"eval/map", 0.2796}, {"eval/P_30", 0.1127}, {"eval/ndcg_cut_10", 0.3414}});
  const auto run = ReadRun("bm25_cranfield.run");
  EXPECT_EQ(run.size(), 225);

  // The collection's statistics, from the analysed documents.
  const std::string data =
      std::string(std::getenv("TEST_SRCDIR")) + "/trawl/tests/testdata/cranfield/";
  TextCollection docs = *ReadTexts(data + "docs.jsonl.gz", {TextFormat::kJsonLines});
  TextCollection topics = *ReadTexts(data + "topics.tsv", {TextFormat::kTsv});
  TextAnalyzer analyzer = *TextAnalyzer::Create({});
  std::vector<absl::flat_hash_map<std::string, int>> tf(docs.size());
  std::vector<int> length(docs.size());
  absl::flat_hash_map<std::string, int> df;
  double total = 0, with_terms = 0;
  for (int64_t d = 0; d < docs.size(); ++d) {
    std::vector<std::string> terms;
    analyzer.Analyze(docs.texts[d], &terms);
    for (const std::string& t : terms) {
      if (tf[d][t]++ == 0) ++df[t];
    }
    length[d] = static_cast<int>(terms.size());
    total += terms.size();
    with_terms += !terms.empty();
  }
  const double avgdl = total / with_terms, k1 = 0.9, b = 0.4;
  for (int64_t q = 0; q < 10; ++q) {
    std::vector<std::string> terms;
    analyzer.Analyze(topics.texts[q], &terms);
    absl::flat_hash_map<std::string, int> counts;
    for (const std::string& t : terms) ++counts[t];
    // BM25 of every document: sum over query terms of count * idf * tf / (tf + K), with the
    // document length Lucene stores.
    std::vector<std::pair<double, std::string>> scored;
    for (int64_t d = 0; d < docs.size(); ++d) {
      double score = 0;
      const double dl = NormToLength(LengthToNorm(length[d]));
      for (const auto& [t, c] : counts) {
        auto it = tf[d].find(t);
        if (it == tf[d].end()) continue;
        const double idf = std::log(1 + (with_terms - df[t] + 0.5) / (df[t] + 0.5));
        score += c * idf * it->second / (it->second + k1 * (1 - b + b * dl / avgdl));
      }
      if (score > 0) scored.emplace_back(score, docs.ids.Get(d));
    }
    std::sort(scored.begin(), scored.end(), std::greater<>());
    const auto& ranked = run.at(topics.ids.Get(q));
    ASSERT_EQ(ranked.size(), std::min<size_t>(1000, scored.size()));
    for (size_t i = 0; i < 10; ++i) {
      SCOPED_TRACE(topics.ids.Get(q) + " rank " + std::to_string(i + 1));
      // Scores agree to the run file's 6 decimals; ids where the scores are not tied.
      EXPECT_NEAR(ranked[i].second, scored[i].first, 2e-6);
      const bool tied = (i > 0 && scored[i - 1].first - scored[i].first < 1e-5) ||
                        (i + 1 < scored.size() && scored[i].first - scored[i + 1].first < 1e-5);
      if (!tied) {
        EXPECT_EQ(ranked[i].first, scored[i].second);
      }
    }
  }
}

TEST_F(Bm25ConfigsTest, Rm3ExpandsTheQueries) {
  Run("bm25_cranfield");  // the first pass's run, for comparison
  PipelineRun pipeline = Run("bm25_rm3_cranfield");
  ExpectPublished(pipeline,
                  {{"eval/map", 0.3115}, {"eval/P_30", 0.1231}, {"eval/ndcg_cut_10", 0.3573}});
  const auto bm25 = ReadRun("bm25_cranfield.run");
  const auto rm3 = ReadRun("bm25_rm3_cranfield.run");
  ASSERT_EQ(rm3.size(), 225);
  int changed = 0;
  for (const auto& [qid, ranked] : rm3) changed += ranked != bm25.at(qid);
  EXPECT_GT(changed, 200);  // feedback terms reorder nearly every query's results
}

TEST_F(Bm25ConfigsTest, HybridEvaluatesEveryRun) {
  PipelineRun pipeline = Run("hybrid_bm25_dense");
  // BM25's side is bm25_cranfield's run: the same measures.
  PipelineRun bm25 = Run("bm25_cranfield");
  EXPECT_EQ(pipeline.report.metrics().at("bm25_eval/map"), bm25.report.metrics().at("eval/map"));
  ExpectPublished(pipeline, {{"dense_eval/map", 0.2007}, {"hybrid_eval/map", 0.2635}});
}

}  // namespace
}  // namespace trawl
