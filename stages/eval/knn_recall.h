// Recall of approximate nearest-neighbour results against exact ground truth.
//
// recall@k of one query = |top-k results ∩ top-k true neighbours| / k, averaged over queries
// (ann-benchmarks' "k-nn recall" without its distance tolerance). Missing results (row -1) never
// match. Thread-safe.
#ifndef TRAWL_STAGES_EVAL_KNN_RECALL_H_
#define TRAWL_STAGES_EVAL_KNN_RECALL_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "pipelines/values.h"

namespace trawl {

// Mean recall@k over queries. InvalidArgument when the lists cover different numbers of queries
// or when k exceeds either list's depth.
absl::StatusOr<double> KnnRecall(const RankedLists& results, const RankedLists& truth, int64_t k);

}  // namespace trawl

#endif  // TRAWL_STAGES_EVAL_KNN_RECALL_H_
