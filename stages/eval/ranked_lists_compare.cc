#include "stages/eval/ranked_lists_compare.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace trawl {

std::string RankedListsDiff::Summary() const {
  std::string text = absl::StrCat(positions, " ranks: ", same_id, " same id, ", tie_swaps,
                                  " tie swaps, ", mismatches,
                                  " mismatches; max relative score "
                                  "difference at equal ids ",
                                  max_score_rel_diff);
  if (!first_mismatch.empty()) absl::StrAppend(&text, "; first mismatch: ", first_mismatch);
  return text;
}

absl::StatusOr<RankedListsDiff> CompareRankedLists(const RankedLists& a, const RankedLists& b,
                                                   double rel_tolerance) {
  if (a.num_queries != b.num_queries || a.k != b.k) {
    return absl::InvalidArgumentError(absl::StrCat("cannot compare ", a.num_queries, " x ", a.k,
                                                   " lists with ", b.num_queries, " x ", b.k));
  }
  RankedListsDiff diff;
  // Rows compare directly when both lists search the same collection; otherwise the ids do.
  const bool same_rows = a.doc_ids.SameRows(b.doc_ids);
  for (int64_t q = 0; q < a.num_queries; ++q) {
    for (int64_t j = 0; j < a.k; ++j) {
      const int64_t at = q * a.k + j;
      const double sa = a.scores[at], sb = b.scores[at];
      const double scale = std::max({1.0, std::fabs(sa), std::fabs(sb)});
      const bool both_missing = std::isinf(sa) && std::isinf(sb) && sa == sb;
      const double rel = both_missing ? 0.0 : std::fabs(sa - sb) / scale;
      ++diff.positions;
      const bool same_document = same_rows ? a.doc_rows[at] == b.doc_rows[at]
                                           : a.doc_id(a.doc_rows[at]) == b.doc_id(b.doc_rows[at]);
      if (same_document) {
        ++diff.same_id;
        diff.max_score_rel_diff = std::max(diff.max_score_rel_diff, rel);
      } else if (rel <= rel_tolerance) {
        ++diff.tie_swaps;
      } else {
        if (diff.mismatches++ == 0) {
          diff.first_mismatch = absl::StrCat("query ", a.query_id(q), " rank ", j + 1, ": id ",
                                             a.doc_id(a.doc_rows[at]), " (score ", sa, ") vs id ",
                                             b.doc_id(b.doc_rows[at]), " (score ", sb, ")");
        }
      }
    }
  }
  return diff;
}

}  // namespace trawl
