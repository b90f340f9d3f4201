#include "pipelines/slot.h"

namespace trawl {

absl::string_view SlotTypeName(SlotType type) {
  switch (type) {
    case SlotType::kDenseMatrix:
      return "dense_matrix";
    case SlotType::kSparseMatrix:
      return "sparse_matrix";
    case SlotType::kIndex:
      return "index";
    case SlotType::kRankedLists:
      return "ranked_lists";
    case SlotType::kQrels:
      return "qrels";
    case SlotType::kMetrics:
      return "metrics";
  }
  return "unknown";
}

}  // namespace trawl
