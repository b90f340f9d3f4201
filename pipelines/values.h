// The common slot values: dense matrices, ranked result lists and metrics.
//
// Layout, stated once for the whole project (as FAISS's Index.h does): a matrix of n vectors of
// dimension d is row-major, component j of vector i at data[i * d + j]. Ranked lists are row-major
// num_queries x k, result j of query i at [i * k + j].
#ifndef TRAWL_PIPELINES_VALUES_H_
#define TRAWL_PIPELINES_VALUES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pipelines/slot.h"

namespace trawl {

// n x d float32 vectors with their external ids (ids[i] names row i; empty means ids 0..n-1).
struct DenseMatrix {
  int64_t rows = 0;
  int64_t dim = 0;
  std::vector<float> data;  // rows * dim
  std::vector<int64_t> ids;  // rows, or empty

  const float* row(int64_t i) const { return data.data() + i * dim; }
  int64_t id(int64_t i) const { return ids.empty() ? i : ids[i]; }
  int64_t bytes() const { return static_cast<int64_t>(data.size() * sizeof(float)); }
};

// The top-k results of each query, best first.
//
// Scores are "higher is better" everywhere in Trawl, so fusion and evaluation need not know the
// metric: inner-product and cosine scores are the similarity, L2 scores are the negated squared
// distance. Missing results (fewer than k candidates) have id -1 and score -infinity, always after
// the real ones.
struct RankedLists {
  int64_t num_queries = 0;
  int64_t k = 0;
  std::vector<int64_t> ids;  // num_queries * k
  std::vector<float> scores;  // num_queries * k
  std::vector<int64_t> query_ids;  // num_queries, or empty for 0..num_queries-1

  int64_t query_id(int64_t i) const { return query_ids.empty() ? i : query_ids[i]; }
};

// Named aggregate measures, in the order the stage produced them ("recall@10", 0.998).
struct Metrics {
  std::vector<std::pair<std::string, double>> values;
};

template <>
struct SlotTraits<DenseMatrix> {
  static constexpr SlotType kType = SlotType::kDenseMatrix;
};
template <>
struct SlotTraits<RankedLists> {
  static constexpr SlotType kType = SlotType::kRankedLists;
};
template <>
struct SlotTraits<Metrics> {
  static constexpr SlotType kType = SlotType::kMetrics;
};

}  // namespace trawl

#endif  // TRAWL_PIPELINES_VALUES_H_
