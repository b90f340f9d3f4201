// Exact k-nearest-neighbour search by brute force on the CPU, independent of FAISS: the reference
// that ANN results and FAISS's own Flat indexes are measured against.
//
// Distances are computed directly (sum of squared differences, or dot products) in float64 rather
// than by FAISS's norm expansion, so they carry no cancellation error: the results are the
// float64 top k of the float32 data, ranked by the float64 scores (reported rounded to float).
// Ties between equal float64 scores are broken by the smaller id. Cosine is the inner product of
// the rows normalised in float32 (PrepareForMetric), as every dense stage defines it.
// Work is split over threads by query; the result does not depend on the thread count.
#ifndef TRAWL_STAGES_DENSE_EXACT_KNN_H_
#define TRAWL_STAGES_DENSE_EXACT_KNN_H_

#include <functional>

#include "absl/status/statusor.h"
#include "pipelines/values.h"
#include "stages/dense/dense_metric.pb.h"

namespace trawl {

// The top min(k, corpus.rows) corpus rows for every query, best first, as RankedLists naming the
// corpus's and the queries' ids, with higher-is-better scores (results beyond the corpus size are
// row -1).
// InvalidArgument when dimensions differ or k < 1. `threads` 0 means all hardware threads.
// `progress` (optional) is called from the calling thread about 5 times a second with the number
// of queries done.
absl::StatusOr<RankedLists> ExactKnn(const DenseMatrix& corpus, const DenseMatrix& queries,
                                     int64_t k, dense::Metric metric, int threads = 0,
                                     const std::function<void(int64_t)>& progress = nullptr);

}  // namespace trawl

#endif  // TRAWL_STAGES_DENSE_EXACT_KNN_H_
