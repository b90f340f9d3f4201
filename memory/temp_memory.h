// FAISS temp-memory sizing: the tier table (free VRAM -> requested size), FAISS's own cap by the
// card's total memory, and the policy's modes. Pure functions; thread-safe.
//
// Default table (the seed's), free VRAM in MiB as cudaMemGetInfo reports it at that moment:
//   >= 16000 -> 2048 MiB, >= 12000 -> 1536, >= 8000 -> 1024, >= 6000 -> 768, >= 4000 -> 512,
//   >= 2000 -> 256, >= 1000 -> 128, >= 500 -> 64, else 32.
// FAISS 1.7.3 (StandardGpuResources.cpp, getDefaultTempMemForGPU) then clamps any request to
// 512 MiB on cards with <= 4 GiB, 1 GiB on cards with <= 8 GiB and 1.5 GiB above: a 2 GiB request
// is effectively 1.5 GiB, and the report says both.
#ifndef TRAWL_MEMORY_TEMP_MEMORY_H_
#define TRAWL_MEMORY_TEMP_MEMORY_H_

#include <cstdint>
#include <vector>

#include "pipelines/pipeline.pb.h"

namespace trawl {

struct TempTier {
  int64_t min_free_mib;
  int64_t temp_mib;
};

// The default table above, largest threshold first.
const std::vector<TempTier>& DefaultTempTiers();

// The temp size (MiB) of the first tier whose threshold `free_mib` reaches; the last tier's size
// below every threshold. `tiers` must be sorted by min_free_mib, largest first.
int64_t TempMibForFreeVram(int64_t free_mib, const std::vector<TempTier>& tiers);

// FAISS's clamp for a card with `total_bytes` of memory.
int64_t FaissTempMemoryCapBytes(int64_t total_bytes);

struct TempMemoryChoice {
  int64_t requested_bytes = 0;  // from the table, the fixed size, or the workload
  int64_t effective_bytes = 0;  // what FAISS will really reserve
};

// Applies the policy's mode: TABLE (the tier for free VRAM), FIXED (temp_memory_mb), AUTO_SIZE
// (what the workload needs, at least 16 MiB, at most the table's tier); then FAISS's clamp.
// The policy's own tier table (temp_tier) replaces the default when set.
TempMemoryChoice ChooseTempMemory(const MemoryPolicy& policy, int64_t free_bytes,
                                  int64_t total_bytes, int64_t workload_temp_bytes);

}  // namespace trawl

#endif  // TRAWL_MEMORY_TEMP_MEMORY_H_
