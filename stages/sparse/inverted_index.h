// SparseIndex: an inverted index over a SparseMatrix, searched exactly by term-at-a-time scoring
// (EXACT) or with MaxScore's dynamic pruning, term at a time (MAXSCORE), both returning the same
// top k with the same scores (inverted_index.cc says why the pruning is exact).
//
// Layout: one posting list per term, documents in increasing row order, in blocks of 128. Each
// block stores its documents as variable-byte gaps (7 bits a byte, the high bit marking the last
// byte of a gap) and its weights as float32; a block table keeps each block's last document, byte
// offset and maximum weight, and each list keeps its maximum weight (MaxScore's upper bound).
// Skipping (MaxScore's candidate lookups) uses the blocks' last documents; decoding happens a
// block at a time. The block maxima are kept for block-max pruning, not used yet.
//
// Scores are the dot products of query and document weights. With integer weights on both sides
// they are computed in int64, exactly; otherwise in double from the float weights, always adding
// a document's terms in one canonical order (upper bound descending), so EXACT and MAXSCORE
// produce the same bits.
// Ties in score go to the smaller row. Only documents sharing a term with the query are results;
// lists shorter than k end with row -1. Scores in the ranked lists are rounded to float.
//
// Thread-safe for concurrent searches once built (read-only).
#ifndef TRAWL_STAGES_SPARSE_INVERTED_INDEX_H_
#define TRAWL_STAGES_SPARSE_INVERTED_INDEX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pipelines/id_table.h"
#include "pipelines/slot.h"
#include "pipelines/values.h"
#include "pipelines/values/sparse_matrix.h"

namespace trawl {

enum class SparseSearchMode { kExact, kMaxScore };

class SparseIndex {
 public:
  static constexpr int kBlockSize = 128;

  static SparseIndex Build(const SparseMatrix& corpus);

  // The top k documents for every query. `threads` 0: all hardware threads.
  RankedLists Search(const SparseMatrix& queries, int64_t k, SparseSearchMode mode,
                     int threads) const;

  int64_t num_docs() const { return num_docs_; }
  int64_t num_terms() const { return static_cast<int64_t>(terms_.size()); }
  int64_t num_postings() const { return static_cast<int64_t>(weights_.size()); }
  bool integer_weights() const { return integer_weights_; }
  const IdTable& ids() const { return ids_; }
  // Bytes the index holds (postings, blocks, term strings and ids; not the term lookup table).
  int64_t memory_bytes() const;

  // The documents as a forward index (CSR by document, terms as this index's term numbers): what
  // an exhaustive scorer (the GPU's) reads.
  SparseMatrix Forward() const;
  // This index's term number of `term`, or -1.
  int32_t TermNumber(const std::string& term) const;

  // Query `row`'s terms as this index's term numbers (terms it lacks dropped), in the query's
  // order.
  struct QueryTerm {
    int32_t term;
    float weight;
  };
  std::vector<QueryTerm> MapQuery(const SparseMatrix& queries, int64_t row) const;

  // A binary file (magic, version, the arrays, SHA-256 of all before it), written to a temporary
  // file and renamed into place. Read verifies the checksum and every size before trusting it.
  absl::Status Write(const std::string& path) const;
  static absl::StatusOr<SparseIndex> Read(const std::string& path);
  // The same from bytes in memory (tests, fuzzing); `source` names them in messages. Every
  // count, offset and posting is checked, so a file that passes is safe to search.
  static absl::StatusOr<SparseIndex> Parse(absl::string_view bytes, absl::string_view source);

 private:
  struct Term {
    std::string text;
    int64_t first_posting = 0;  // into weights_
    int64_t count = 0;
    int64_t first_block = 0;  // into the block arrays
    float max_weight = 0;
  };
  class Cursor;

  // The top k of one query into rows/scores, in Acc (int64 when both sides' weights are
  // integers, else double); `prune`: MaxScore. `acc` (num_docs, all 0), `touched` (empty) and
  // `champion_slot` (num_docs when pruning, all -1) are scratch, left as they were found.
  template <typename Acc>
  void SearchTermAtATime(std::vector<QueryTerm> query, int64_t k, bool prune, std::vector<Acc>& acc,
                         std::vector<int32_t>& touched, std::vector<int32_t>& champion_slot,
                         int64_t* rows, float* scores) const;

  int64_t num_docs_ = 0;
  bool integer_weights_ = true;
  IdTable ids_;
  std::vector<Term> terms_;
  absl::flat_hash_map<std::string, int32_t> term_numbers_;
  std::vector<float> weights_;              // postings' weights, list by list
  std::vector<uint8_t> doc_bytes_;          // variable-byte gaps, list by list
  std::vector<int32_t> block_last_doc_;     // per block
  std::vector<int64_t> block_byte_offset_;  // per block: its first byte in doc_bytes_
  std::vector<float> block_max_weight_;     // per block
};

template <>
struct SlotTraits<SparseIndex> {
  static constexpr char kName[] = "sparse_index";
};

}  // namespace trawl

#endif  // TRAWL_STAGES_SPARSE_INVERTED_INDEX_H_
