// Exhaustive, exact scoring of sparse queries on one GPU (the kernels: sparse_kernels.cu): every
// document of a forward index (CSR by document) is scored against a batch of queries held as
// dense rows over the vocabulary, in int64 (integer weights: exact, as on the CPU) or double;
// each query's scores are then sorted on the device by a stable radix sort, so equal scores keep
// the smaller row first, and the top k come back. Documents sharing no term with a query
// (score 0) are not results, as on the CPU. In double, a document's terms are summed in its own
// order rather than the CPU's, so scores may differ in the last bits.
//
// Device memory (RequiredBytes): the forward index, 8 bytes per weight and per document; per batch
// of B queries, B x vocabulary floats and B x documents x 36 bytes of keys, rows and the sort's
// alternate buffers; 64 MiB more for the sort's scratch. Every buffer comes from the lease's
// allocator, which holds the scorer to the lease's budget: a refused allocation (budget or device)
// is ResourceExhausted, so the memory stage can try a smaller batch or the CPU. Not thread-safe.
#ifndef TRAWL_STAGES_SPARSE_GPU_SPARSE_SCORER_H_
#define TRAWL_STAGES_SPARSE_GPU_SPARSE_SCORER_H_

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pipelines/placement.h"

struct CUstream_st;

namespace trawl {
namespace sparse_kernels {
struct DeviceIndex;
}  // namespace sparse_kernels

class GpuSparseScorer {
 public:
  // One query: (term number in the forward index's vocabulary, weight) pairs.
  using Query = std::vector<std::pair<int32_t, float>>;

  static int64_t RequiredBytes(int64_t documents, int64_t weights, int64_t vocabulary,
                               int64_t batch);

  // Copies the forward index (row_offsets: documents + 1 entries) to `device`, on `stream`, in
  // memory from `allocator` (the lease's; it must outlive the scorer; null: cudaMalloc).
  static absl::StatusOr<std::unique_ptr<GpuSparseScorer>> Create(
      int device, CUstream_st* stream, DeviceAllocator* allocator,
      const std::vector<int64_t>& row_offsets, const std::vector<int32_t>& terms,
      const std::vector<float>& weights, int64_t vocabulary);
  ~GpuSparseScorer();

  // The top k of each query into rows (-1 past the matches) and scores (double: exact for integer
  // sums up to 2^53, so shards merge exactly), queries.size() x k each, in batches of `batch` (at
  // most 32). `integer`: both sides' weights are integers.
  absl::Status Search(const std::vector<Query>& queries, int64_t k, bool integer, int64_t batch,
                      int64_t* rows, double* scores);

 private:
  GpuSparseScorer() = default;

  sparse_kernels::DeviceIndex* index_ = nullptr;
  int64_t vocabulary_ = 0;
  int64_t documents_ = 0;
};

}  // namespace trawl

#endif  // TRAWL_STAGES_SPARSE_GPU_SPARSE_SCORER_H_
