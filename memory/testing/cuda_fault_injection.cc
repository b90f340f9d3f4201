#include "memory/testing/cuda_fault_injection.h"

#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace trawl {
namespace testing {
namespace {

std::mutex fault_mutex;
InjectedFault host_fault{0, 0, 0};  // count 0: disarmed
InjectedFault device_fault{0, 0, 0};
int injected = 0;

// Consumes one failure when `fault` is armed and matches `bytes`.
bool ShouldFail(InjectedFault& fault, size_t bytes) {
  std::lock_guard<std::mutex> lock(fault_mutex);
  const int64_t size = static_cast<int64_t>(bytes);
  if (fault.count <= 0 || size < fault.min_bytes || size > fault.max_bytes) return false;
  --fault.count;
  ++injected;
  return true;
}

template <typename Fn>
Fn Next(const char* name) {
  void* symbol = dlsym(RTLD_NEXT, name);
  if (symbol == nullptr) {
    std::fprintf(stderr, "cuda_fault_injection: %s not found after the test binary\n", name);
    std::abort();
  }
  return reinterpret_cast<Fn>(symbol);
}

}  // namespace

void FailHostAlloc(const InjectedFault& fault) {
  std::lock_guard<std::mutex> lock(fault_mutex);
  host_fault = fault;
}

void FailMalloc(const InjectedFault& fault) {
  std::lock_guard<std::mutex> lock(fault_mutex);
  device_fault = fault;
}

void DisarmFaults() {
  std::lock_guard<std::mutex> lock(fault_mutex);
  host_fault.count = device_fault.count = 0;
  injected = 0;
}

int InjectedFailures() {
  std::lock_guard<std::mutex> lock(fault_mutex);
  return injected;
}

}  // namespace testing
}  // namespace trawl

// The interposed runtime entry points (C linkage, as cuda_runtime_api.h declares them).
cudaError_t CUDARTAPI cudaHostAlloc(void** ptr, size_t size, unsigned int flags) {
  using Fn = cudaError_t (*)(void**, size_t, unsigned int);
  static Fn next = trawl::testing::Next<Fn>("cudaHostAlloc");
  if (trawl::testing::ShouldFail(trawl::testing::host_fault, size))
    return cudaErrorMemoryAllocation;
  return next(ptr, size, flags);
}

cudaError_t CUDARTAPI cudaMalloc(void** ptr, size_t size) {
  using Fn = cudaError_t (*)(void**, size_t);
  static Fn next = trawl::testing::Next<Fn>("cudaMalloc");
  if (trawl::testing::ShouldFail(trawl::testing::device_fault, size))
    return cudaErrorMemoryAllocation;
  return next(ptr, size);
}
