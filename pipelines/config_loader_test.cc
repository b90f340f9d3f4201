#include "pipelines/config_loader.h"

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trawl {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A valid pipeline; tests break one line of it at a time.
constexpr char kValid[] = R"cfg(name: "ok"
stage {
  type: "test_source"
  name: "src"
  output: "out:x"
  options { [type.googleapis.com/trawl.test.TestSourceOptions] { rows: 2 dim: 3 value: 1 } }
}
stage {
  type: "test_scale"
  name: "scale"
  input: "in:x"
  output: "out:y"
}
stage { type: "test_sum" input: "in:y" output: "metrics:m" }
)cfg";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

absl::Status Error(const std::string& text) { return ParsePipelineText(text, "p.pbtxt").status(); }

TEST(ConfigLoaderTest, LoadsAValidPipelineWithBindingsOptionsAndLines) {
  absl::StatusOr<Pipeline> pipeline = ParsePipelineText(kValid, "p.pbtxt");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  ASSERT_EQ(pipeline->stages.size(), 3);
  const StageNode& src = pipeline->stages[0];
  EXPECT_EQ(src.name, "src");
  EXPECT_EQ(src.line, 2);
  EXPECT_EQ(src.outputs.at("out"), std::vector<std::string>{"x"});
  EXPECT_EQ(src.options->ShortDebugString(), "rows: 2 dim: 3 value: 1");
  EXPECT_EQ(pipeline->stages[1].inputs.at("in"), std::vector<std::string>{"x"});
  EXPECT_EQ(pipeline->stages[2].name, "test_sum");  // defaults to the type
  EXPECT_EQ(pipeline->config_sha256.size(), 64);
}

TEST(ConfigLoaderTest, HashIgnoresCommentsAndLayout) {
  std::string reformatted = "# a comment\n" + Replace(kValid, "name: \"src\"", "name:   \"src\"  ");
  EXPECT_EQ(ParsePipelineText(kValid, "a")->config_sha256,
            ParsePipelineText(reformatted, "b")->config_sha256);
  EXPECT_NE(ParsePipelineText(kValid, "a")->config_sha256,
            ParsePipelineText(Replace(kValid, "rows: 2", "rows: 3"), "b")->config_sha256);
}

TEST(ConfigLoaderTest, UnknownStageTypeNamesLineAndRegisteredTypes) {
  absl::Status s = Error(Replace(kValid, "type: \"test_scale\"", "type: \"test_scael\""));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("p.pbtxt:9: unknown stage type 'test_scael'"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("registered types: "));
  EXPECT_THAT(std::string(s.message()), HasSubstr("test_scale"));
}

TEST(ConfigLoaderTest, UnknownTypeDoesNotCascadeIntoItsReaders) {
  absl::Status s = Error(Replace(kValid, "type: \"test_scale\"", "type: \"test_scael\""));
  EXPECT_EQ(std::count(s.message().begin(), s.message().end(), '\n'), 0) << s.message();
}

TEST(ConfigLoaderTest, UnknownOptionFieldNamesLineAndValidFields) {
  absl::Status s = Error(Replace(kValid, "rows: 2", "rowz: 2"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("p.pbtxt:6:"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("no field named \"rowz\""));
  EXPECT_THAT(std::string(s.message()), HasSubstr("Its fields are: rows, dim, value."));
}

TEST(ConfigLoaderTest, OptionsOfAnotherStageAreRejected) {
  absl::Status s =
      Error(Replace(kValid, "trawl.test.TestSourceOptions] { rows: 2 dim: 3 value: 1 }",
                    "trawl.test.TestScaleOptions] { factor: 2 }"));
  EXPECT_THAT(std::string(s.message()),
              StartsWith("p.pbtxt:6: stage 'src' of type test_source takes options "
                         "[type.googleapis.com/trawl.test.TestSourceOptions]"));
}

TEST(ConfigLoaderTest, UnboundInputIsReported) {
  absl::Status s = Error(Replace(kValid, "  input: \"in:x\"\n", ""));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("p.pbtxt:8: stage 'scale': input 'in' (dense_matrix) is unbound"));
}

TEST(ConfigLoaderTest, InputFromNoEarlierStageIsReported) {
  absl::Status s = Error(Replace(kValid, "input: \"in:x\"", "input: \"in:z\""));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("p.pbtxt:11: stage 'scale': input 'in' reads slot 'z', which no earlier"));
}

