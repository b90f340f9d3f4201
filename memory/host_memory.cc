#include "memory/host_memory.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace trawl {
namespace {

// The first line of `path` as a byte count; -1 for "max", a missing file or an unreadable value.
int64_t ReadBytesFile(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return -1;
  int64_t value = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &value)) return -1;
  return value;
}

}  // namespace

int64_t HostMemoryInfo::available_bytes() const {
  int64_t available = meminfo_available_bytes;
  if (cgroup_limit_bytes >= 0) {
    available = std::min(available, std::max<int64_t>(0, cgroup_limit_bytes - cgroup_usage_bytes));
  }
  return available;
}

std::string HostMemoryInfo::Describe() const {
  std::string text = absl::StrCat(FormatBytes(available_bytes()), " available (MemAvailable ",
                                  FormatBytes(meminfo_available_bytes));
  if (cgroup_limit_bytes >= 0) {
    absl::StrAppend(&text, ", cgroup limit ", FormatBytes(cgroup_limit_bytes), ", usage ",
                    FormatBytes(cgroup_usage_bytes));
  }
  return absl::StrCat(text, ")");
}

std::string FormatBytes(int64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (bytes >= (int64_t{1} << 30)) return absl::StrFormat("%.1f GiB", b / (1 << 30));
  if (bytes >= (int64_t{1} << 20)) return absl::StrFormat("%.0f MiB", b / (1 << 20));
  if (bytes >= (int64_t{1} << 10)) return absl::StrFormat("%.0f KiB", b / (1 << 10));
  return absl::StrCat(bytes, " B");
}

absl::StatusOr<HostMemoryInfo> ReadHostMemory(const HostMemorySources& sources) {
  std::ifstream meminfo(sources.meminfo);
  if (!meminfo) return absl::NotFoundError(absl::StrCat("cannot read ", sources.meminfo));
  HostMemoryInfo info;
  bool found = false;
  int line_number = 0;
  for (std::string line; std::getline(meminfo, line);) {
    ++line_number;
    if (!absl::StartsWith(line, "MemAvailable:")) continue;
    // "MemAvailable:   12345678 kB"
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    int64_t kib = 0;
    if (fields.size() != 3 || fields[2] != "kB" || !absl::SimpleAtoi(fields[1], &kib)) {
      return absl::DataLossError(absl::StrCat(sources.meminfo, ":", line_number,
                                              ": expected "
                                              "\"MemAvailable: N kB\", found \"",
                                              line, "\""));
    }
    info.meminfo_available_bytes = kib * 1024;
    found = true;
    break;
  }
  if (!found) {
    return absl::DataLossError(absl::StrCat(sources.meminfo, ": no MemAvailable line"));
  }
  int64_t limit = ReadBytesFile(sources.cgroup_v2_dir + "/memory.max");
  int64_t usage = ReadBytesFile(sources.cgroup_v2_dir + "/memory.current");
  if (limit < 0) {
    limit = ReadBytesFile(sources.cgroup_v1_dir + "/memory.limit_in_bytes");
    usage = ReadBytesFile(sources.cgroup_v1_dir + "/memory.usage_in_bytes");
    if (limit >= (int64_t{1} << 60)) limit = -1;  // v1 spells "no limit" as a huge number
  }
  info.cgroup_limit_bytes = limit;
  info.cgroup_usage_bytes = std::max<int64_t>(0, usage);
  rlimit memlock;
  if (getrlimit(RLIMIT_MEMLOCK, &memlock) == 0 && memlock.rlim_cur != RLIM_INFINITY) {
    info.memlock_limit_bytes = static_cast<int64_t>(memlock.rlim_cur);
  }
  return info;
}

}  // namespace trawl
