// Every shipped config and sweep loads: its stages exist, its options parse and pass Open, its
// slots connect. (Running them is for the configs' own tests and the GPU bundle; several generate
// 100k-1M vectors.)
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "pipelines/config_loader.h"

namespace trawl {
namespace {

TEST(ConfigsLoadTest, EveryShippedPipelineLoads) {
  const std::string dir = std::string(std::getenv("TEST_SRCDIR")) + "/trawl/configs";
  int loaded = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".pbtxt") continue;
    absl::StatusOr<Pipeline> pipeline = LoadPipelineFile(entry.path().string());
    EXPECT_TRUE(pipeline.ok()) << entry.path() << ": " << pipeline.status();
    ++loaded;
  }
  EXPECT_GE(loaded, 13);
}

}  // namespace
}  // namespace trawl
