#include "memory/device_ledger.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace trawl {
namespace {

// Field 22 of /proc/PID/stat, the process's start time in clock ticks since boot; 0 when the
// process does not exist. (Field 2, the command, may hold spaces: count from its closing ')'.)
int64_t ProcessStart(int64_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(paren + 2), ' ', absl::SkipEmpty());
  int64_t start = 0;  // field 22 is the 20th after the command
  if (fields.size() < 20 || !absl::SimpleAtoi(fields[19], &start)) return 0;
  return start;
}

// Reservation ids, unique within the process (with the pid and start time, on the host).
std::atomic<int64_t> next_reservation_id{1};

}  // namespace

DeviceLedger::DeviceLedger(std::string path)
    : path_(std::move(path)), pid_(getpid()), start_(ProcessStart(getpid())) {}

DeviceLedger::~DeviceLedger() { ReleaseAll().IgnoreError(); }

bool DeviceLedger::Mine(const Line& line) const {
  return line.pid == pid_ && line.start == start_ && ids_.contains(line.id);
}

template <typename Update>
absl::Status DeviceLedger::Locked(Update&& update) {
  // An existing ledger is opened without O_CREAT: with fs.protected_regular, O_CREAT on another
  // user's file in a sticky directory (/dev/shm) fails even when its mode allows writing.
  int fd = open(path_.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) fd = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open the GPU memory ledger ", path_, ": ", std::strerror(errno)));
  }
  // Other users' runs share the ledger: the file is world-writable whatever the umask.
  fchmod(fd, 0666);
  if (flock(fd, LOCK_EX) != 0) {
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot lock the GPU memory ledger ", path_, ": ", std::strerror(errno)));
  }
  std::string text;
  char buffer[4096];
  ssize_t got;
  while ((got = read(fd, buffer, sizeof(buffer))) > 0) text.append(buffer, got);
  std::vector<Line> lines;
  for (absl::string_view row : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(row, absl::MaxSplits(' ', 5));
    Line line;
    if (f.size() < 5 || !absl::SimpleAtoi(f[0], &line.pid) ||
        !absl::SimpleAtoi(f[1], &line.start) || !absl::SimpleAtoi(f[2], &line.id) ||
        !absl::SimpleAtoi(f[3], &line.device) || !absl::SimpleAtoi(f[4], &line.bytes)) {
      continue;  // not a line this code writes: dropped
    }
    if (f.size() == 6) line.what = std::string(f[5]);
    // A reservation lives as long as its process (the same pid and start time).
    if (ProcessStart(line.pid) != line.start) continue;
    lines.push_back(std::move(line));
  }
  absl::Status status = update(lines);
  if (status.ok()) {
    std::string out;
    for (const Line& line : lines) {
      absl::StrAppend(&out, line.pid, " ", line.start, " ", line.id, " ", line.device, " ",
                      line.bytes, " ", line.what, "\n");
    }
    if (ftruncate(fd, 0) != 0 ||
        pwrite(fd, out.data(), out.size(), 0) != static_cast<ssize_t>(out.size())) {
      status = absl::UnavailableError(
          absl::StrCat("cannot write the GPU memory ledger ", path_, ": ", std::strerror(errno)));
    }
  }
  close(fd);  // releases the lock
  return status;
}

absl::StatusOr<int64_t> DeviceLedger::TryReserve(int device, int64_t bytes, int64_t capacity,
                                                 absl::string_view what) {
  int64_t id = 0;
  absl::Status status = Locked([&](std::vector<Line>& lines) {
    int64_t reserved = 0;
    for (const Line& line : lines) {
      if (line.device == device) reserved += line.bytes;
    }
    if (reserved + bytes <= capacity) {
      std::string name(what);
      for (char& c : name) {
        if (c == '\n') c = ' ';
      }
      id = next_reservation_id++;
      lines.push_back(Line{pid_, start_, id, device, bytes, std::move(name)});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (id != 0) ids_.insert(id);
  return id;
}

absl::StatusOr<std::vector<DeviceLedger::Reservation>> DeviceLedger::Others(int device) {
  std::vector<Reservation> others;
  absl::Status status = Locked([&](std::vector<Line>& lines) {
    for (const Line& line : lines) {
      if (line.device == device && !Mine(line)) {
        others.push_back(Reservation{line.pid, line.device, line.bytes, line.what});
      }
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return others;
}

absl::StatusOr<int64_t> DeviceLedger::Mine(int device) {
  int64_t mine = 0;
  absl::Status status = Locked([&](std::vector<Line>& lines) {
    for (const Line& line : lines) {
      if (line.device == device && Mine(line)) mine += line.bytes;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return mine;
}

absl::Status DeviceLedger::Release(int64_t id) {
  if (!ids_.contains(id)) return absl::OkStatus();
  absl::Status status = Locked([&](std::vector<Line>& lines) {
    lines.erase(std::remove_if(lines.begin(), lines.end(),
                               [&](const Line& line) { return Mine(line) && line.id == id; }),
                lines.end());
    return absl::OkStatus();
  });
  ids_.erase(id);
  return status;
}

absl::Status DeviceLedger::ReleaseAll() {
  if (ids_.empty()) return absl::OkStatus();
  absl::Status status = Locked([&](std::vector<Line>& lines) {
    lines.erase(
        std::remove_if(lines.begin(), lines.end(), [&](const Line& line) { return Mine(line); }),
        lines.end());
    return absl::OkStatus();
  });
  ids_.clear();
  return status;
}

}  // namespace trawl
