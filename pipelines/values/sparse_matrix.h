// SparseMatrix: learned-sparse (SPLADE-style) or bag-of-words vectors, one row per document or
// query, over the row set's own term vocabulary.
//
// Rows are CSR: row i's entries are [row_offsets[i], row_offsets[i + 1]) of `terms` (indexes into
// `vocabulary`, each at most once per row) and `weights` (positive). Two matrices from different
// files have different vocabularies: indexes and searches match terms by their strings.
//
// integer_weights says every weight is a whole number (JSON integers, token counts, or quantised
// weights): scores are then computed in integers, exactly; otherwise in double from float
// weights. Thread-safe after construction (immutable once in a slot).
#ifndef TRAWL_PIPELINES_VALUES_SPARSE_MATRIX_H_
#define TRAWL_PIPELINES_VALUES_SPARSE_MATRIX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipelines/id_table.h"
#include "pipelines/slot.h"

namespace trawl {

struct SparseMatrix {
  int64_t rows = 0;
  std::vector<int64_t> row_offsets = {0};  // rows + 1
  std::vector<int32_t> terms;              // indexes into vocabulary
  std::vector<float> weights;
  std::shared_ptr<const std::vector<std::string>> vocabulary =
      std::make_shared<std::vector<std::string>>();
  bool integer_weights = true;
  IdTable ids;  // rows entries, or empty for the row numbers

  int64_t nonzeros() const { return static_cast<int64_t>(terms.size()); }
  int64_t row_size(int64_t i) const { return row_offsets[i + 1] - row_offsets[i]; }
};

template <>
struct SlotTraits<SparseMatrix> {
  static constexpr char kName[] = "sparse_matrix";
};

}  // namespace trawl

#endif  // TRAWL_PIPELINES_VALUES_SPARSE_MATRIX_H_
