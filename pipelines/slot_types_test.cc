// Value types declared outside pipelines/, list inputs and contracts that depend on options: all
// defined in this test target, wired from configs through the real loader and runner.
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pipelines/config_loader.h"
#include "pipelines/registry.h"
#include "pipelines/runner.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/test_stages.pb.h"
#include "pipelines/values.h"

namespace trawl {

// Two value types of the same shape: only their C++ types tell them apart.
struct Celsius {
  std::vector<float> degrees;
};
struct Fahrenheit {
  std::vector<float> degrees;
};
template <>
struct SlotTraits<Celsius> {
  static constexpr char kName[] = "test_celsius";
};
template <>
struct SlotTraits<Fahrenheit> {
  static constexpr char kName[] = "test_fahrenheit";
};

// A third type, wrongly reusing Celsius's name: the registry refuses it.
struct OtherCelsius {};
template <>
struct SlotTraits<OtherCelsius> {
  static constexpr char kName[] = "test_celsius";
};

namespace {

using ::testing::HasSubstr;

// Outputs `value` degrees Celsius, `rows` times (TestSourceOptions).
class CelsiusSourceStage : public Stage<test::TestSourceOptions> {
 public:
  static constexpr char kType[] = "test_celsius_source";
  static StageContract Contract() {
    return {StageKind::kSource, {}, {SlotSpec::Of<Celsius>("out")}};
  }
  absl::Status Open(const test::TestSourceOptions& options) override {
    options_ = options;
    return absl::OkStatus();
  }
  absl::Status Run(StageContext& ctx) override {
    return ctx.SetOutput("out", Celsius{std::vector<float>(options_.rows(), options_.value())});
  }

 private:
  test::TestSourceOptions options_;
};
TRAWL_REGISTER_STAGE(CelsiusSourceStage);

class FahrenheitSourceStage : public Stage<test::TestSumOptions> {
 public:
  static constexpr char kType[] = "test_fahrenheit_source";
  static StageContract Contract() {
    return {StageKind::kSource, {}, {SlotSpec::Of<Fahrenheit>("out")}};
  }
  absl::Status Run(StageContext& ctx) override { return ctx.SetOutput("out", Fahrenheit{{212}}); }
};
TRAWL_REGISTER_STAGE(FahrenheitSourceStage);

// Concatenates the list input "parts" in binding order; with `with_offset`, its contract gains
// the input "offset" whose first value is added to every degree.
class ConcatStage : public Stage<test::TestConcatOptions> {
 public:
  static constexpr char kType[] = "test_concat";
  static StageContract Contract(const test::TestConcatOptions& options) {
    StageContract contract{StageKind::kTransform,
                           {SlotSpec::ListOf<Celsius>("parts")},
                           {SlotSpec::Of<Celsius>("out"), SlotSpec::Of<Metrics>("metrics")}};
    if (options.with_offset()) contract.inputs.push_back(SlotSpec::Of<Celsius>("offset"));
    return contract;
  }
  absl::Status Open(const test::TestConcatOptions& options) override {
    with_offset_ = options.with_offset();
    return absl::OkStatus();
  }
  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(std::vector<const Celsius*> parts, ctx.Inputs<Celsius>("parts"));
    float offset = 0;
    if (with_offset_) {
      ASSIGN_OR_RETURN(const Celsius* extra, ctx.Input<Celsius>("offset"));
      offset = extra->degrees.at(0);
    }
    Celsius out;
    for (const Celsius* part : parts) {
      for (float d : part->degrees) out.degrees.push_back(d + offset);
    }
    Metrics metrics;
    // A positional checksum: sum of (position + 1) * degree, so order matters.
    double weighted = 0;
    for (size_t i = 0; i < out.degrees.size(); ++i) weighted += (i + 1) * out.degrees[i];
    metrics.values.emplace_back("weighted", weighted);
    RETURN_IF_ERROR(ctx.SetOutput("metrics", std::move(metrics)));
    return ctx.SetOutput("out", std::move(out));
  }

 private:
  bool with_offset_ = false;
};
TRAWL_REGISTER_STAGE(ConcatStage);

// "bonus" is optional: bound, its first degree is added; unbound, nothing is.
class BonusStage : public Stage<test::TestSumOptions> {
 public:
  static constexpr char kType[] = "test_bonus";
  static StageContract Contract() {
    return {StageKind::kTransform,
            {SlotSpec::Of<Celsius>("in"), SlotSpec::OptionalOf<Celsius>("bonus")},
            {SlotSpec::Of<Celsius>("out")}};
  }
  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const Celsius* in, ctx.Input<Celsius>("in"));
    Celsius out = *in;
    if (ctx.HasInput("bonus")) {
      ASSIGN_OR_RETURN(const Celsius* bonus, ctx.Input<Celsius>("bonus"));
      for (float& d : out.degrees) d += bonus->degrees.at(0);
    }
    return ctx.SetOutput("out", std::move(out));
  }
};
TRAWL_REGISTER_STAGE(BonusStage);

constexpr char kSources[] = R"cfg(
  name: "temperatures"
  stage {
    type: "test_celsius_source" name: "a" output: "out:a"
    options { [type.googleapis.com/trawl.test.TestSourceOptions] { rows: 1 value: 10 } }
  }
  stage {
    type: "test_celsius_source" name: "b" output: "out:b"
    options { [type.googleapis.com/trawl.test.TestSourceOptions] { rows: 2 value: 20 } }
  }
  stage { type: "test_fahrenheit_source" name: "f" output: "out:f" }
)cfg";

