#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pipelines/stage_test_runner.h"
#include "pipelines/values.h"
#include "pipelines/values/sparse_matrix.h"

namespace trawl {
namespace {

// One row per entry of `rows`, each a list of (term, weight).
SparseMatrix Sparse(const std::vector<std::string>& vocabulary,
                    const std::vector<std::vector<std::pair<int, float>>>& rows) {
  SparseMatrix m;
  m.vocabulary = std::make_shared<std::vector<std::string>>(vocabulary);
  for (const auto& row : rows) {
    for (auto [term, weight] : row) {
      m.terms.push_back(term);
      m.weights.push_back(weight);
    }
    m.row_offsets.push_back(static_cast<int64_t>(m.terms.size()));
    ++m.rows;
  }
  return m;
}

DenseMatrix Project(const SparseMatrix& sparse, int dim) {
  auto runner = StageTestRunner::Create(
      "type: \"random_projection\" options { "
      "[type.googleapis.com/trawl.transform.RandomProjectionOptions] { dim: " +
      std::to_string(dim) + " seed: 7 } }");
  EXPECT_TRUE(runner.ok()) << runner.status();
  runner->SetInput("vectors", sparse);
  EXPECT_TRUE(runner->Run().ok());
  return *runner->Output<DenseMatrix>("vectors");
}

double Dot(const DenseMatrix& m, int64_t a, const DenseMatrix& n, int64_t b) {
  double sum = 0;
  for (int64_t j = 0; j < m.dim; ++j) sum += double{m.row(a)[j]} * n.row(b)[j];
  return sum;
}

TEST(RandomProjectionStageTest, TermsAgreeAcrossVocabulariesAndProjectLinearly) {
  // The same terms in another order: the same directions.
  const DenseMatrix docs =
      Project(Sparse({"oil", "sea"}, {{{0, 1}}, {{1, 1}}, {{0, 2}, {1, 1}}}), 100);
  const DenseMatrix query = Project(Sparse({"sea", "oil"}, {{{1, 1}}}), 100);
  for (int j = 0; j < 100; ++j) {
    EXPECT_EQ(query.row(0)[j], docs.row(0)[j]);                     // "oil" either way
    EXPECT_EQ(std::abs(docs.row(0)[j]), 1.0f / std::sqrt(100.0f));  // +-1/sqrt(dim)
    EXPECT_FLOAT_EQ(docs.row(2)[j], 2 * docs.row(0)[j] + docs.row(1)[j]);
  }
  EXPECT_NEAR(Dot(docs, 0, docs, 0), 1.0, 1e-6);  // unit directions
}

TEST(RandomProjectionStageTest, InnerProductsAreKeptApproximately) {
  // 200 random terms; two vectors sharing half of them: <x, y> = 50. With dim 4096 the projected
  // inner product's deviation has standard deviation |x||y| / sqrt(4096) = 100 / 64.
  std::vector<std::string> vocabulary;
  for (int t = 0; t < 200; ++t) vocabulary.push_back("t" + std::to_string(t));
  std::vector<std::pair<int, float>> x, y;
  for (int t = 0; t < 100; ++t) x.emplace_back(t, 1.0f);
  for (int t = 50; t < 150; ++t) y.emplace_back(t, 1.0f);
  const DenseMatrix p = Project(Sparse(vocabulary, {x, y}), 4096);
  EXPECT_NEAR(Dot(p, 0, p, 1), 50.0, 5 * 100.0 / 64);
  EXPECT_NEAR(Dot(p, 0, p, 0), 100.0, 5 * 100.0 / 64);
}

}  // namespace
}  // namespace trawl