TEST(ConfigLoaderTest, UnknownInputSlotListsTheStagesSlots) {
  absl::Status s = Error(Replace(kValid, "input: \"in:x\"", "input: \"inn:x\""));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("p.pbtxt:11: stage 'scale': input 'inn:x' does not name an "
                        "input of test_scale; expected \"slot:name\" with slot one "
                        "of: in (dense_matrix)"));
}

TEST(ConfigLoaderTest, TypeMismatchNamesBothSides) {
  absl::Status s =
      Error(Replace(kValid, "input: \"in:y\"", "input: \"in:m\"") +
            "stage { type: \"test_scale\" name: \"bad\" input: \"in:m\" output: \"out:w\" }\n");
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("p.pbtxt:15: stage 'bad': input 'in' expects dense_matrix but slot 'm' is "
                        "metrics (output 'metrics' of stage 'test_sum', line 14)"));
}

TEST(ConfigLoaderTest, DuplicateStageNameIsReported) {
  absl::Status s = Error(Replace(kValid, "name: \"scale\"", "name: \"src\""));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("p.pbtxt:10: duplicate stage name 'src' (first used at line 2)"));
}

TEST(ConfigLoaderTest, DuplicateSlotNameIsReported) {
  absl::Status s = Error(Replace(kValid, "output: \"out:y\"", "output: \"out:x\""));
  EXPECT_THAT(
      std::string(s.message()),
      HasSubstr("p.pbtxt:12: duplicate slot name 'x': already output by stage 'src' at line 5"));
}

TEST(ConfigLoaderTest, ASlotBoundTwiceInOneStageIsReported) {
  absl::Status s =
      Error(Replace(kValid, "output: \"out:y\"", "output: \"out:y\" output: \"out:z\""));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("p.pbtxt:12: stage 'scale': output slot 'out' is bound twice; only list "
                        "inputs take several values"));
  s = Error(Replace(kValid, "input: \"in:x\"", "input: \"in:x\" input: \"in:x\""));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("p.pbtxt:11: stage 'scale': input slot 'in' is bound twice"));
}

TEST(ConfigLoaderTest, ReportsEveryProblemOnItsOwnLine) {
  std::string text = Replace(Replace(kValid, "name: \"scale\"", "name: \"src\""), "input: \"in:y\"",
                             "input: \"in:nope\"");
  absl::Status s = Error(text);
  EXPECT_EQ(std::count(s.message().begin(), s.message().end(), '\n'), 1) << s.message();
}

TEST(ConfigLoaderTest, SyntaxErrorNamesLineAndColumn) {
  absl::Status s = Error(Replace(kValid, "name: \"ok\"", "name: ok\"\n  bogus"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("p.pbtxt:1:7: "));
}

TEST(ConfigLoaderTest, EmptyPipelineIsRejected) {
  EXPECT_THAT(std::string(Error("name: \"empty\"").message()),
              HasSubstr("the pipeline has no stages"));
}

TEST(ConfigLoaderTest, MissingFileIsNotFound) {
  absl::Status s = LoadPipelineFile("/nonexistent/p.pbtxt").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr("/nonexistent/p.pbtxt"));
}

TEST(ConfigLoaderTest, RelativePathsResolveAgainstBuildWorkingDirectory) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/rel.pbtxt") << kValid;
  setenv("BUILD_WORKING_DIRECTORY", dir.c_str(), 1);
  absl::StatusOr<Pipeline> pipeline = LoadPipelineFile("rel.pbtxt");
  unsetenv("BUILD_WORKING_DIRECTORY");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  EXPECT_EQ(pipeline->source, dir + "/rel.pbtxt");
}

}  // namespace
}  // namespace trawl
