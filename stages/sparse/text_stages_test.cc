// bm25_vectors and rm3 end to end through the sparse index, against scores derived by hand.
#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pipelines/stage_test_runner.h"
#include "pipelines/values.h"
#include "pipelines/values/sparse_matrix.h"
#include "stages/formats/texts.h"
#include "stages/sparse/inverted_index.h"

namespace trawl {
namespace {

TextCollection Texts(const std::vector<std::string>& ids, const std::vector<std::string>& texts) {
  TextCollection collection;
  collection.texts = texts;
  collection.ids = IdTable::Of(ids);
  return collection;
}

SparseMatrix Vectors(const TextCollection& texts, const std::string& side) {
  auto runner = StageTestRunner::Create(
      "type: \"bm25_vectors\" options { [type.googleapis.com/trawl.sparse.Bm25VectorsOptions] { "
      "side: " +
      side + " } }");
  EXPECT_TRUE(runner.ok()) << runner.status();
  runner->SetInput("texts", texts);
  const absl::Status status = runner->Run();
  EXPECT_TRUE(status.ok()) << status;
  return *runner->Output<SparseMatrix>("vectors");
}

RankedLists Search(const SparseMatrix& docs, const SparseMatrix& queries, int k) {
  auto build = StageTestRunner::Create("type: \"sparse_index_build\"");
  build->SetInput("corpus", docs);
  absl::Status status = build->Run();
  EXPECT_TRUE(status.ok()) << status;
  auto search = StageTestRunner::Create(
      "type: \"sparse_search\" options { [type.googleapis.com/trawl.sparse.SparseSearchOptions] "
      "{ k: " +
      std::to_string(k) + " } }");
  search->SetInput("index", std::move(*build->Output<SparseIndex>("index")));
  search->SetInput("queries", queries);
  status = search->Run();
  EXPECT_TRUE(status.ok()) << status;
  return *search->Output<RankedLists>("results");
}

// Lucene 8+'s BM25 of one term, idf * tf / (tf + k1 * (1 - b + b * dl / avgdl)), k1 0.9, b 0.4.
double Bm25(double df, double tf, double dl) {
  const double n = 3, avgdl = 3;
  return std::log(1 + (n - df + 0.5) / (df + 0.5)) * tf / (tf + 0.9 * (0.6 + 0.4 * dl / avgdl));
}

TEST(TextStagesTest, Bm25ThreeDocuments) {
  // After analysis: d1 [oil, sea], d2 [oil, oil, gull], d3 [sea, gull, gull, wave]. "The" and
  // "and" are stop words; "Gulls" stems to "gull".
  const TextCollection docs =
      Texts({"d1", "d2", "d3"}, {"Oil and sea", "oil, OIL; gull", "The sea, gulls, gull, wave"});
  const TextCollection topics = Texts({"q1", "q2"}, {"oil gulls", "whale"});
  const RankedLists results =
      Search(Vectors(docs, "DOCUMENTS"), Vectors(topics, "QUERIES"), /*k=*/3);
  ASSERT_EQ(results.num_queries, 2);
  // q1 = oil (df 2) + gull (df 2).
  const double d1 = Bm25(2, 1, 2);
  const double d2 = Bm25(2, 2, 3) + Bm25(2, 1, 3);
  const double d3 = Bm25(2, 2, 4);
  EXPECT_EQ(results.doc_id(results.doc_rows[0]), "d2");
  EXPECT_EQ(results.doc_id(results.doc_rows[1]), "d3");
  EXPECT_EQ(results.doc_id(results.doc_rows[2]), "d1");
  EXPECT_NEAR(results.scores[0], d2, 1e-6 * d2);
  EXPECT_NEAR(results.scores[1], d3, 1e-6 * d3);
  EXPECT_NEAR(results.scores[2], d1, 1e-6 * d1);
  // q2 matches nothing.
  EXPECT_EQ(results.doc_rows[3], -1);
}

TEST(TextStagesTest, QueryTermsCountAsOftenAsTheyOccur) {
  const SparseMatrix q = Vectors(Texts({"q"}, {"oil oil sea"}), "QUERIES");
  ASSERT_EQ(q.rows, 1);
  ASSERT_EQ(q.nonzeros(), 2);
  EXPECT_TRUE(q.integer_weights);
  EXPECT_EQ((*q.vocabulary)[q.terms[0]], "oil");
  EXPECT_EQ(q.weights[0], 2);
  EXPECT_EQ(q.weights[1], 1);
}

TEST(TextStagesTest, OptionErrors) {
  EXPECT_EQ(StageTestRunner::Create("type: \"bm25_vectors\" options { "
                                    "[type.googleapis.com/trawl.sparse.Bm25VectorsOptions] { b: 2 "
                                    "} }")
                .status()
                .message(),
            "b must be within [0, 1], got 2");
  EXPECT_EQ(StageTestRunner::Create("type: \"rm3\" options { "
                                    "[type.googleapis.com/trawl.sparse.Rm3Options] { fb_docs: 0 "
                                    "} }")
                .status()
                .message(),
            "fb_docs must be >= 1, got 0");
}

// RM3 worked by hand (Anserini's Rm3Reranker): two feedback documents with counts, scores 2 and
// 1, fb_terms 2, original_query_weight 0.5, no term filter.
TEST(TextStagesTest, Rm3AsAnserini) {
  SparseMatrix counts;
  counts.vocabulary = std::make_shared<std::vector<std::string>>(
      std::vector<std::string>{"ant", "bee", "cat", "dog"});
  counts.rows = 2;
  // doc 0: ant 3, bee 1, cat 1 -> pruned to {ant 3, bee 1} (bee < cat on the tie), L1 4.
  // doc 1: cat 2, dog 2        -> {cat 2, dog 2}, L1 4.
  counts.row_offsets = {0, 3, 5};
  counts.terms = {0, 1, 2, 2, 3};
  counts.weights = {3, 1, 1, 2, 2};
  counts.ids = IdTable::Of({"a", "b"});
  SparseMatrix query;
  query.vocabulary =
      std::make_shared<std::vector<std::string>>(std::vector<std::string>{"ant", "eel"});
  query.rows = 1;
  query.row_offsets = {0, 2};
  query.terms = {0, 1};
  query.weights = {1, 3};  // "ant eel eel eel": ant 0.25, eel 0.75
  RankedLists first;
  first.num_queries = 1;
  first.k = 2;
  first.doc_rows = {0, 1};
  first.scores = {2, 1};
  first.doc_ids = counts.ids;

  auto rm3 = StageTestRunner::Create(
      "type: \"rm3\" options { [type.googleapis.com/trawl.sparse.Rm3Options] { fb_terms: 2 "
      "no_term_filter: true } }");
  ASSERT_TRUE(rm3.ok()) << rm3.status();
  rm3->SetInput("queries", query);
  rm3->SetInput("results", first);
  rm3->SetInput("term_counts", counts);
  ASSERT_TRUE(rm3->Run().ok());
  const SparseMatrix& expanded = *rm3->Output<SparseMatrix>("vectors");
  // Model: ant 3/4*2 = 1.5, bee 1/4*2 = 0.5, cat 2/4*1 = 0.5, dog 0.5 -> top 2: ant 1.5, bee 0.5
  // (bee first of the 0.5 ties) -> L1: ant 0.75, bee 0.25.
  // Expanded: ant 0.5*0.25 + 0.5*0.75 = 0.5, bee 0.125, eel 0.375.
  ASSERT_EQ(expanded.rows, 1);
  std::vector<std::pair<std::string, float>> got;
  for (int64_t e = 0; e < expanded.nonzeros(); ++e) {
    got.emplace_back((*expanded.vocabulary)[expanded.terms[e]], expanded.weights[e]);
  }
  const std::vector<std::pair<std::string, float>> want = {
      {"ant", 0.5f}, {"bee", 0.125f}, {"eel", 0.375f}};
  EXPECT_EQ(got, want);
}

// Anserini's default feedback-term filter: 2 to 20 characters of [a-z0-9], in at most 10% of the
// documents that have terms.
TEST(TextStagesTest, Rm3FiltersFeedbackTermsAsAnserini) {
  SparseMatrix counts;
  counts.vocabulary = std::make_shared<std::vector<std::string>>(
      std::vector<std::string>{"ab", "q", "caf\xc3\xa9", "common", "rare", "filler"});
  // Document 0, the only feedback document: ab 2, q 5 (too short), café 4 (not [a-z0-9]),
  // common 3 (in 3 of 20 documents: 15%), rare 1. Documents 1-2 hold "common", 3-19 "filler".
  counts.terms = {0, 1, 2, 3, 4};
  counts.weights = {2, 5, 4, 3, 1};
  counts.row_offsets = {0, 5};
  for (int d = 1; d < 20; ++d) {
    counts.terms.push_back(d < 3 ? 3 : 5);
    counts.weights.push_back(1);
    counts.row_offsets.push_back(static_cast<int64_t>(counts.terms.size()));
  }
  counts.rows = 20;
  SparseMatrix query;
  query.vocabulary = std::make_shared<std::vector<std::string>>(std::vector<std::string>{"zz"});
  query.rows = 1;
  query.row_offsets = {0, 1};
  query.terms = {0};
  query.weights = {1};
  RankedLists first;
  first.num_queries = 1;
  first.k = 1;
  first.doc_rows = {0};
  first.scores = {1};
  auto rm3 = StageTestRunner::Create("type: \"rm3\"");
  ASSERT_TRUE(rm3.ok()) << rm3.status();
  rm3->SetInput("queries", query);
  rm3->SetInput("results", first);
  rm3->SetInput("term_counts", counts);
  ASSERT_TRUE(rm3->Run().ok());
  const SparseMatrix& expanded = *rm3->Output<SparseMatrix>("vectors");
  // Kept: ab 2, rare 1 -> model ab 2/3, rare 1/3; with the query (zz 1) at weight 0.5 each.
  std::vector<std::pair<std::string, float>> got;
  for (int64_t e = 0; e < expanded.nonzeros(); ++e) {
    got.emplace_back((*expanded.vocabulary)[expanded.terms[e]], expanded.weights[e]);
  }
  ASSERT_EQ(got.size(), 3);
  EXPECT_EQ(got[0].first, "ab");
  EXPECT_FLOAT_EQ(got[0].second, 1.0f / 3);
  EXPECT_EQ(got[1].first, "rare");
  EXPECT_FLOAT_EQ(got[1].second, 1.0f / 6);
  EXPECT_EQ(got[2].first, "zz");
  EXPECT_FLOAT_EQ(got[2].second, 0.5f);
}

}  // namespace
}  // namespace trawl
