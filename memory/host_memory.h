// How much host memory this process may still use: /proc/meminfo's MemAvailable, capped by the
// cgroup's limit (v2 memory.max - memory.current, or v1 memory.limit_in_bytes - usage_in_bytes),
// and RLIMIT_MEMLOCK. Reads files each call; thread-safe.
#ifndef TRAWL_MEMORY_HOST_MEMORY_H_
#define TRAWL_MEMORY_HOST_MEMORY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace trawl {

struct HostMemoryInfo {
  int64_t meminfo_available_bytes = 0;  // MemAvailable
  int64_t cgroup_limit_bytes = -1;      // -1: no limit found
  int64_t cgroup_usage_bytes = 0;
  int64_t memlock_limit_bytes = -1;  // RLIMIT_MEMLOCK; -1: unlimited
  // min(MemAvailable, cgroup limit - usage)
  int64_t available_bytes() const;
  // "7.5 GiB available (MemAvailable 9.1 GiB, cgroup limit 8.0 GiB, usage 0.5 GiB)"
  std::string Describe() const;
};

// Files read, overridable for tests.
struct HostMemorySources {
  std::string meminfo = "/proc/meminfo";
  std::string cgroup_v2_dir = "/sys/fs/cgroup";
  std::string cgroup_v1_dir = "/sys/fs/cgroup/memory";
};

// NotFound when /proc/meminfo cannot be read; DataLoss naming the file and line when it has no
// valid MemAvailable line. Missing cgroup files mean "no cgroup limit".
absl::StatusOr<HostMemoryInfo> ReadHostMemory(const HostMemorySources& sources = {});

// "1.5 GiB", "64 MiB", "512 B": for messages.
std::string FormatBytes(int64_t bytes);

}  // namespace trawl

#endif  // TRAWL_MEMORY_HOST_MEMORY_H_
