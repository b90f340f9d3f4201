#include "pipelines/runner.h"

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "pipelines/config_loader.h"
#include "pipelines/values.h"

namespace trawl {
namespace {

using ::testing::HasSubstr;

constexpr char kPipeline[] = R"cfg(name: "scaled_sum"
stage {
  type: "test_source"  name: "src"  output: "out:x"
  options { [type.googleapis.com/trawl.test.TestSourceOptions] { rows: 4 dim: 3 value: 1.5 } }
}
stage {
  type: "test_scale"  name: "scale"  input: "in:x"  output: "out:y"
  options { [type.googleapis.com/trawl.test.TestScaleOptions] { factor: 2 } }
}
stage { type: "test_sum"  name: "eval"  input: "in:y"  output: "metrics:m" }
)cfg";

Pipeline Load(const std::string& text) {
  absl::StatusOr<Pipeline> pipeline = ParsePipelineText(text, "p.pbtxt");
  EXPECT_TRUE(pipeline.ok()) << pipeline.status();
  return *std::move(pipeline);
}

RunEnvironment CpuEnvironment() {
  RunEnvironment env;
  env.gpu.unavailable_reason = "no GPU in this test";
  return env;
}

TEST(RunnerTest, RunsStagesInOrderAndReportsMetricsAndTimes) {
  PipelineRun run = RunPipeline(Load(kPipeline), CpuEnvironment(), {.keep_slots = {"y"}});
  ASSERT_TRUE(run.status.ok()) << run.status;
  EXPECT_TRUE(run.report.ok());
  EXPECT_EQ(run.report.pipeline(), "scaled_sum");
  ASSERT_EQ(run.report.stage_size(), 3);
  EXPECT_EQ(run.report.stage(1).name(), "scale");
  EXPECT_EQ(run.report.stage(1).type(), "test_scale");
  EXPECT_EQ(run.report.stage(1).kind(), "TRANSFORM");
  EXPECT_GE(run.report.stage(1).wall_seconds(), 0.0);
  EXPECT_DOUBLE_EQ(run.report.metrics().at("eval/sum"), 4 * 3 * 3.0);
  EXPECT_DOUBLE_EQ(run.report.metrics().at("eval/rows"), 4);
  EXPECT_EQ(run.report.device().kind(), "cpu");
  EXPECT_EQ(run.report.device().cuda_runtime_note(), "no GPU in this test");
  const DenseMatrix* y = run.slots.at("y").As<DenseMatrix>();
  ASSERT_NE(y, nullptr);
  EXPECT_EQ(y->data, std::vector<float>(12, 3.0f));
}

TEST(RunnerTest, ValuesAreReleasedAfterTheirLastReader) {
  PipelineRun run = RunPipeline(Load(kPipeline), CpuEnvironment(), {.keep_slots = {"x", "m"}});
  ASSERT_TRUE(run.status.ok());
  EXPECT_TRUE(run.slots.contains("x"));   // kept on request
  EXPECT_TRUE(run.slots.contains("m"));   // read by no stage, but kept on request
  EXPECT_FALSE(run.slots.contains("y"));  // released after "eval"
}

TEST(RunnerTest, BadOptionsFailBeforeAnyStageRuns) {
  std::string text = kPipeline;
  text.replace(text.find("factor: 2"), 9, "factor: 0");
  PipelineRun run = RunPipeline(Load(text), CpuEnvironment());
  EXPECT_EQ(run.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(run.status.message(), "p.pbtxt:6: stage 'scale' (test_scale): factor must be non-zero");
  EXPECT_EQ(run.report.stage_size(), 0);
  EXPECT_FALSE(run.report.ok());
}

TEST(RunnerTest, FailureKeepsTheReportOfFinishedStagesAndMemoryEstimate) {
  std::string text = std::string(kPipeline) + R"cfg(
stage {
  type: "test_fail"  name: "boom"  input: "in:x"  output: "out:z"
  options { [type.googleapis.com/trawl.test.TestFailOptions] { message: "disk on fire" } }
})cfg";
  const std::string report_path = ::testing::TempDir() + "/report.json";
  PipelineRun run = RunPipeline(Load(text), CpuEnvironment(), {.report_path = report_path});
  EXPECT_EQ(run.status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(run.status.message(), "stage 'boom' (test_fail): disk on fire");
  ASSERT_EQ(run.report.stage_size(), 4);
  EXPECT_EQ(run.report.stage(3).notes().at("estimate_device_bytes"), "48");
  EXPECT_DOUBLE_EQ(run.report.metrics().at("eval/sum"), 36.0);

  std::ifstream in(report_path);
  std::stringstream json;
  json << in.rdbuf();
  RunReport parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.str(), &parsed).ok()) << json.str();
  EXPECT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error(), "stage 'boom' (test_fail): disk on fire");
  EXPECT_EQ(parsed.stage_size(), 4);
  EXPECT_DOUBLE_EQ(parsed.metrics().at("eval/sum"), 36.0);
}

TEST(RunnerTest, UnwritableReportPathIsAnError) {
  PipelineRun run =
      RunPipeline(Load(kPipeline), CpuEnvironment(), {.report_path = "/nonexistent/dir/r.json"});
  EXPECT_EQ(run.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(run.status.message()), HasSubstr("/nonexistent/dir/r.json"));
}

}  // namespace
}  // namespace trawl
