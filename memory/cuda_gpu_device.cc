#include "memory/cuda_gpu_device.h"

#include <cuda_runtime_api.h>

#include <algorithm>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace trawl {
namespace {

absl::Mutex pin_cache_mutex(absl::kConstInit);
// bytes -> the pin test's answer, for the life of the process.
absl::flat_hash_map<int64_t, absl::Status>& PinCache()
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(pin_cache_mutex) {
  static auto* cache = new absl::flat_hash_map<int64_t, absl::Status>();
  return *cache;
}

}  // namespace

absl::StatusOr<GpuMemoryInfo> CudaGpuDevice::MemoryInfo(int device) {
  return QueryGpuMemory(device);
}

absl::Status CudaGpuDevice::PinTest(int64_t bytes) {
  if (bytes <= 0) return absl::OkStatus();
  absl::MutexLock lock(&pin_cache_mutex);
  auto cached = PinCache().find(bytes);
  if (cached != PinCache().end()) return cached->second;
  void* buffer = nullptr;
  cudaError_t err = cudaHostAlloc(&buffer, static_cast<size_t>(bytes), cudaHostAllocDefault);
  absl::Status status;
  if (err == cudaSuccess) {
    cudaFreeHost(buffer);
  } else {
    cudaGetLastError();  // an allocation failure is not sticky; clear it
    status = absl::ResourceExhaustedError(
        absl::StrCat("pin test: cudaHostAlloc of ", bytes, " bytes failed (error ",
                     static_cast<int>(err), " ", cudaGetErrorString(err), ")"));
  }
  PinCache().emplace(bytes, status);
  return status;
}

absl::Status CudaGpuDevice::Cleanup(int device) {
  cudaError_t err = cudaSetDevice(device);
  if (err == cudaSuccess) err = cudaDeviceSynchronize();
  if (err == cudaSuccess) {
    cudaMemPool_t pool;
    // FAISS allocates with cudaMalloc, but other libraries in the process (cuBLAS) may use the
    // stream-ordered pool; give its cached memory back to the driver.
    if (cudaDeviceGetDefaultMemPool(&pool, device) == cudaSuccess) cudaMemPoolTrimTo(pool, 0);
    err = cudaGetLastError();
  }
  if (err != cudaSuccess) {
    return absl::InternalError(absl::StrCat("cleanup of device ", device, ": ",
                                            cudaGetErrorString(err), " (CUDA error ",
                                            static_cast<int>(err), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<CUstream_st>> CudaGpuDevice::CreateStream(int device) {
  cudaStream_t stream = nullptr;
  cudaError_t err = cudaSetDevice(device);
  // Non-blocking: the work's copies and kernels do not serialise with the legacy default stream.
  if (err == cudaSuccess) err = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return absl::ResourceExhaustedError(absl::StrCat("creating a stream on device ", device, ": ",
                                                     cudaGetErrorString(err), " (CUDA error ",
                                                     static_cast<int>(err), ")"));
  }
  return std::shared_ptr<CUstream_st>(stream, [device](CUstream_st* s) {
    cudaSetDevice(device);
    cudaStreamSynchronize(s);
    cudaStreamDestroy(s);
  });
}

absl::StatusOr<void*> CudaGpuDevice::AllocateDevice(int device, int64_t bytes) {
  void* pointer = nullptr;
  cudaError_t err = cudaSetDevice(device);
  if (err == cudaSuccess)
    err = cudaMalloc(&pointer, static_cast<size_t>(std::max<int64_t>(bytes, 1)));
  if (err != cudaSuccess) {
    cudaGetLastError();  // an allocation error is not sticky: the next attempt starts clean
    const std::string message =
        absl::StrCat("cudaMalloc of ", bytes, " bytes on device ", device, ": ",
                     cudaGetErrorString(err), " (CUDA error ", static_cast<int>(err), ")");
    // Only running out of memory is the ladder's to handle; any other error ends the stage.
    return err == cudaErrorMemoryAllocation ? absl::ResourceExhaustedError(message)
                                            : absl::InternalError(message);
  }
  return pointer;
}

void CudaGpuDevice::FreeDevice(int device, void* pointer) {
  if (pointer == nullptr) return;
  cudaSetDevice(device);
  cudaFree(pointer);
}

}  // namespace trawl
