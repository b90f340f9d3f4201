// The inverted index against a brute-force reference computed here (every document's dot product
// with every query, in int64 or double): EXACT and MAXSCORE return exactly its top k, ties to the
// smaller row; index files round-trip and corrupt ones are refused.
#include "stages/sparse/inverted_index.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stages/formats/sparse_vectors.h"

namespace trawl {
namespace {

// Zipf-like term frequencies over `vocabulary` terms; integer weights 1..20 or floats.
SparseMatrix Random(int64_t rows, int vocabulary, int terms_per_row, bool integer, uint32_t seed,
                    const std::string& prefix = "t") {
  std::mt19937 rng(seed);
  SparseMatrix m;
  auto vocab = std::make_shared<std::vector<std::string>>();
  for (int t = 0; t < vocabulary; ++t) vocab->push_back(absl::StrCat(prefix, t));
  m.vocabulary = vocab;
  m.integer_weights = integer;
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<int32_t> terms;
    for (int i = 0; i < terms_per_row; ++i) {
      const double u = (rng() + 0.5) / 4294967296.0;
      terms.push_back(static_cast<int32_t>(std::pow(vocabulary, u)) - 1);  // skewed to small ids
    }
    std::sort(terms.begin(), terms.end());
    terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
    for (int32_t t : terms) {
      m.terms.push_back(t);
      m.weights.push_back(integer ? static_cast<float>(1 + rng() % 20)
                                  : static_cast<float>((rng() % 100000) / 1000.0 + 0.001));
    }
    m.row_offsets.push_back(static_cast<int64_t>(m.terms.size()));
    ++m.rows;
  }
  return m;
}

// The reference: every document scored, sorted by score then row.
std::vector<std::pair<double, int64_t>> BruteForce(const SparseMatrix& docs,
                                                   const SparseMatrix& queries, int64_t q,
                                                   int64_t k) {
  std::vector<std::pair<double, int64_t>> scored;
  for (int64_t d = 0; d < docs.rows; ++d) {
    long double score = 0;
    bool matched = false;
    for (int64_t i = queries.row_offsets[q]; i < queries.row_offsets[q + 1]; ++i) {
      const std::string& term = (*queries.vocabulary)[queries.terms[i]];
      for (int64_t j = docs.row_offsets[d]; j < docs.row_offsets[d + 1]; ++j) {
        if ((*docs.vocabulary)[docs.terms[j]] == term) {
          score += static_cast<long double>(queries.weights[i]) * docs.weights[j];
          matched = true;
        }
      }
    }
    if (matched) scored.emplace_back(static_cast<double>(score), d);
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  if (static_cast<int64_t>(scored.size()) > k) scored.resize(k);
  return scored;
}

class InvertedIndexTest : public ::testing::TestWithParam<bool> {};

TEST_P(InvertedIndexTest, ExactAndMaxScoreEqualBruteForce) {
  const bool integer = GetParam();
  // 3000 documents: lists of up to a few thousand postings, many blocks, many score ties (integer).
  const SparseMatrix docs = Random(3000, 400, 30, integer, 7);
  const SparseMatrix queries = Random(40, 450, 12, integer, 8);  // some terms not in the index
  const SparseIndex index = SparseIndex::Build(docs);
  const int64_t k = 25;
  const RankedLists exact = index.Search(queries, k, SparseSearchMode::kExact, 3);
  const RankedLists maxscore = index.Search(queries, k, SparseSearchMode::kMaxScore, 2);
  EXPECT_EQ(exact.doc_rows, maxscore.doc_rows);
  EXPECT_EQ(exact.scores, maxscore.scores);
  for (int64_t q = 0; q < queries.rows; ++q) {
    const auto reference = BruteForce(docs, queries, q, k);
    for (int64_t j = 0; j < k; ++j) {
      SCOPED_TRACE(absl::StrCat("query ", q, " rank ", j));
      if (j < static_cast<int64_t>(reference.size())) {
        EXPECT_EQ(exact.doc_rows[q * k + j], reference[j].second);
        EXPECT_FLOAT_EQ(exact.scores[q * k + j], static_cast<float>(reference[j].first));
      } else {
        EXPECT_EQ(exact.doc_rows[q * k + j], -1);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Weights, InvertedIndexTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Integer" : "Float"; });

TEST(InvertedIndexTest, QueriesFromTextAgainstDocumentsFromText) {
  const SparseMatrix docs = *ParseSparseVectors(
      "{\"id\": \"a\", \"vector\": {\"cat\": 3, \"##s\": 1}}\n"
      "{\"id\": \"b\", \"vector\": {\"dog\": 2, \"cat\": 1}}\n"
      "{\"id\": \"c\", \"vector\": {}}\n"
      "{\"id\": \"d\", \"vector\": {\"naïve\": 5}}\n",
      "docs.jsonl", {});
  const SparseMatrix queries = *ParseSparseVectors("q1\tcat cat dog\nq2\tnaïve\nq3\tunknown\n",
                                                   "q.tsv", {SparseFormat::kTsvQueries});
  const SparseIndex index = SparseIndex::Build(docs);
  for (SparseSearchMode mode : {SparseSearchMode::kExact, SparseSearchMode::kMaxScore}) {
    const RankedLists r = index.Search(queries, 3, mode, 1);
    // q1 = {cat: 2, dog: 1}: a = 2*3 = 6, b = 2*1 + 1*2 = 4. q2: d = 5. q3: nothing.
    EXPECT_THAT(r.doc_rows, ::testing::ElementsAre(0, 1, -1, 3, -1, -1, -1, -1, -1));
    EXPECT_EQ(r.scores[0], 6);
    EXPECT_EQ(r.scores[1], 4);
    EXPECT_EQ(r.scores[3], 5);
    EXPECT_EQ(r.doc_id(r.doc_rows[3]), "d");
    EXPECT_EQ(r.query_id(1), "q2");
  }
}

TEST(InvertedIndexTest, FilesRoundTripAndCorruptionIsRefused) {
  const SparseMatrix docs = Random(500, 100, 20, true, 3);
  docs.ids.empty();
  const SparseIndex index = SparseIndex::Build(docs);
  const std::string path = ::testing::TempDir() + "/sparse.idx";
  ASSERT_TRUE(index.Write(path).ok());
  absl::StatusOr<SparseIndex> read = SparseIndex::Read(path);
  ASSERT_TRUE(read.ok()) << read.status();
  const SparseMatrix queries = Random(10, 100, 5, true, 4);
  EXPECT_EQ(read->Search(queries, 10, SparseSearchMode::kMaxScore, 1).doc_rows,
            index.Search(queries, 10, SparseSearchMode::kExact, 1).doc_rows);

  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 1;
  EXPECT_THAT(std::string(SparseIndex::Parse(flipped, "s.idx").status().message()),
              ::testing::StartsWith("s.idx: checksum mismatch"));
  EXPECT_EQ(SparseIndex::Parse(bytes.substr(0, 50), "s.idx").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(
      SparseIndex::Parse("not an index at all, not at all, not at all, not at all, ok?", "s.idx")
          .status()
          .message(),
      "s.idx: not a Trawl sparse index (expected the magic \"TRAWLSPX\")");
}

}  // namespace
}  // namespace trawl
