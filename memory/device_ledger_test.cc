#include "memory/device_ledger.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace trawl {
namespace {

std::string LedgerPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

TEST(DeviceLedgerTest, EveryReservationCountsAgainstTheCapacity) {
  const std::string path = LedgerPath("shared");
  DeviceLedger a(path), b(path);
  const int64_t first = *a.TryReserve(0, 60, 100, "stage 'index' (faiss_index_build)");
  EXPECT_GT(first, 0);
  EXPECT_EQ(*b.TryReserve(0, 50, 100, "b"), 0);  // 60 + 50 > 100
  EXPECT_GT(*b.TryReserve(1, 50, 100, "b"), 0);  // another device
  EXPECT_GT(*b.TryReserve(0, 40, 100, "b"), 0);
  // A ledger's own reservations count too: its data holds that memory.
  EXPECT_EQ(*a.TryReserve(0, 10, 100, "a again"), 0);
  EXPECT_EQ(*a.Mine(0), 60);
  std::vector<DeviceLedger::Reservation> others = *b.Others(0);
  ASSERT_EQ(others.size(), 1);
  EXPECT_EQ(others[0].pid, getpid());
  EXPECT_EQ(others[0].bytes, 60);
  EXPECT_EQ(others[0].what, "stage 'index' (faiss_index_build)");
  // Releasing one reservation leaves the others.
  ASSERT_TRUE(a.Release(first).ok());
  EXPECT_TRUE(b.Others(0)->empty());
  EXPECT_EQ(*b.Mine(0), 40);
  EXPECT_EQ(*b.Mine(1), 50);
  EXPECT_GT(*a.TryReserve(0, 60, 100, "a"), 0);
  ASSERT_TRUE(b.ReleaseAll().ok());
  EXPECT_TRUE(a.Others(0)->empty());
}

TEST(DeviceLedgerTest, AnEndedProcessesReservationsExpire) {
  const std::string path = LedgerPath("crash");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    DeviceLedger ledger(path);
    const bool reserved = *ledger.TryReserve(0, 70, 100, "child") > 0;
    _exit(reserved ? 0 : 1);  // no destructor: as if it crashed holding the reservation
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // The line is still in the file, but its process is gone: it no longer counts.
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line.substr(0, line.find(' ')), std::to_string(child));
  DeviceLedger parent(path);
  EXPECT_TRUE(parent.Others(0)->empty());
  EXPECT_GT(*parent.TryReserve(0, 90, 100, "parent"), 0);
}

TEST(DeviceLedgerTest, LinesItDidNotWriteAreDropped) {
  const std::string path = LedgerPath("garbage");
  std::ofstream(path) << "not a reservation\n1 2\n";
  DeviceLedger ledger(path);
  EXPECT_TRUE(ledger.Others(0)->empty());
  EXPECT_GT(*ledger.TryReserve(0, 100, 100, "x"), 0);
}

TEST(DeviceLedgerTest, AnUnusablePathIsAnError) {
  DeviceLedger ledger("/nonexistent-dir/ledger");
  absl::StatusOr<int64_t> reserved = ledger.TryReserve(0, 1, 100, "x");
  EXPECT_EQ(reserved.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(reserved.status().message(),
            "cannot open the GPU memory ledger /nonexistent-dir/ledger: No such file or directory");
}

}  // namespace
}  // namespace trawl
