// The CUDA side of GpuSparseScorer (gpu_sparse_scorer.h), kept free of Abseil so nvcc compiles it
// alone: plain functions that return "" or the error text, and say whether an allocation failed.
#ifndef TRAWL_STAGES_SPARSE_SPARSE_KERNELS_H_
#define TRAWL_STAGES_SPARSE_SPARSE_KERNELS_H_

#include <cstdint>
#include <string>

struct CUstream_st;

namespace trawl {
namespace sparse_kernels {

struct DeviceIndex;

// Where the kernels' device memory comes from: the lease's allocator (pipelines/placement.h),
// adapted by gpu_sparse_scorer.cc so this file needs no Abseil. `allocate` returns null with the
// reason in *error when the lease's budget or the device refuses. Without `allocate`, cudaMalloc.
struct DeviceMemory {
  void* context = nullptr;
  void* (*allocate)(void* context, int device, size_t bytes, std::string* error) = nullptr;
  void (*release)(void* context, int device, void* pointer) = nullptr;
};

// Copies a forward index (CSR by document) to `device`; every buffer, now and in SearchBatch,
// comes from `memory`, and goes back to it with Free.
std::string Upload(int device, CUstream_st* stream, const DeviceMemory& memory,
                   const int64_t* offsets, int64_t documents, const int32_t* terms,
                   const float* weights, int64_t entries, DeviceIndex** index, bool* out_of_memory);

// Scores every document against `batch` (<= kMaxBatch) dense queries (host, batch x vocabulary),
// sorts each query's scores on the device (stable, descending: ties keep the smaller row) and
// copies the top k rows and scores back; a score of 0 (no shared term) comes back as row -1.
constexpr int kMaxBatch = 32;
std::string SearchBatch(DeviceIndex* index, const float* queries, int batch, int64_t vocabulary,
                        bool integer, int64_t k, int64_t* rows, double* scores,
                        bool* out_of_memory);

void Free(DeviceIndex* index);

}  // namespace sparse_kernels
}  // namespace trawl

#endif  // TRAWL_STAGES_SPARSE_SPARSE_KERNELS_H_
