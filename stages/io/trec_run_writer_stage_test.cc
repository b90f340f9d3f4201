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
      R"cfg(type: "trec_run_writer"
           options { [type.googleapis.com/trawl.io.TrecRunWriterOptions] { path: ")cfg" +
      path + R"cfg(" tag: "flat" } })cfg");
  ASSERT_TRUE(runner.ok()) << runner.status();
  RankedLists results;
  results.num_queries = 2;
  results.k = 2;
  results.query_ids = IdTable::Of({"MED-10", "PLAIN-2"});
  results.doc_ids = IdTable::Of({"d0", "d1", "d2", "d3", "d4", "d5", "d6", "CR#93E-1860"});
  results.doc_rows = {7, 3, 5, -1};
  results.scores = {-0.5f, -1.25f, 2.0f, -std::numeric_limits<float>::infinity()};
  runner->SetInput("results", results);
  ASSERT_TRUE(runner->Run().ok());
  EXPECT_EQ(ReadFile(path),
            "MED-10 Q0 CR#93E-1860 1 -0.500000 flat\n"
            "MED-10 Q0 d3 2 -1.250000 flat\n"
            "PLAIN-2 Q0 d5 1 2.000000 flat\n");
}

TEST(TrecRunWriterStageTest, MsMarcoFormatHasThreeTabSeparatedColumns) {
  const std::string path = ::testing::TempDir() + "/out.tsv";
  absl::StatusOr<StageTestRunner> runner = StageTestRunner::Create(
      R"cfg(type: "trec_run_writer"
           options { [type.googleapis.com/trawl.io.TrecRunWriterOptions] { path: ")cfg" +
      path + R"cfg(" format: MSMARCO } })cfg");
  ASSERT_TRUE(runner.ok()) << runner.status();
  RankedLists results;
  results.num_queries = 1;
  results.k = 3;
  results.query_ids = IdTable::Of({"1048585"});
  results.doc_ids = IdTable::Of({"7187158", "7187157"});
  results.doc_rows = {1, 0, -1};
  results.scores = {3.5f, 1.0f, -std::numeric_limits<float>::infinity()};
  runner->SetInput("results", results);
  ASSERT_TRUE(runner->Run().ok());
  EXPECT_EQ(ReadFile(path), "1048585\t7187157\t1\n1048585\t7187158\t2\n");
}

TEST(TrecRunWriterStageTest, UnwritablePathNamesTheFile) {
  absl::StatusOr<StageTestRunner> runner = StageTestRunner::Create(R"cfg(
    type: "trec_run_writer"
    options { [type.googleapis.com/trawl.io.TrecRunWriterOptions] { path: "/nonexistent/x.run" } })cfg");
  ASSERT_TRUE(runner.ok());
  runner->SetInput("results", RankedLists{});
  absl::Status s = runner->Run();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "cannot write run file '/nonexistent/x.run': creating a file in '/nonexistent' "
            "failed: No such file or directory");
}

TEST(TrecRunWriterStageTest, MissingPathAndBadTagAreRejectedAtOpen) {
  EXPECT_EQ(StageTestRunner::Create(R"cfg(type: "trec_run_writer")cfg").status().message(),
            "path is required");
  EXPECT_EQ(StageTestRunner::Create(R"cfg(
              type: "trec_run_writer"
              options {
                [type.googleapis.com/trawl.io.TrecRunWriterOptions] { path: "a" tag: "two words" }
              })cfg")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trawl
