// Fuzz target for sparse index files: Parse either rejects the bytes or returns an index every
// search can walk. Inputs are fed both as they are and with a valid checksum appended, so the
// structural checks behind the checksum are reached too.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pipelines/hashing.h"
#include "stages/sparse/inverted_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (const std::string& input :
       {bytes, "TRAWLSPX" + bytes + trawl::Sha256Hex("TRAWLSPX" + bytes)}) {
    absl::StatusOr<trawl::SparseIndex> index = trawl::SparseIndex::Parse(input, "fuzz.idx");
    if (!index.ok()) continue;
    trawl::SparseMatrix query;
    auto vocabulary = std::make_shared<std::vector<std::string>>();
    const trawl::SparseMatrix forward = index->Forward();
    for (int32_t t = 0; t < index->num_terms() && t < 4; ++t) {
      vocabulary->push_back(forward.vocabulary->at(t));
      query.terms.push_back(t);
      query.weights.push_back(1.0f + t);
    }
    query.vocabulary = vocabulary;
    query.rows = 1;
    query.row_offsets = {0, static_cast<int64_t>(query.terms.size())};
    index->Search(query, 3, trawl::SparseSearchMode::kExact, 1);
    index->Search(query, 3, trawl::SparseSearchMode::kMaxScore, 1);
  }
  return 0;
}
