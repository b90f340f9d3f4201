#include "stages/eval/knn_recall.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace trawl {

absl::StatusOr<double> KnnRecall(const RankedLists& results, const RankedLists& truth, int64_t k) {
  if (results.num_queries != truth.num_queries) {
    return absl::InvalidArgumentError(absl::StrCat(
        "results cover ", results.num_queries, " queries, the ground truth ", truth.num_queries));
  }
  if (k < 1 || k > results.k || k > truth.k) {
    return absl::InvalidArgumentError(
        absl::StrCat("recall@", k, " needs 1 <= k <= ", std::min(results.k, truth.k),
                     " (results depth ", results.k, ", ground truth depth ", truth.k, ")"));
  }
  if (results.num_queries == 0) return absl::InvalidArgumentError("there are no queries");
  // Rows compare directly when both index the same collection; otherwise the external ids do.
  const bool same_rows = results.doc_ids.SameRows(truth.doc_ids);
  double total = 0;
  absl::flat_hash_set<std::string> expected;
  for (int64_t q = 0; q < results.num_queries; ++q) {
    expected.clear();
    for (int64_t j = 0; j < k; ++j) {
      const int64_t row = truth.doc_rows[q * truth.k + j];
      if (row >= 0) expected.insert(same_rows ? std::to_string(row) : truth.doc_id(row));
    }
    int64_t found = 0;
    for (int64_t j = 0; j < k; ++j) {
      const int64_t row = results.doc_rows[q * results.k + j];
      if (row >= 0 && expected.erase(same_rows ? std::to_string(row) : results.doc_id(row)) > 0) {
        ++found;
      }
    }
    total += static_cast<double>(found) / k;
  }
  return total / results.num_queries;
}

}  // namespace trawl
