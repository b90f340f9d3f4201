#include <cuda_runtime.h>

#include <algorithm>
#include <cub/device/device_segmented_radix_sort.cuh>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "stages/sparse/sparse_kernels.h"

namespace trawl {
namespace sparse_kernels {
namespace {

// One thread per document, every query of the batch in registers; the dense query rows are read
// through the L2 cache (batch x vocabulary floats).
template <typename Acc>
__global__ void ScoreDocuments(const int64_t* __restrict__ offsets,
                               const int32_t* __restrict__ terms, const float* __restrict__ weights,
                               int64_t documents, const float* __restrict__ queries,
                               int64_t vocabulary, int batch, Acc* __restrict__ scores,
                               int32_t* __restrict__ rows) {
  const int64_t doc = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (doc >= documents) return;
  Acc acc[kMaxBatch];
  for (int b = 0; b < kMaxBatch; ++b) acc[b] = 0;
  for (int64_t e = offsets[doc]; e < offsets[doc + 1]; ++e) {
    const int32_t term = terms[e];
    const float w = weights[e];
#pragma unroll
    for (int b = 0; b < kMaxBatch; ++b) {
      if (b < batch) {
        const float q = queries[b * vocabulary + term];
        if constexpr (std::is_same<Acc, long long>::value) {
          acc[b] += static_cast<long long>(q) * static_cast<long long>(w);
        } else {
          acc[b] += static_cast<double>(q) * static_cast<double>(w);
        }
      }
    }
  }
  for (int b = 0; b < batch; ++b) {
    scores[b * documents + doc] = acc[b];
    rows[b * documents + doc] = static_cast<int32_t>(doc);
  }
}

__global__ void SegmentOffsets(int64_t* offsets, int batch, int64_t documents) {
  const int b = threadIdx.x;
  if (b <= batch) offsets[b] = b * documents;
}

// A device buffer from the index's DeviceMemory (the lease's allocator), grown on demand.
template <typename T>
struct DeviceArray {
  T* data = nullptr;
  size_t size = 0;
  const DeviceMemory* memory = nullptr;  // set by Reserve; not owned
  int device = 0;
  ~DeviceArray() { Release(); }
  void Release() {
    if (data != nullptr) {
      if (memory != nullptr && memory->release != nullptr) {
        memory->release(memory->context, device, data);
      } else {
        cudaFree(data);
      }
    }
    data = nullptr;
    size = 0;
  }
  // cudaErrorMemoryAllocation, with the allocator's reason in *error, when it refuses.
  cudaError_t Reserve(size_t n, const DeviceMemory* from, int on_device, std::string* error) {
    if (n <= size) return cudaSuccess;
    Release();
    memory = from;
    device = on_device;
    const size_t bytes = std::max<size_t>(n, 1) * sizeof(T);
    if (memory != nullptr && memory->allocate != nullptr) {
      data = static_cast<T*>(memory->allocate(memory->context, device, bytes, error));
      if (data == nullptr) return cudaErrorMemoryAllocation;
    } else {
      const cudaError_t status = cudaMalloc(&data, bytes);
      if (status != cudaSuccess) {
        data = nullptr;
        return status;
      }
    }
    size = n;
    return cudaSuccess;
  }
};

std::string Fail(cudaError_t error, const char* what, bool* out_of_memory) {
  *out_of_memory = error == cudaErrorMemoryAllocation;
  cudaGetLastError();  // an allocation error is not sticky: clear it for the next attempt
  return std::string(what) + ": " + cudaGetErrorString(error);
}

}  // namespace

struct DeviceIndex {
  int device = 0;
  cudaStream_t stream = nullptr;
  DeviceMemory memory;           // where every buffer below comes from
  std::string allocation_error;  // the allocator's reason for the last refusal
  int64_t documents = 0;
  DeviceArray<int64_t> offsets;
  DeviceArray<int32_t> terms;
  DeviceArray<float> weights;
  DeviceArray<float> queries;
  DeviceArray<long long> int_keys[2];
  DeviceArray<double> double_keys[2];
  DeviceArray<int32_t> rows[2];
  DeviceArray<int64_t> segments;
  DeviceArray<char> scratch;
};

#define TRAWL_CUDA_OR_FAIL(call)                                          \
  do {                                                                    \
    cudaError_t error_ = (call);                                          \
    if (error_ != cudaSuccess) return Fail(error_, #call, out_of_memory); \
  } while (0)

// Reserves `n` elements of `array` from the index's memory; on a refusal returns the allocator's
// own reason (the lease's budget, or the device's out-of-memory) as an allocation failure.
// The allocator's refusal (the lease's budget, or the device) is an allocation failure, with its
// own reason; any other error keeps Fail's verdict.
#define TRAWL_RESERVE_OR_FAIL(index, array, n)                                               \
  do {                                                                                       \
    (index)->allocation_error.clear();                                                       \
    cudaError_t error_ =                                                                     \
        (array).Reserve((n), &(index)->memory, (index)->device, &(index)->allocation_error); \
    if (error_ != cudaSuccess) {                                                             \
      if ((index)->allocation_error.empty()) return Fail(error_, #array, out_of_memory);     \
      *out_of_memory = true;                                                                 \
      cudaGetLastError();                                                                    \
      return (index)->allocation_error;                                                      \
    }                                                                                        \
  } while (0)

std::string Upload(int device, CUstream_st* stream, const DeviceMemory& memory,
                   const int64_t* offsets, int64_t documents, const int32_t* terms,
                   const float* weights, int64_t entries, DeviceIndex** index_out,
                   bool* out_of_memory) {
  *out_of_memory = false;
  auto index = new DeviceIndex();
  *index_out = index;
  index->device = device;
  index->stream = stream;
  index->memory = memory;
  index->documents = documents;
  TRAWL_CUDA_OR_FAIL(cudaSetDevice(device));
  TRAWL_RESERVE_OR_FAIL(index, index->offsets, documents + 1);
  TRAWL_RESERVE_OR_FAIL(index, index->terms, entries);
  TRAWL_RESERVE_OR_FAIL(index, index->weights, entries);
  TRAWL_CUDA_OR_FAIL(cudaMemcpyAsync(index->offsets.data, offsets, (documents + 1) * 8,
                                     cudaMemcpyHostToDevice, stream));
  TRAWL_CUDA_OR_FAIL(
      cudaMemcpyAsync(index->terms.data, terms, entries * 4, cudaMemcpyHostToDevice, stream));
  TRAWL_CUDA_OR_FAIL(
      cudaMemcpyAsync(index->weights.data, weights, entries * 4, cudaMemcpyHostToDevice, stream));
  TRAWL_CUDA_OR_FAIL(cudaStreamSynchronize(stream));
  return "";
}

template <typename Acc>
std::string SearchTyped(DeviceIndex* index, DeviceArray<Acc>* keys, const float* queries, int batch,
                        int64_t vocabulary, int64_t k, int64_t* rows, double* scores,
                        bool* out_of_memory) {
  const int64_t n = index->documents;
  cudaStream_t stream = index->stream;
  if (n == 0) {
    std::fill(rows, rows + batch * k, -1);
    std::fill(scores, scores + batch * k, -std::numeric_limits<double>::infinity());
    return "";
  }
  TRAWL_CUDA_OR_FAIL(cudaSetDevice(index->device));
  TRAWL_RESERVE_OR_FAIL(index, index->queries, batch * vocabulary);
  TRAWL_RESERVE_OR_FAIL(index, keys[0], batch * n);
  TRAWL_RESERVE_OR_FAIL(index, keys[1], batch * n);
  TRAWL_RESERVE_OR_FAIL(index, index->rows[0], batch * n);
  TRAWL_RESERVE_OR_FAIL(index, index->rows[1], batch * n);
  TRAWL_RESERVE_OR_FAIL(index, index->segments, kMaxBatch + 1);
  TRAWL_CUDA_OR_FAIL(cudaMemcpyAsync(index->queries.data, queries, batch * vocabulary * 4,
                                     cudaMemcpyHostToDevice, stream));
  const int threads = 256;
  const int64_t blocks = (n + threads - 1) / threads;
  ScoreDocuments<Acc><<<static_cast<unsigned>(blocks), threads, 0, stream>>>(
      index->offsets.data, index->terms.data, index->weights.data, n, index->queries.data,
      vocabulary, batch, keys[0].data, index->rows[0].data);
  TRAWL_CUDA_OR_FAIL(cudaGetLastError());
  SegmentOffsets<<<1, kMaxBatch + 1, 0, stream>>>(index->segments.data, batch, n);
  TRAWL_CUDA_OR_FAIL(cudaGetLastError());
  size_t scratch_bytes = 0;
  TRAWL_CUDA_OR_FAIL(cub::DeviceSegmentedRadixSort::SortPairsDescending(
      nullptr, scratch_bytes, keys[0].data, keys[1].data, index->rows[0].data, index->rows[1].data,
      batch * n, batch, index->segments.data, index->segments.data + 1, 0, sizeof(Acc) * 8,
      stream));
  TRAWL_RESERVE_OR_FAIL(index, index->scratch, scratch_bytes);
  TRAWL_CUDA_OR_FAIL(cub::DeviceSegmentedRadixSort::SortPairsDescending(
      index->scratch.data, scratch_bytes, keys[0].data, keys[1].data, index->rows[0].data,
      index->rows[1].data, batch * n, batch, index->segments.data, index->segments.data + 1, 0,
      sizeof(Acc) * 8, stream));
  const int64_t take = std::min(k, n);
  std::vector<Acc> top_keys(batch * take);
  std::vector<int32_t> top_rows(batch * take);
  TRAWL_CUDA_OR_FAIL(cudaMemcpy2DAsync(top_keys.data(), take * sizeof(Acc), keys[1].data,
                                       n * sizeof(Acc), take * sizeof(Acc), batch,
                                       cudaMemcpyDeviceToHost, stream));
  TRAWL_CUDA_OR_FAIL(cudaMemcpy2DAsync(top_rows.data(), take * 4, index->rows[1].data, n * 4,
                                       take * 4, batch, cudaMemcpyDeviceToHost, stream));
  TRAWL_CUDA_OR_FAIL(cudaStreamSynchronize(stream));
  for (int b = 0; b < batch; ++b) {
    for (int64_t j = 0; j < k; ++j) {
      const bool match = j < take && top_keys[b * take + j] > 0;
      rows[b * k + j] = match ? top_rows[b * take + j] : -1;
      scores[b * k + j] = match ? static_cast<double>(top_keys[b * take + j])
                                : -std::numeric_limits<double>::infinity();
    }
  }
  return "";
}

std::string SearchBatch(DeviceIndex* index, const float* queries, int batch, int64_t vocabulary,
                        bool integer, int64_t k, int64_t* rows, double* scores,
                        bool* out_of_memory) {
  *out_of_memory = false;
  if (batch < 1 || batch > kMaxBatch) return "batch out of range";
  // Radix sorting signed keys descending orders them as numbers (cub flips the sign bit).
  return integer ? SearchTyped<long long>(index, index->int_keys, queries, batch, vocabulary, k,
                                          rows, scores, out_of_memory)
                 : SearchTyped<double>(index, index->double_keys, queries, batch, vocabulary, k,
                                       rows, scores, out_of_memory);
}

void Free(DeviceIndex* index) {
  if (index == nullptr) return;
  cudaSetDevice(index->device);
  delete index;
}

}  // namespace sparse_kernels
}  // namespace trawl
