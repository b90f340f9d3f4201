#include "gtest/gtest.h"
#include "pipelines/stage_test_runner.h"
#include "pipelines/values.h"
#include "stages/synth/clustered_dense.h"

namespace trawl {
namespace {

TEST(SynthDenseStageTest, OutputsTheGeneratorsCorpusAndQueries) {
  absl::StatusOr<StageTestRunner> runner = StageTestRunner::Create(R"cfg(
    type: "synth_dense"
    options {
      [type.googleapis.com/trawl.synth.SynthDenseOptions] {
        num_vectors: 300 num_queries: 7 dim: 8 num_clusters: 3 seed: 5
      }
    })cfg");
  ASSERT_TRUE(runner.ok()) << runner.status();
  ASSERT_TRUE(runner->Run().ok());
  const DenseMatrix* corpus = runner->Output<DenseMatrix>("corpus");
  const DenseMatrix* queries = runner->Output<DenseMatrix>("queries");
  ASSERT_NE(corpus, nullptr);
  ASSERT_NE(queries, nullptr);

  ClusteredDenseSpec spec;
  spec.num_vectors = 300;
  spec.num_queries = 7;
  spec.dim = 8;
  spec.num_clusters = 3;
  spec.seed = 5;
  ClusteredDense expected = *GenerateClusteredDense(spec);
  EXPECT_EQ(corpus->data, expected.corpus.data);
  EXPECT_EQ(queries->data, expected.queries.data);
}

TEST(SynthDenseStageTest, NegativeSizeIsRejectedAtOpen) {
  absl::StatusOr<StageTestRunner> runner = StageTestRunner::Create(R"cfg(
    type: "synth_dense"
    options { [type.googleapis.com/trawl.synth.SynthDenseOptions] { dim: -3 } })cfg");
  EXPECT_EQ(runner.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trawl
