// The shipped sparse and hybrid configs end to end on the CPU: splade_files on the small
// collection in tests/testdata/sparse (scores checked by hand), splade_maxscore's agreement with
// exhaustive scoring, hybrid_rrf's three evaluations.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "pipelines/config_loader.h"
#include "pipelines/runner.h"
#include "tests/user_directory.h"

namespace trawl {
namespace {

class SparseConfigsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { UseCloneLikeUserDirectory(); }

  static PipelineRun Run(const std::string& name) { return RunShippedConfig(name); }

  static std::string ReadFile(const std::string& name) {
    std::ifstream in(::testing::TempDir() + "/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
};

TEST_F(SparseConfigsTest, SpladeFilesScoresAsComputedByHand) {
  PipelineRun run = Run("splade_files");
  EXPECT_EQ(run.report.metrics().at("eval/P_1"), 1.0);
  // q1 = {cat: 2, pu: 1}: doc-cat 2 x 120 + 80 = 320, doc-naive 2 x 70, doc-pets 2 x 60.
  // q3 = {pet: 2, cat: 1, dog: 1}: doc-pets 2 x 110 + 60 + 55 = 335. q4 = {naïve: 1}: 100.
  const std::string run_file = ReadFile("splade_files.run");
  EXPECT_EQ(run_file.substr(0, run_file.find("q2")),
            "q1 Q0 doc-cat 1 320.000000 splade\n"
            "q1 Q0 doc-naive 2 140.000000 splade\n"
            "q1 Q0 doc-pets 3 120.000000 splade\n");
  EXPECT_NE(run_file.find("q3 Q0 doc-pets 1 335.000000 splade\n"), std::string::npos);
  EXPECT_NE(run_file.find("q4 Q0 doc-naive 1 100.000000 splade\n"), std::string::npos);
}

// sparse_index_write then sparse_index_read in one pipeline: the file's index answers as the built.
TEST_F(SparseConfigsTest, AnIndexReadFromItsFileSearchesAsBuilt) {
  PipelineRun run = Run("splade_index_files");
  EXPECT_EQ(run.report.metrics().at("agreement/recall@10"), 1.0);
  std::ifstream file(::testing::TempDir() + "/splade_index_files.spx", std::ios::binary);
  EXPECT_TRUE(file.good());
}

TEST_F(SparseConfigsTest, HybridReportsEveryRun) {
  PipelineRun run = Run("hybrid_rrf");
  for (const char* metric :
       {"dense_eval/ndcg_cut_10", "sparse_eval/ndcg_cut_10", "hybrid_eval/ndcg_cut_10"}) {
    EXPECT_GT(run.report.metrics().at(metric), 0.1) << metric;
  }
}

}  // namespace
}  // namespace trawl
