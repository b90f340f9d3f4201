// Compares two sets of ranked lists position by position, e.g. a GPU run against a CPU run.
//
// Two lists are "equal up to ties" when, at every rank, either the document is the same (the same
// row of one collection, or the same external id across collections) or the two
// scores at that rank agree within the tolerance (different documents at exactly or nearly the
// same score: an ordering both answers allow). Floating-point summation order differs between
// FAISS's CPU and GPU paths, so near-ties may swap; anything else is a mismatch. Thread-safe.
#ifndef TRAWL_STAGES_EVAL_RANKED_LISTS_COMPARE_H_
#define TRAWL_STAGES_EVAL_RANKED_LISTS_COMPARE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "pipelines/values.h"

namespace trawl {

struct RankedListsDiff {
  int64_t positions = 0;          // ranks compared (queries x k)
  int64_t same_id = 0;            // ranks with the same id
  int64_t tie_swaps = 0;          // different ids at scores equal within the tolerance
  int64_t mismatches = 0;         // different ids at different scores
  double max_score_rel_diff = 0;  // over ranks with the same id
  std::string first_mismatch;     // "query 12 rank 3: id 5 (score ...) vs id 9 (score ...)"

  bool EqualUpToTies() const { return mismatches == 0; }
  std::string Summary() const;
};

// InvalidArgument when the two cover different numbers of queries or depths.
// A score difference counts as a tie when |a - b| <= rel_tolerance * max(1, |a|, |b|).
absl::StatusOr<RankedListsDiff> CompareRankedLists(const RankedLists& a, const RankedLists& b,
                                                   double rel_tolerance = 1e-5);

}  // namespace trawl

#endif  // TRAWL_STAGES_EVAL_RANKED_LISTS_COMPARE_H_
