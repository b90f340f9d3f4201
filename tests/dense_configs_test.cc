// The shipped reader configs (configs/dense_<format>.pbtxt) end to end on the CPU, from a user's
// directory that holds tests/testdata/dense as a fresh clone does: each reads its files, finds the
// exact neighbours (the generator's float64 ground truth) and writes a run file with the files'
// ids.
#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "pipelines/config_loader.h"
#include "pipelines/runner.h"
#include "tests/user_directory.h"

namespace trawl {
namespace {

class DenseConfigsTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { UseCloneLikeUserDirectory(); }
};

TEST_P(DenseConfigsTest, RunsWithExactRecall) {
  const std::string name = GetParam();
  PipelineRun run = RunShippedConfig(name);
  ASSERT_TRUE(run.status.ok()) << run.status;
  // Integer (bvecs) distances tie: FAISS may keep another of the tied rows at rank 10.
  EXPECT_GE(run.report.metrics().at("eval/recall@10"), name == "dense_bvecs" ? 0.99 : 1.0);
  EXPECT_EQ(run.report.metrics().at("eval/recall@1"), 1.0);

  std::ifstream run_file(::testing::TempDir() + "/" + name + ".run");
  std::string first;
  int lines = 0;
  for (std::string line; std::getline(run_file, line); ++lines) {
    if (lines == 0) first = line;
  }
  EXPECT_EQ(lines, 20 * 10);
  // JSON lines carry their own ids into the run; the binary formats number rows from 0.
  EXPECT_EQ(first.rfind(name == "dense_jsonl" ? "1000 Q0 doc-" : "0 Q0 ", 0), 0u) << first;
}

INSTANTIATE_TEST_SUITE_P(Formats, DenseConfigsTest,
                         ::testing::Values("dense_fvecs", "dense_bvecs", "dense_npy", "dense_hdf5",
                                           "dense_jsonl"));

}  // namespace
}  // namespace trawl
