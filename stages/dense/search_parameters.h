// FAISS search-time parameters for one search of a shared index, MediaPipe's read-only inputs
// kept: FAISS 1.7.3 reads nprobe, efSearch and the rest from the index object, not from the
// search call, so a search that sets them would change what every later search of that index sees.
//
//   ASSIGN_OR_RETURN(ScopedSearchParameters scoped,
//                    ScopedSearchParameters::Apply(index, /*nprobe=*/32, "efSearch=64", on_gpu));
//   index->search(...);
//   // scoped's destructor puts every search-time value of the index back as it was
//
// Apply records every search-time field of the index and of the indexes inside it (IVF nprobe and
// max_codes, HNSW efSearch/efConstruction, PQ polysemous settings, refine k_factor, GPU IVF
// nprobe and precomputed tables, verbose) through IndexIDMap, IndexPreTransform, IndexRefine,
// shards, replicas and IVF quantizers, then sets the parameters with FAISS's own (Gpu)
// ParameterSpace, so names and values mean exactly what they mean to a FAISS user.
// Not thread-safe: one search of an index at a time (as FAISS's GPU indexes require anyway).
#ifndef TRAWL_STAGES_DENSE_SEARCH_PARAMETERS_H_
#define TRAWL_STAGES_DENSE_SEARCH_PARAMETERS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "faiss/Index.h"

namespace trawl {

class ScopedSearchParameters {
 public:
  // Applies `params` (ParameterSpace syntax, "nprobe=32,efSearch=64"; may be empty) to `index`,
  // through GpuParameterSpace when `gpu`. `nprobe` (> 0) is applied first, to every IVF index in
  // the tree, so `params` can override it. InvalidArgument with FAISS's message for a name the
  // index does not have or a malformed string; nothing stays changed then.
  static absl::StatusOr<ScopedSearchParameters> Apply(faiss::Index* index, int nprobe,
                                                      const std::string& params, bool gpu);

  ScopedSearchParameters(ScopedSearchParameters&& other) noexcept;
  ScopedSearchParameters& operator=(ScopedSearchParameters&&) = delete;
  ScopedSearchParameters(const ScopedSearchParameters&) = delete;
  ScopedSearchParameters& operator=(const ScopedSearchParameters&) = delete;
  // Restores every recorded value, last recorded first.
  ~ScopedSearchParameters();

 private:
  ScopedSearchParameters() = default;
  void Restore();

  std::vector<std::function<void()>> restore_;  // each puts one field back
};

}  // namespace trawl

#endif  // TRAWL_STAGES_DENSE_SEARCH_PARAMETERS_H_