absl::StatusOr<Pipeline> Load(const std::string& stages) {
  return ParsePipelineText(std::string(kSources) + stages, "t.pbtxt");
}

TEST(SlotTypesTest, ValuesCheckTheirCppType) {
  SlotValue value = SlotValue::Of(Celsius{{1}});
  EXPECT_NE(value.As<Celsius>(), nullptr);
  EXPECT_EQ(value.As<Fahrenheit>(), nullptr);  // same shape, another type
  EXPECT_EQ(value.type().name(), "test_celsius");
  EXPECT_NE(SlotType::Of<Celsius>(), SlotType::Of<Fahrenheit>());
}

TEST(SlotTypesTest, ATestValueTypeFlowsBetweenStagesInOrder) {
  absl::StatusOr<Pipeline> pipeline =
      Load(R"cfg(stage { type: "test_concat" input: "parts:b" input: "parts:a"
                        output: "out:all" output: "metrics:m" })cfg");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  PipelineRun run = RunPipeline(*pipeline, RunEnvironment{}, {.keep_slots = {"all"}});
  ASSERT_TRUE(run.status.ok()) << run.status;
  // b then a: 20, 20, 10.
  EXPECT_EQ(run.slots.at("all").As<Celsius>()->degrees, (std::vector<float>{20, 20, 10}));
  EXPECT_DOUBLE_EQ(run.report.metrics().at("test_concat/weighted"), 1 * 20 + 2 * 20 + 3 * 10);
}

TEST(SlotTypesTest, LoaderRejectsAnotherTypeOfTheSameShape) {
  absl::Status status =
      Load(
          R"cfg(stage { type: "test_concat" input: "parts:a" input: "parts:f" output: "out:x" })cfg")
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("t.pbtxt:12: stage 'test_concat': input 'parts' expects test_celsius but "
                        "slot 'f' is test_fahrenheit (output 'out' of stage 'f', line 11)"));
}

TEST(SlotTypesTest, OnlyListInputsTakeSeveralValues) {
  absl::Status status = Load(R"cfg(stage {
    type: "test_concat" input: "parts:a"
    input: "offset:a" input: "offset:b" output: "out:x"
    options { [type.googleapis.com/trawl.test.TestConcatOptions] { with_offset: true } }
  })cfg")
                            .status();
  EXPECT_THAT(
      std::string(status.message()),
      HasSubstr("input slot 'offset' is bound twice; only list inputs take several values"));
}

TEST(SlotTypesTest, TheContractFollowsTheOptions) {
  // Without the option, "offset" is not an input at all.
  absl::Status status = Load(R"cfg(stage {
    type: "test_concat" input: "parts:a" input: "offset:b" output: "out:x"
  })cfg")
                            .status();
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("input 'offset:b' does not name an input of test_concat; expected "
                        "\"slot:name\" with slot one of: parts (test_celsius, list)"));
  // With it, "offset" is required...
  status = Load(R"cfg(stage {
    type: "test_concat" input: "parts:a" output: "out:x"
    options { [type.googleapis.com/trawl.test.TestConcatOptions] { with_offset: true } }
  })cfg")
               .status();
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("input 'offset' (test_celsius) is unbound; add `input: \"offset:SLOT\"`"));
  // ...and used.
  absl::StatusOr<Pipeline> pipeline = Load(R"cfg(stage {
    type: "test_concat" input: "parts:a" input: "offset:b" output: "out:x"
    options { [type.googleapis.com/trawl.test.TestConcatOptions] { with_offset: true } }
  })cfg");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  PipelineRun run = RunPipeline(*pipeline, RunEnvironment{}, {.keep_slots = {"x"}});
  ASSERT_TRUE(run.status.ok()) << run.status;
  EXPECT_EQ(run.slots.at("x").As<Celsius>()->degrees, (std::vector<float>{30}));
}

TEST(SlotTypesTest, OptionalInputsMayBeLeftUnbound) {
  for (const bool bound : {false, true}) {
    absl::StatusOr<Pipeline> pipeline = Load(
        bound
            ? R"cfg(stage { type: "test_bonus" input: "in:a" input: "bonus:b" output: "out:x" })cfg"
            : R"cfg(stage { type: "test_bonus" input: "in:a" output: "out:x" })cfg");
    ASSERT_TRUE(pipeline.ok()) << pipeline.status();
    PipelineRun run = RunPipeline(*pipeline, RunEnvironment{}, {.keep_slots = {"x"}});
    ASSERT_TRUE(run.status.ok()) << run.status;
    EXPECT_EQ(run.slots.at("x").As<Celsius>()->degrees, std::vector<float>{bound ? 30.0f : 10.0f});
  }
}

TEST(SlotTypesTest, RegistryRefusesASecondTypeWithATakenName) {
  StageRegistration registration;
  registration.type = "test_impostor";
  registration.options_prototype = &test::TestSumOptions::default_instance();
  registration.create = [] { return std::unique_ptr<StageBase>(); };
  registration.contract_for = [](const google::protobuf::Message&) { return StageContract{}; };
  registration.contract = {StageKind::kSource, {}, {SlotSpec::Of<OtherCelsius>("out")}};
  absl::Status status = StageRegistry::Global().Register(registration);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("a value type named 'test_celsius', a name another C++ type already uses"));
}

}  // namespace
}  // namespace trawl
