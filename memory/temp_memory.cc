#include "memory/temp_memory.h"

#include <algorithm>

namespace trawl {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kGiB = int64_t{1} << 30;
constexpr int64_t kMinimumTempBytes = 16 * kMiB;

}  // namespace

const std::vector<TempTier>& DefaultTempTiers() {
  static const std::vector<TempTier>* tiers = new std::vector<TempTier>{
      {16000, 2048}, {12000, 1536}, {8000, 1024}, {6000, 768}, {4000, 512},
      {2000, 256},   {1000, 128},   {500, 64},    {0, 32}};
  return *tiers;
}

int64_t TempMibForFreeVram(int64_t free_mib, const std::vector<TempTier>& tiers) {
  for (const TempTier& tier : tiers) {
    if (free_mib >= tier.min_free_mib) return tier.temp_mib;
  }
  return tiers.empty() ? 0 : tiers.back().temp_mib;
}

int64_t FaissTempMemoryCapBytes(int64_t total_bytes) {
  if (total_bytes <= 4 * kGiB) return 512 * kMiB;
  if (total_bytes <= 8 * kGiB) return kGiB;
  return 1536 * kMiB;
}

TempMemoryChoice ChooseTempMemory(const MemoryPolicy& policy, int64_t free_bytes,
                                  int64_t total_bytes, int64_t workload_temp_bytes) {
  std::vector<TempTier> tiers;
  for (const auto& tier : policy.temp_tier()) tiers.push_back({tier.min_free_mb(), tier.temp_mb()});
  std::sort(tiers.begin(), tiers.end(),
            [](const TempTier& a, const TempTier& b) { return a.min_free_mib > b.min_free_mib; });
  const int64_t table_bytes =
      TempMibForFreeVram(free_bytes / kMiB, tiers.empty() ? DefaultTempTiers() : tiers) * kMiB;
  TempMemoryChoice choice;
  switch (policy.temp_memory_mode()) {
    case MemoryPolicy::FIXED:
      choice.requested_bytes = policy.temp_memory_mb() * kMiB;
      break;
    case MemoryPolicy::AUTO_SIZE:
      choice.requested_bytes =
          std::min(table_bytes, std::max(kMinimumTempBytes, workload_temp_bytes));
      break;
    default:
      choice.requested_bytes = table_bytes;
  }
  choice.effective_bytes = std::min(choice.requested_bytes, FaissTempMemoryCapBytes(total_bytes));
  return choice;
}

}  // namespace trawl
