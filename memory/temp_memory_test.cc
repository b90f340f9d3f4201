#include "memory/temp_memory.h"

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace trawl {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kGiB = int64_t{1} << 30;

TEST(TempMemoryTest, DefaultTableAtEveryThreshold) {
  const std::vector<std::pair<int64_t, int64_t>> cases = {
      {80000, 2048}, {16000, 2048}, {15999, 1536}, {12000, 1536}, {8000, 1024},
      {7999, 768},   {6000, 768},   {4000, 512},   {2000, 256},   {1000, 128},
      {999, 64},     {500, 64},     {499, 32},     {0, 32}};
  for (const auto& [free_mib, temp_mib] : cases) {
    EXPECT_EQ(TempMibForFreeVram(free_mib, DefaultTempTiers()), temp_mib)
        << free_mib << " MiB free";
  }
}

TEST(TempMemoryTest, FaissCapByTotalMemory) {
  EXPECT_EQ(FaissTempMemoryCapBytes(4 * kGiB), 512 * kMiB);
  EXPECT_EQ(FaissTempMemoryCapBytes(4 * kGiB + 1), kGiB);
  EXPECT_EQ(FaissTempMemoryCapBytes(8 * kGiB), kGiB);
  EXPECT_EQ(FaissTempMemoryCapBytes(80 * kGiB), 1536 * kMiB);
}

TEST(TempMemoryTest, TwentyFourGigabyteCardRequestsTwoGiBGetsOneAndAHalf) {
  TempMemoryChoice choice = ChooseTempMemory(MemoryPolicy(), 24576 * kMiB, 24576 * kMiB, 0);
  EXPECT_EQ(choice.requested_bytes, 2048 * kMiB);
  EXPECT_EQ(choice.effective_bytes, 1536 * kMiB);
}

TEST(TempMemoryTest, SmallCardIsClampedByFaiss) {
  TempMemoryChoice choice = ChooseTempMemory(MemoryPolicy(), 3500 * kMiB, 4 * kGiB, 0);
  EXPECT_EQ(choice.requested_bytes, 256 * kMiB);
  EXPECT_EQ(choice.effective_bytes, 256 * kMiB);
}

TEST(TempMemoryTest, FixedAndAutoModes) {
  MemoryPolicy fixed;
  fixed.set_temp_memory_mode(MemoryPolicy::FIXED);
  fixed.set_temp_memory_mb(3000);
  TempMemoryChoice choice = ChooseTempMemory(fixed, 20 * kGiB, 80 * kGiB, 0);
  EXPECT_EQ(choice.requested_bytes, 3000 * kMiB);
  EXPECT_EQ(choice.effective_bytes, 1536 * kMiB);

  MemoryPolicy automatic;
  automatic.set_temp_memory_mode(MemoryPolicy::AUTO_SIZE);
  EXPECT_EQ(ChooseTempMemory(automatic, 20 * kGiB, 80 * kGiB, 100 * kMiB).requested_bytes,
            100 * kMiB);
  EXPECT_EQ(ChooseTempMemory(automatic, 20 * kGiB, 80 * kGiB, 1).requested_bytes, 16 * kMiB);
  EXPECT_EQ(ChooseTempMemory(automatic, 20 * kGiB, 80 * kGiB, 9 * kGiB).requested_bytes,
            2048 * kMiB);
}

TEST(TempMemoryTest, PolicyTableReplacesTheDefault) {
  MemoryPolicy policy;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "temp_tier { min_free_mb: 0 temp_mb: 8 } temp_tier { min_free_mb: 1000 temp_mb: 100 }",
      &policy));
  EXPECT_EQ(ChooseTempMemory(policy, 2000 * kMiB, 80 * kGiB, 0).requested_bytes, 100 * kMiB);
  EXPECT_EQ(ChooseTempMemory(policy, 999 * kMiB, 80 * kGiB, 0).requested_bytes, 8 * kMiB);
}

}  // namespace
}  // namespace trawl
