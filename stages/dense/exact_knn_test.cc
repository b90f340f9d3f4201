#include "stages/dense/exact_knn.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace trawl {
namespace {

DenseMatrix Matrix(int64_t dim, std::vector<float> data, std::vector<std::string> ids = {}) {
  DenseMatrix m;
  m.dim = dim;
  m.rows = static_cast<int64_t>(data.size()) / dim;
  m.data = std::move(data);
  if (!ids.empty()) m.ids = IdTable::Of(ids);
  return m;
}

// The external ids of each result, "" for missing ones.
std::vector<std::string> DocIds(const RankedLists& lists) {
  std::vector<std::string> ids;
  for (int64_t row : lists.doc_rows) ids.push_back(lists.doc_id(row));
  return ids;
}

TEST(ExactKnnTest, L2HandComputed) {
  // Points on a line at 0, 1, 3, 7 (ids MED-100..103); query at 2.5.
  DenseMatrix corpus = Matrix(1, {0, 1, 3, 7}, {"MED-100", "MED-101", "MED-102", "MED-103"});
  RankedLists r = *ExactKnn(corpus, Matrix(1, {2.5f}, {"Q1"}), 3, dense::L2);
  EXPECT_EQ(r.doc_rows, (std::vector<int64_t>{2, 1, 0}));
  EXPECT_EQ(DocIds(r), (std::vector<std::string>{"MED-102", "MED-101", "MED-100"}));
  EXPECT_EQ(r.query_id(0), "Q1");
  EXPECT_TRUE(r.doc_ids.SameRows(corpus.ids));  // shared, not copied
  EXPECT_EQ(r.scores, (std::vector<float>{-0.25f, -2.25f, -6.25f}));
}

TEST(ExactKnnTest, InnerProductAndCosine) {
  DenseMatrix corpus = Matrix(2, {1, 0, 10, 10, 0, 2});
  DenseMatrix query = Matrix(2, {1, 0});
  RankedLists ip = *ExactKnn(corpus, query, 3, dense::INNER_PRODUCT);
  EXPECT_EQ(ip.doc_rows, (std::vector<int64_t>{1, 0, 2}));  // 10, 1, 0
  EXPECT_EQ(ip.scores, (std::vector<float>{10, 1, 0}));
  RankedLists cosine = *ExactKnn(corpus, query, 3, dense::COSINE);
  EXPECT_EQ(cosine.doc_rows, (std::vector<int64_t>{0, 1, 2}));  // 1, 1/sqrt(2), 0
  EXPECT_FLOAT_EQ(cosine.scores[1], 1 / std::sqrt(2.0f));
}

TEST(ExactKnnTest, TiesGoToTheSmallerRowAndMissingResultsAreFilled) {
  DenseMatrix corpus = Matrix(1, {1, -1, 1}, {"c", "b", "a"});  // all at distance 1 from 0
  RankedLists r = *ExactKnn(corpus, Matrix(1, {0}), 5, dense::L2);
  EXPECT_EQ(r.doc_rows, (std::vector<int64_t>{0, 1, 2, -1, -1}));
  EXPECT_EQ(DocIds(r), (std::vector<std::string>{"c", "b", "a", "", ""}));
  EXPECT_EQ(r.scores[3], -std::numeric_limits<float>::infinity());
}

TEST(ExactKnnTest, ThreadCountDoesNotChangeResults) {
  std::vector<float> data;
  for (int i = 0; i < 3000; ++i) data.push_back(std::sin(i * 0.37f) * 10);
  DenseMatrix corpus = Matrix(3, data);
  DenseMatrix queries = Matrix(3, std::vector<float>(data.begin(), data.begin() + 300));
  RankedLists one = *ExactKnn(corpus, queries, 7, dense::L2, 1);
  RankedLists many = *ExactKnn(corpus, queries, 7, dense::L2, 5);
  EXPECT_EQ(one.doc_rows, many.doc_rows);
  EXPECT_EQ(one.scores, many.scores);
}

TEST(ExactKnnTest, RejectsDimensionMismatchAndBadK) {
  absl::Status s = ExactKnn(Matrix(2, {0, 0}), Matrix(3, {0, 0, 0}), 1, dense::L2).status();
  EXPECT_EQ(s.message(), "corpus has dimension 2, queries have dimension 3");
  EXPECT_EQ(ExactKnn(Matrix(1, {0}), Matrix(1, {0}), 0, dense::L2).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trawl
