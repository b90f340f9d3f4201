// Test-only fault injection inside FAISS's own code path, for GPU tests.
//
// Linking :cuda_fault_injection into a test binary defines cudaHostAlloc and cudaMalloc in the
// executable. The dynamic linker binds every caller in the process to them (libfaiss.so included,
// since it reaches the CUDA runtime through its PLT), so an armed failure makes FAISS raise its
// real error, e.g. "failed to cudaHostAlloc 268435456 bytes for CPU <-> GPU async copy buffer
// (error 2 out of memory)". Unarmed, both forward to the CUDA runtime (dlsym RTLD_NEXT).
//
//   FailHostAlloc({.min_bytes = 256 << 20, .max_bytes = 256 << 20, .count = 1});
//   ... run; FAISS's first initialisation fails, the memory stage's ladder takes over ...
//   EXPECT_EQ(InjectedFailures(), 1);
//
// Thread-safe (a mutex guards the armed state).
#ifndef TRAWL_MEMORY_TESTING_CUDA_FAULT_INJECTION_H_
#define TRAWL_MEMORY_TESTING_CUDA_FAULT_INJECTION_H_

#include <cstdint>

namespace trawl {
namespace testing {

struct InjectedFault {
  int64_t min_bytes = 0;  // calls requesting [min_bytes, max_bytes] fail
  int64_t max_bytes = INT64_MAX;
  int count = 1;  // how many matching calls fail before the fault disarms
};

void FailHostAlloc(const InjectedFault& fault);  // cudaHostAlloc -> cudaErrorMemoryAllocation
void FailMalloc(const InjectedFault& fault);     // cudaMalloc -> cudaErrorMemoryAllocation
void DisarmFaults();
int InjectedFailures();  // failures injected since the last DisarmFaults()

}  // namespace testing
}  // namespace trawl

#endif  // TRAWL_MEMORY_TESTING_CUDA_FAULT_INJECTION_H_
