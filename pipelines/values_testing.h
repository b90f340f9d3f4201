// Test helpers for slot values. testonly.
#ifndef TRAWL_PIPELINES_VALUES_TESTING_H_
#define TRAWL_PIPELINES_VALUES_TESTING_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "pipelines/values.h"

namespace trawl {

// Ranked lists of depth `k` from row-major ids (num_queries = ids.size() / k); scores default
// to 0 for every result.
inline RankedLists MakeRankedLists(int64_t k, std::vector<int64_t> ids, std::vector<float> scores = {}) {
  RankedLists lists;
  lists.k = k;
  lists.num_queries = static_cast<int64_t>(ids.size()) / k;
  lists.ids = std::move(ids);
  lists.scores = scores.empty() ? std::vector<float>(lists.ids.size(), 0.0f) : std::move(scores);
  return lists;
}

}  // namespace trawl

#endif  // TRAWL_PIPELINES_VALUES_TESTING_H_
