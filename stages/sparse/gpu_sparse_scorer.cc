#include "stages/sparse/gpu_sparse_scorer.h"

#include <algorithm>
#include <climits>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "stages/sparse/sparse_kernels.h"

namespace trawl {
namespace {

absl::Status ToStatus(const std::string& error, bool out_of_memory) {
  if (error.empty()) return absl::OkStatus();
  if (out_of_memory)
    return absl::ResourceExhaustedError(absl::StrCat("GPU sparse search: ", error));
  return absl::InternalError(absl::StrCat("GPU sparse search: ", error));
}

// The lease's allocator behind the kernels' plain DeviceMemory hooks.
void* AllocateFromLease(void* context, int device, size_t bytes, std::string* error) {
  absl::StatusOr<void*> pointer =
      static_cast<DeviceAllocator*>(context)->Allocate(device, static_cast<int64_t>(bytes));
  if (pointer.ok()) return *pointer;
  *error = std::string(pointer.status().message());
  return nullptr;
}

void ReleaseToLease(void* context, int device, void* pointer) {
  static_cast<DeviceAllocator*>(context)->Free(device, pointer);
}

}  // namespace

int64_t GpuSparseScorer::RequiredBytes(int64_t documents, int64_t weights, int64_t vocabulary,
                                       int64_t batch) {
  // Per query and document: two key buffers (8 bytes each), two row buffers (4 each), and the
  // radix sort's own alternate buffers in its scratch (12).
  return weights * 8 + (documents + 1) * 8 + batch * vocabulary * 4 + batch * documents * 36 +
         (int64_t{64} << 20);
}

absl::StatusOr<std::unique_ptr<GpuSparseScorer>> GpuSparseScorer::Create(
    int device, CUstream_st* stream, DeviceAllocator* allocator,
    const std::vector<int64_t>& row_offsets, const std::vector<int32_t>& terms,
    const std::vector<float>& weights, int64_t vocabulary) {
  std::unique_ptr<GpuSparseScorer> scorer(new GpuSparseScorer());
  scorer->vocabulary_ = vocabulary;
  scorer->documents_ = static_cast<int64_t>(row_offsets.size()) - 1;
  sparse_kernels::DeviceMemory memory;
  if (allocator != nullptr) {
    memory.context = allocator;
    memory.allocate = AllocateFromLease;
    memory.release = ReleaseToLease;
  }
  bool out_of_memory = false;
  const std::string error = sparse_kernels::Upload(
      device, stream, memory, row_offsets.data(), static_cast<int64_t>(row_offsets.size()) - 1,
      terms.data(), weights.data(), static_cast<int64_t>(terms.size()), &scorer->index_,
      &out_of_memory);
  absl::Status status = ToStatus(error, out_of_memory);
  if (!status.ok()) return status;
  return scorer;
}

GpuSparseScorer::~GpuSparseScorer() { sparse_kernels::Free(index_); }

absl::Status GpuSparseScorer::Search(const std::vector<Query>& queries, int64_t k, bool integer,
                                     int64_t batch, int64_t* rows, double* scores) {
  batch = std::max<int64_t>(1, std::min<int64_t>(batch, sparse_kernels::kMaxBatch));
  // The radix sort counts its items in 32 bits: batch x documents must stay below 2^31.
  batch =
      std::max<int64_t>(1, std::min<int64_t>(batch, INT32_MAX / std::max<int64_t>(1, documents_)));
  if (documents_ > INT32_MAX) {
    return absl::InvalidArgumentError(
        "GPU sparse search: more than 2^31 documents on one GPU; shard them with gpus: N (or the "
        "CPU: device CPU in the memory policy)");
  }
  std::vector<float> dense(batch * vocabulary_, 0.0f);
  for (size_t begin = 0; begin < queries.size(); begin += batch) {
    const int count = static_cast<int>(std::min<size_t>(batch, queries.size() - begin));
    std::fill(dense.begin(), dense.end(), 0.0f);
    for (int b = 0; b < count; ++b) {
      for (const auto& [term, weight] : queries[begin + b]) dense[b * vocabulary_ + term] = weight;
    }
    bool out_of_memory = false;
    absl::Status status =
        ToStatus(sparse_kernels::SearchBatch(index_, dense.data(), count, vocabulary_, integer, k,
                                             rows + begin * k, scores + begin * k, &out_of_memory),
                 out_of_memory);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace trawl
