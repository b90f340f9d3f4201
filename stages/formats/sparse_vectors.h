// Sparse (SPLADE-style) vector files as Anserini and Pyserini write them:
//
//   JSON lines (.jsonl, .json, plain or .gz): one object per line, Anserini's JsonVectorCollection
//     {"id"|"docid"|"qid"|"_id": "doc-1" or 17, "contents": "...", "vector": {"term": weight}}
//     terms any UTF-8 ("##s", "naïve"); weights non-negative numbers; other keys ignored.
//   TSV queries (.tsv, .txt, plain or .gz): "QID<TAB>tokens", each token repeated as many times as
//     its integer weight (Anserini's impact queries): the weight is the token's count.
//
// Integer weights stay integers (integer_weights); float weights are kept, or, with
// quantize_scale > 0, quantised to round(weight * scale) as Anserini does (scale 100). Zero
// weights are dropped; a record with no terms is kept (it matches nothing). A malformed record is
// an InvalidArgument "FILE:LINE: expected ..., found ..."; duplicate ids, a term twice in one
// vector, a negative or non-finite weight, and an integer weight above 2^24 are errors.
// Thread-safe (no shared state).
#ifndef TRAWL_STAGES_FORMATS_SPARSE_VECTORS_H_
#define TRAWL_STAGES_FORMATS_SPARSE_VECTORS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pipelines/values/sparse_matrix.h"

namespace trawl {

enum class SparseFormat { kJsonLines, kTsvQueries };

// ".jsonl", ".json" -> JSON lines; ".tsv", ".txt" -> TSV queries (".gz" forms too).
absl::StatusOr<SparseFormat> SparseFormatFromPath(absl::string_view path);

struct SparseReadOptions {
  SparseFormat format = SparseFormat::kJsonLines;
  double quantize_scale = 0;  // 0: weights as given
};

// A file (the path resolved as a user path); NotFound when it cannot be opened.
absl::StatusOr<SparseMatrix> ReadSparseVectors(absl::string_view path,
                                               const SparseReadOptions& options);
// The same on text in memory (tests, fuzzing); `source` names it in messages.
absl::StatusOr<SparseMatrix> ParseSparseVectors(absl::string_view text, absl::string_view source,
                                                const SparseReadOptions& options);

}  // namespace trawl

#endif  // TRAWL_STAGES_FORMATS_SPARSE_VECTORS_H_
