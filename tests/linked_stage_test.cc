// A stage that reaches the binary only through its BUILD target (alwayslink) is registered and
// runs from a config: this test links //stages/transform:normalize_stage and
// //stages/synth:synth_dense_stage and nothing else that registers stages.
#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pipelines/config_loader.h"
#include "pipelines/registry.h"
#include "pipelines/runner.h"
#include "pipelines/values.h"

namespace trawl {
namespace {

TEST(LinkedStageTest, OnlyTheLinkedStagesAreRegistered) {
  EXPECT_THAT(StageRegistry::Global().Types(), ::testing::ElementsAre("normalize", "synth_dense"));
}

TEST(LinkedStageTest, LinkedStageRunsFromAConfig) {
  absl::StatusOr<Pipeline> pipeline = ParsePipelineText(R"cfg(
    name: "normalize_example"
    stage {
      type: "synth_dense"
      output: "corpus:raw"
      output: "queries:unused"
      options {
        [type.googleapis.com/trawl.synth.SynthDenseOptions] { num_vectors: 50 num_queries: 1 dim: 8 }
      }
    }
    stage { type: "normalize" input: "in:raw" output: "out:unit" }
  )cfg",
                                                        "inline");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  PipelineRun run = RunPipeline(*pipeline, RunEnvironment{}, {.keep_slots = {"unit"}});
  ASSERT_TRUE(run.status.ok()) << run.status;
  const DenseMatrix* unit = run.slots.at("unit").As<DenseMatrix>();
  ASSERT_EQ(unit->rows, 50);
  for (int64_t i = 0; i < unit->rows; ++i) {
    double norm = 0;
    for (int64_t j = 0; j < unit->dim; ++j) norm += unit->row(i)[j] * unit->row(i)[j];
    EXPECT_NEAR(norm, 1.0, 1e-5) << "row " << i;
  }
}

}  // namespace
}  // namespace trawl
