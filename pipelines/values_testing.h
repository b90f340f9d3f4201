// Test helpers for slot values. testonly.
#ifndef TRAWL_PIPELINES_VALUES_TESTING_H_
#define TRAWL_PIPELINES_VALUES_TESTING_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "pipelines/values.h"

namespace trawl {

// Ranked lists of depth `k` from row-major document rows (num_queries = rows.size() / k), with
// row numbers as ids; scores default to 0 for every result.
inline RankedLists MakeRankedLists(int64_t k, std::vector<int64_t> rows,
                                   std::vector<float> scores = {}) {
  RankedLists lists;
  lists.k = k;
  lists.num_queries = static_cast<int64_t>(rows.size()) / k;
  lists.doc_rows = std::move(rows);
  lists.scores =
      scores.empty() ? std::vector<float>(lists.doc_rows.size(), 0.0f) : std::move(scores);
  return lists;
}

}  // namespace trawl

#endif  // TRAWL_PIPELINES_VALUES_TESTING_H_
