// A one-thread kernel that proves Trawl's CUDA code runs on a device: it fails with
// cudaErrorNoKernelImageForDevice when the build's TRAWL_CUDA_ARCHS do not cover the card.
// Thread-safe; selects `device` on the calling thread.
#ifndef TRAWL_MEMORY_KERNEL_PROBE_H_
#define TRAWL_MEMORY_KERNEL_PROBE_H_

#include <cuda_runtime_api.h>

namespace trawl {

// Runs the probe on `device`; cudaSuccess when it ran and wrote its marker back.
cudaError_t RunKernelProbe(int device);

}  // namespace trawl

#endif  // TRAWL_MEMORY_KERNEL_PROBE_H_
