// TrawlExactIndex: Trawl's exact GPU engine (exact_gpu_kernels.h) behind FAISS's plain Index
// interface, so faiss_search, exact_knn, index folders and the memory ladder use it as they use a
// GpuIndexFlat (faiss_index_build's `engine: TRAWL` with factory "Flat").
//
// Results follow FAISS's conventions (squared L2 distances ascending, inner products or cosines
// descending) and are the exact float64 top k of the float32 rows, ties broken by the smaller
// row: what ExactKnn (exact_knn.h) computes on the CPU, rounded to float for the distances.
//
// The index keeps the rows on the host too: a streamed corpus (resident = false, the memory
// ladder's reduced rungs) reads them tile by tile, the CPU fallback and index files (ToCpu) need
// them. Sharded over several GPUs, each holds a contiguous share of the rows and the per-shard
// top k merge exactly. Not thread-safe (one search at a time), as FAISS's GPU indexes.
#ifndef TRAWL_STAGES_DENSE_TRAWL_EXACT_INDEX_H_
#define TRAWL_STAGES_DENSE_TRAWL_EXACT_INDEX_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "faiss/Index.h"
#include "faiss/IndexFlat.h"
#include "pipelines/placement.h"
#include "pipelines/values.h"
#include "stages/dense/dense_metric.pb.h"
#include "stages/dense/exact_gpu_kernels.h"

namespace trawl {

class TrawlExactIndex : public faiss::Index {
 public:
  // Uploads the n x d row-major `rows` to `devices` (one shard each; at least one), resident on
  // the device or streamed from the host. For COSINE the rows (and the queries searched) must be
  // normalised already, as PrepareForMetric does for every dense index. ResourceExhausted when a
  // device cannot hold its share, InvalidArgument for bad shapes or non-finite values.
  static absl::StatusOr<std::unique_ptr<TrawlExactIndex>> Create(
      std::vector<float> rows, int64_t n, int d, dense::Metric metric,
      const std::vector<int>& devices, bool resident, const exact_gpu::SearchParams& params);

  // Create where the memory stage's `placement` says: over its GPUs on the sharded rung, else on
  // the first; resident on the full rungs, streamed from the host (with Params(true)) on the
  // reduced ones.
  static absl::StatusOr<std::unique_ptr<TrawlExactIndex>> CreatePlaced(
      const DenseMatrix& corpus, dense::Metric metric, const DeviceLease& placement);

  ~TrawlExactIndex() override;

  // FAISS's Index: the rows come with Create; add() and reset() throw.
  void add(idx_t n, const float* x) override;
  void reset() override;
  // Throws faiss::FaissException on errors (its text says "out of memory" for an allocation the
  // device refused, which StatusFromCall maps to ResourceExhausted for the memory ladder).
  void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
              const faiss::SearchParameters* params = nullptr) const override;

  // A CPU IndexFlat of the same rows (index files, the CPU fallback).
  std::unique_ptr<faiss::IndexFlat> ToCpu() const;

  // The float64 scores and rows of the last search (higher is better, ties by row), for callers
  // that want more than float distances (exact_knn); and its statistics summed over shards.
  const std::vector<double>& last_scores() const { return last_scores_; }
  const exact_gpu::SearchStats& last_stats() const { return last_stats_; }
  int first_device() const { return shards_.front().device; }
  // Device bytes a search with this k allocates on each device (kept for the next search).
  int64_t ScratchBytes(int k) const;

  // Search parameters of the memory ladder's rungs: the engine's defaults, or smaller query
  // batches and tiles for the reduced rungs (the corpus streamed from the host).
  static exact_gpu::SearchParams Params(bool reduced);

  // Device bytes of a corpus shard of n x d rows, and of a search's scratch, for memory estimates.
  static int64_t DeviceBytes(int64_t n, int d, dense::Metric metric, bool resident, int k,
                             const exact_gpu::SearchParams& params);

 private:
  struct Shard {
    int device;
    int64_t first_row;
    int64_t rows;
    exact_gpu::Corpus* corpus;
  };
  TrawlExactIndex(int d, faiss::MetricType metric) : faiss::Index(d, metric) {}

  bool resident_ = true;
  std::vector<float> rows_;
  dense::Metric dense_metric_ = dense::L2;
  exact_gpu::SearchParams params_;
  std::vector<Shard> shards_;
  // Writes the merged top k of the shards' lists (shard_rows_, shard_scores_) into `labels` and
  // last_scores_.
  void Merge(idx_t n, idx_t k, idx_t* labels) const;

  mutable std::vector<double> last_scores_;
  mutable std::vector<std::vector<int64_t>> shard_rows_;  // per shard, when sharded
  mutable std::vector<std::vector<double>> shard_scores_;
  mutable exact_gpu::SearchStats last_stats_;
};

}  // namespace trawl

#endif  // TRAWL_STAGES_DENSE_TRAWL_EXACT_INDEX_H_
