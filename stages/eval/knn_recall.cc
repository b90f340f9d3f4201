#include "stages/eval/knn_recall.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace trawl {
namespace {

// Sum over queries of |results' top k ∩ truth's top k| / k, documents compared by key(lists, row).
template <typename KeyFn>
double SumOfOverlaps(const RankedLists& results, const RankedLists& truth, int64_t k, KeyFn key) {
  absl::flat_hash_set<decltype(key(truth, int64_t{0}))> expected;
  double total = 0;
  for (int64_t q = 0; q < results.num_queries; ++q) {
    expected.clear();
    for (int64_t j = 0; j < k; ++j) {
      const int64_t row = truth.doc_rows[q * truth.k + j];
      if (row >= 0) expected.insert(key(truth, row));
    }
    int64_t found = 0;
    for (int64_t j = 0; j < k; ++j) {
      const int64_t row = results.doc_rows[q * results.k + j];
      if (row >= 0 && expected.erase(key(results, row)) > 0) ++found;
    }
    total += static_cast<double>(found) / k;
  }
  return total;
}

}  // namespace

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
  // Rows compare directly when both index the same collection (no string per result on this
  // path); otherwise the external ids do.
  const double total =
      results.doc_ids.SameRows(truth.doc_ids)
          ? SumOfOverlaps(results, truth, k, [](const RankedLists&, int64_t row) { return row; })
          : SumOfOverlaps(results, truth, k,
                          [](const RankedLists& lists, int64_t row) { return lists.doc_id(row); });
  return total / results.num_queries;
}

}  // namespace trawl
