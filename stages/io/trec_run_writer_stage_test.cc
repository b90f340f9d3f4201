#include <fstream>
#include <limits>
#include <sstream>

#include "gtest/gtest.h"
#include "pipelines/stage_test_runner.h"
#include "pipelines/values.h"

namespace trawl {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(TrecRunWriterStageTest, WritesSixColumnLinesAndSkipsMissingResults) {
  const std::string path = ::testing::TempDir() + "/out.run";
  absl::StatusOr<StageTestRunner> runner = StageTestRunner::Create(
      R"pb(type: "trec_run_writer"
           options { [type.googleapis.com/trawl.io.TrecRunWriterOptions] { path: ")pb" + path +
      R"pb(" tag: "flat" } })pb");
  ASSERT_TRUE(runner.ok()) << runner.status();
  RankedLists results;
  results.num_queries = 2;
  results.k = 2;
  results.query_ids = {10, 11};
  results.ids = {7, 3, 5, -1};
  results.scores = {-0.5f, -1.25f, 2.0f, -std::numeric_limits<float>::infinity()};
  runner->SetInput("results", results);
  ASSERT_TRUE(runner->Run().ok());
  EXPECT_EQ(ReadFile(path),
            "10 Q0 7 1 -0.500000 flat\n"
            "10 Q0 3 2 -1.250000 flat\n"
            "11 Q0 5 1 2.000000 flat\n");
}

TEST(TrecRunWriterStageTest, UnwritablePathNamesTheFile) {
  absl::StatusOr<StageTestRunner> runner = StageTestRunner::Create(R"pb(
    type: "trec_run_writer"
    options { [type.googleapis.com/trawl.io.TrecRunWriterOptions] { path: "/nonexistent/x.run" } })pb");
  ASSERT_TRUE(runner.ok());
  runner->SetInput("results", RankedLists{});
  absl::Status s = runner->Run();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "cannot write run file '/nonexistent/x.run.tmp'");
}

TEST(TrecRunWriterStageTest, MissingPathAndBadTagAreRejectedAtOpen) {
  EXPECT_EQ(StageTestRunner::Create(R"pb(type: "trec_run_writer")pb").status().message(),
            "path is required");
  EXPECT_EQ(StageTestRunner::Create(R"pb(
              type: "trec_run_writer"
              options {
                [type.googleapis.com/trawl.io.TrecRunWriterOptions] { path: "a" tag: "two words" }
              })pb")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trawl
