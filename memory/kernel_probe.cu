#include <cuda_runtime.h>

#include "memory/kernel_probe.h"

namespace trawl {
namespace {

constexpr int kMarker = 0x7472;  // "tr"

__global__ void WriteMarker(int* out) { *out = kMarker; }

}  // namespace

cudaError_t RunKernelProbe(int device) {
  cudaError_t err = cudaSetDevice(device);
  if (err != cudaSuccess) return err;
  int* marker = nullptr;
  err = cudaMalloc(&marker, sizeof(int));
  if (err != cudaSuccess) return err;
  WriteMarker<<<1, 1>>>(marker);
  err = cudaGetLastError();
  int host = 0;
  if (err == cudaSuccess) err = cudaMemcpy(&host, marker, sizeof(int), cudaMemcpyDeviceToHost);
  cudaFree(marker);
  if (err == cudaSuccess && host != kMarker) err = cudaErrorUnknown;
  return err;
}

}  // namespace trawl
