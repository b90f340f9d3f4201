// The common slot values: dense matrices, ranked result lists and metrics.
//
// Layout, stated once for the whole project (as FAISS's Index.h does): a matrix of n vectors of
// dimension d is row-major, component j of vector i at data[i * d + j]. Ranked lists are row-major
// num_queries x k, result j of query i at [i * k + j].
//
// Ids: rows are numbered 0..n-1 inside Trawl; an IdTable (pipelines/id_table.h) names them as the
// user's data does, shared by every value derived from the same rows.
#ifndef TRAWL_PIPELINES_VALUES_H_
#define TRAWL_PIPELINES_VALUES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pipelines/id_table.h"
#include "pipelines/slot.h"

namespace trawl {

// n x d float32 vectors with the external ids of their rows.
struct DenseMatrix {
  int64_t rows = 0;
  int64_t dim = 0;
  std::vector<float> data;  // rows * dim
  IdTable ids;              // rows entries, or empty for the row numbers

  const float* row(int64_t i) const { return data.data() + i * dim; }
  int64_t bytes() const { return static_cast<int64_t>(data.size() * sizeof(float)); }
};

// The top-k results of each query, best first.
//
// Scores are "higher is better" everywhere in Trawl, so fusion and evaluation need not know the
// metric: inner-product and cosine scores are the similarity, L2 scores are the negated squared
// distance. Missing results (fewer than k candidates) have row -1 and score -infinity, always after
// the real ones.
struct RankedLists {
  int64_t num_queries = 0;
  int64_t k = 0;
  std::vector<int64_t> doc_rows;  // num_queries * k: rows of the searched collection, or -1
  std::vector<float> scores;      // num_queries * k
  IdTable doc_ids;    // names doc_rows (the searched collection's ids); empty: row numbers
  IdTable query_ids;  // names the queries; empty: row numbers

  // The external id of document row `row` ("" for a missing result, row -1).
  std::string doc_id(int64_t row) const {
    if (row < 0) return "";
    return doc_ids.empty() ? std::to_string(row) : doc_ids.Get(row);
  }
  // The external id of query `i`.
  std::string query_id(int64_t i) const {
    return query_ids.empty() ? std::to_string(i) : query_ids.Get(i);
  }
};

// Named aggregate measures, in the order the stage produced them ("recall@10", 0.998).
struct Metrics {
  std::vector<std::pair<std::string, double>> values;
};

template <>
struct SlotTraits<DenseMatrix> {
  static constexpr char kName[] = "dense_matrix";
};
template <>
struct SlotTraits<RankedLists> {
  static constexpr char kName[] = "ranked_lists";
};
template <>
struct SlotTraits<Metrics> {
  static constexpr char kName[] = "metrics";
};

}  // namespace trawl

#endif  // TRAWL_PIPELINES_VALUES_H_
