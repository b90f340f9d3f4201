#include "memory/gpu_probe.h"

#include <cuda_runtime_api.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "memory/kernel_probe.h"

namespace trawl {
namespace {

std::string CudaError(cudaError_t err) {
  return absl::StrCat(cudaGetErrorString(err), " (CUDA error ", static_cast<int>(err), ")");
}

}  // namespace

GpuEnvironment ProbeGpus() {
  GpuEnvironment env;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    env.unavailable_reason =
        absl::StrCat("no usable GPU: cudaGetDeviceCount failed: ", CudaError(err));
    cudaGetLastError();  // clear it: a non-sticky error must not leak into later calls
    return env;
  }
  if (count == 0) {
    env.unavailable_reason = "no usable GPU: the CUDA runtime reports 0 devices";
    return env;
  }
  std::vector<std::string> rejected;
  for (int device = 0; device < count; ++device) {
    cudaDeviceProp props;
    err = cudaGetDeviceProperties(&props, device);
    if (err == cudaSuccess) err = RunKernelProbe(device);
    if (err != cudaSuccess) {
      std::string why = CudaError(err);
      if (err == cudaErrorNoKernelImageForDevice) {
        absl::StrAppend(&why, ": Trawl was not built for this card's architecture (sm_",
                        props.major, props.minor,
                        "); rerun tools/setup.sh and bazel with "
                        "TRAWL_CUDA_ARCHS including ",
                        props.major, props.minor);
      }
      rejected.push_back(absl::StrCat("device ", device, ": ", why));
      cudaGetLastError();
      continue;
    }
    GpuDeviceInfo info;
    info.index = device;
    info.name = props.name;
    info.total_bytes = static_cast<int64_t>(props.totalGlobalMem);
    info.compute_capability = props.major * 10 + props.minor;
    env.devices.push_back(std::move(info));
  }
  if (env.devices.empty()) {
    env.unavailable_reason = absl::StrCat("no usable GPU: ", absl::StrJoin(rejected, "; "));
  }
  return env;
}

absl::StatusOr<GpuMemoryInfo> QueryGpuMemory(int device) {
  cudaError_t err = cudaSetDevice(device);
  size_t free_bytes = 0, total_bytes = 0;
  if (err == cudaSuccess) err = cudaMemGetInfo(&free_bytes, &total_bytes);
  if (err != cudaSuccess) {
    return absl::UnavailableError(
        absl::StrCat("cudaMemGetInfo on device ", device, ": ", CudaError(err)));
  }
  return GpuMemoryInfo{static_cast<int64_t>(free_bytes), static_cast<int64_t>(total_bytes)};
}

}  // namespace trawl
