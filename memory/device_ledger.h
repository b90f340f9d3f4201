// DeviceLedger: the device memory that Trawl runs on this host have reserved, per GPU, so that
// several processes sharing a card plan around each other: a run reserves before it allocates, and
// waits for or steps around what the others hold, instead of all allocating at once and failing.
//
// One small text file, by default /dev/shm/trawl-gpu-ledger, holds a line per reservation:
//   "<pid> <process start time> <reservation id> <device> <bytes> <what>"
// Every read-modify-write holds flock(LOCK_EX) on the file, so processes (and several ledgers in
// one process) see each other's reservations atomically. A reservation lasts until its ledger
// releases it (Release, ReleaseAll, or destruction) or its process ends: lines whose process is
// gone, or whose pid now names another process (its start time differs), are dropped by the next
// reader, so a crashed run's memory comes back by itself. Linux only (flock, /proc).
//
// Thread-compatible: the file lock serialises ledgers and processes; one ledger is used by one
// thread at a time.
#ifndef TRAWL_MEMORY_DEVICE_LEDGER_H_
#define TRAWL_MEMORY_DEVICE_LEDGER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace trawl {

class DeviceLedger {
 public:
  // The default file: /dev/shm is shared by every process on the host and gone at reboot.
  static constexpr char kDefaultPath[] = "/dev/shm/trawl-gpu-ledger";

  explicit DeviceLedger(std::string path = kDefaultPath);
  DeviceLedger(const DeviceLedger&) = delete;
  DeviceLedger& operator=(const DeviceLedger&) = delete;
  ~DeviceLedger();  // releases this ledger's reservations

  struct Reservation {
    int64_t pid = 0;
    int device = 0;
    int64_t bytes = 0;
    std::string what;  // the stage, for "waiting for ... held by ..." lines
  };

  // Reserves `bytes` on `device` when every live reservation there (this ledger's included) plus
  // `bytes` stays within `capacity`. Returns the reservation's id, or 0 when it did not reserve.
  // Unavailable when the file cannot be opened, locked or written.
  absl::StatusOr<int64_t> TryReserve(int device, int64_t bytes, int64_t capacity,
                                     absl::string_view what);

  // The live reservations of other ledgers (other processes, or other ledgers of this one).
  absl::StatusOr<std::vector<Reservation>> Others(int device);
  // Bytes this ledger holds reserved on `device`.
  absl::StatusOr<int64_t> Mine(int device);

  // Releases one reservation (an id TryReserve returned), or every one this ledger made.
  absl::Status Release(int64_t id);
  absl::Status ReleaseAll();

  const std::string& path() const { return path_; }

 private:
  struct Line {
    int64_t pid = 0;
    int64_t start = 0;  // the process's start time (/proc/PID/stat), against pid reuse
    int64_t id = 0;
    int device = 0;
    int64_t bytes = 0;
    std::string what;
  };

  // Runs `update` on the live lines under the file lock, then writes them back when it returns
  // true.
  template <typename Update>
  absl::Status Locked(Update&& update);

  bool Mine(const Line& line) const;

  std::string path_;
  int64_t pid_;
  int64_t start_;
  absl::flat_hash_set<int64_t> ids_;  // this ledger's reservations
};

}  // namespace trawl

#endif  // TRAWL_MEMORY_DEVICE_LEDGER_H_
