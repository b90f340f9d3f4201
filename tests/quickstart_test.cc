// The shipped quickstart config, end to end on the CPU: it validates, runs, writes its run file
// and report, and Flat search recovers the exact neighbours.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "pipelines/config_loader.h"
#include "pipelines/runner.h"

namespace trawl {
namespace {

TEST(QuickstartTest, RunsOnTheCpuWithFullRecall) {
  // Run from a scratch directory as a user would: relative outputs land there.
  setenv("BUILD_WORKING_DIRECTORY", ::testing::TempDir().c_str(), 1);
  absl::StatusOr<Pipeline> pipeline =
      LoadPipelineFile(std::string(std::getenv("TEST_SRCDIR")) + "/trawl/configs/quickstart.pbtxt");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  RunEnvironment env;
  PipelineRun run = RunPipeline(*pipeline, env, {.report_path = "report.json"});
  ASSERT_TRUE(run.status.ok()) << run.status;

  EXPECT_EQ(run.report.device().kind(), "cpu");
  // Flat search is exact up to float rounding of near-equal distances.
  EXPECT_GE(run.report.metrics().at("eval/recall@10"), 0.999);
  EXPECT_GE(run.report.metrics().at("eval/recall@1"), 0.999);
  EXPECT_EQ(run.report.stage(1).device(), "cpu");

  std::ifstream report(::testing::TempDir() + "/report.json");
  std::stringstream json;
  json << report.rdbuf();
  RunReport parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.str(), &parsed).ok());
  EXPECT_EQ(parsed.pipeline(), "quickstart");
  EXPECT_EQ(parsed.stage_size(), 8);
  EXPECT_GE(parsed.metrics().at("ir_eval/nDCG@10"), 0.999);
  EXPECT_GE(parsed.metrics().at("ir_eval/RR@10"), 0.999);

  std::ifstream run_file(::testing::TempDir() + "/quickstart.run");
  int64_t lines = 0;
  for (std::string line; std::getline(run_file, line);) ++lines;
  EXPECT_EQ(lines, 1000 * 100);
}

}  // namespace
}  // namespace trawl
