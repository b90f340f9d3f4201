#include "memory/host_memory.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace trawl {
namespace {

class HostMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(dir_ + "/v2");
    std::filesystem::create_directories(dir_ + "/v1");
    sources_.meminfo = dir_ + "/meminfo";
    sources_.cgroup_v2_dir = dir_ + "/v2";
    sources_.cgroup_v1_dir = dir_ + "/v1";
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }

  std::string dir_;
  HostMemorySources sources_;
};

TEST_F(HostMemoryTest, MemAvailableWithoutCgroupLimit) {
  Write("meminfo", "MemTotal:       32000000 kB\nMemFree:  100 kB\nMemAvailable:   2097152 kB\n");
  Write("v2/memory.max", "max\n");
  HostMemoryInfo info = *ReadHostMemory(sources_);
  EXPECT_EQ(info.meminfo_available_bytes, int64_t{2} << 30);
  EXPECT_EQ(info.cgroup_limit_bytes, -1);
  EXPECT_EQ(info.available_bytes(), int64_t{2} << 30);
  EXPECT_EQ(info.Describe(), "2.0 GiB available (MemAvailable 2.0 GiB)");
}

TEST_F(HostMemoryTest, CgroupV2LimitCapsAvailable) {
  Write("meminfo", "MemAvailable:   8388608 kB\n");
  Write("v2/memory.max", "1073741824\n");
  Write("v2/memory.current", "805306368\n");
  HostMemoryInfo info = *ReadHostMemory(sources_);
  EXPECT_EQ(info.available_bytes(), 256 << 20);
  EXPECT_EQ(info.Describe(),
            "256 MiB available (MemAvailable 8.0 GiB, cgroup limit 1.0 GiB, usage 768 MiB)");
}

TEST_F(HostMemoryTest, CgroupV1LimitIsUsedWhenV2IsAbsent) {
  Write("meminfo", "MemAvailable:   8388608 kB\n");
  Write("v1/memory.limit_in_bytes", "2147483648\n");
  Write("v1/memory.usage_in_bytes", "1073741824\n");
  EXPECT_EQ(ReadHostMemory(sources_)->available_bytes(), int64_t{1} << 30);
  Write("v1/memory.limit_in_bytes", "9223372036854771712\n");  // v1's "unlimited"
  EXPECT_EQ(ReadHostMemory(sources_)->cgroup_limit_bytes, -1);
}

TEST_F(HostMemoryTest, MalformedMemAvailableNamesFileAndLine) {
  Write("meminfo", "MemTotal: 1 kB\nMemAvailable: lots\n");
  absl::Status s = ReadHostMemory(sources_).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.message(),
            sources_.meminfo + ":2: expected \"MemAvailable: N kB\", found \"MemAvailable: lots\"");
}

TEST_F(HostMemoryTest, MissingMeminfoIsNotFound) {
  EXPECT_EQ(ReadHostMemory(sources_).status().code(), absl::StatusCode::kNotFound);
}

TEST(HostMemoryRealTest, ThisMachineHasSomeMemory) {
  absl::StatusOr<HostMemoryInfo> info = ReadHostMemory();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_GT(info->available_bytes(), 0);
}

TEST(FormatBytesTest, Units) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(64 << 20), "64 MiB");
  EXPECT_EQ(FormatBytes(int64_t{3} << 29), "1.5 GiB");
}

}  // namespace
}  // namespace trawl
