// Every shipped config and sweep passes what `trawl validate` checks, each by name: it loads (its
// stages exist, its options parse, its slots connect), every stage's Open accepts its options (the
// checks that need no data), and its outputs may be written where they go (pipelines/runner.h,
// CheckFileUses), from a directory that holds tests/testdata as a fresh clone does. Sweeps expand
// and validate every point. (Running them is for the configs' own tests and the GPU bundle.) A
// config added to configs/ without a line here fails the last test.
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "pipelines/config_loader.h"
#include "pipelines/files.h"
#include "pipelines/runner.h"
#include "tests/user_directory.h"
#include "tools/sweep/sweep.pb.h"
#include "tools/sweep/sweep_runner.h"

namespace trawl {
namespace {

const std::string kConfigs[] = {
    "bm25_cranfield", "bm25_rm3_cranfield", "dense_bvecs",        "dense_flat",
    "dense_fvecs",    "dense_hdf5",         "dense_hnsw",         "dense_ivf",
    "dense_ivf_1m",   "dense_ivfpq",        "dense_ivfpq_1m",     "dense_jsonl",
    "dense_npy",      "dense_sq8",          "hybrid_bm25_dense",  "hybrid_rrf",
    "quickstart",     "splade_files",       "splade_index_files", "splade_maxscore",
};
const std::string kSweeps[] = {"ivf_nprobe", "ivf_nprobe_1m", "ivfpq_nprobe_1m"};

std::string ConfigDir() { return std::string(std::getenv("TEST_SRCDIR")) + "/trawl/configs"; }

class ShippedConfigTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { UseCloneLikeUserDirectory(); }
};

TEST_P(ShippedConfigTest, PassesValidate) {
  absl::StatusOr<Pipeline> pipeline = LoadPipelineFile(ConfigDir() + "/" + GetParam() + ".pbtxt");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  absl::StatusOr<std::vector<std::unique_ptr<StageBase>>> stages = OpenStages(*pipeline);
  ASSERT_TRUE(stages.ok()) << stages.status();
  EXPECT_TRUE(CheckFileUses(*pipeline, *stages, "trawl_report.json").ok())
      << CheckFileUses(*pipeline, *stages, "trawl_report.json");
}

INSTANTIATE_TEST_SUITE_P(Configs, ShippedConfigTest, ::testing::ValuesIn(kConfigs));

class ShippedSweepTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { UseCloneLikeUserDirectory(); }
};

TEST_P(ShippedSweepTest, ExpandsAndEveryPointPassesValidate) {
  const std::string path = ConfigDir() + "/sweeps/" + GetParam() + ".pbtxt";
  absl::StatusOr<std::string> text = ReadWholeFile(path, 1 << 20);
  ASSERT_TRUE(text.ok()) << text.status();
  sweep::SweepConfig sweep;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(*text, &sweep)) << path;
  absl::StatusOr<std::vector<SweepPoint>> points =
      ExpandSweep(sweep, std::filesystem::path(path).parent_path().string());
  ASSERT_TRUE(points.ok()) << points.status();
  EXPECT_GE(points->size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Sweeps, ShippedSweepTest, ::testing::ValuesIn(kSweeps));

TEST(ShippedConfigsTest, EveryFileInConfigsIsListedHere) {
  std::set<std::string> listed(std::begin(kConfigs), std::end(kConfigs));
  for (const std::string& sweep : kSweeps) listed.insert("sweeps/" + sweep);
  std::set<std::string> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(ConfigDir())) {
    if (entry.path().extension() != ".pbtxt") continue;
    // The runfiles are links: the name inside configs/, not where the link points.
    std::string name = entry.path().string().substr(ConfigDir().size() + 1);
    found.insert(name.substr(0, name.size() - 6));
  }
  EXPECT_EQ(found, listed);
}

}  // namespace
}  // namespace trawl
