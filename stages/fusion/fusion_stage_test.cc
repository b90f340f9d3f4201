// fusion on two run files read by trec_run_reader, against scores derived by hand.
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "pipelines/config_loader.h"
#include "pipelines/runner.h"
#include "pipelines/values.h"

namespace trawl {
namespace {

// Run A, q1: d1 3.0, d2 2.0, d3 2.0 -> ranks d1 1, d3 2, d2 3 (the tie by docno descending; the
// rank column is ignored). q2: x. Run B, q1: d2 1, d4 2, d1 3; no q2.
void WriteRuns() {
  std::ofstream(::testing::TempDir() + "/a.run")
      << "q1 Q0 d2 1 2.0 a\nq1 Q0 d1 9 3.0 a\nq1 Q0 d3 2 2.0 a\nq2 Q0 x 1 1.0 a\n";
  std::ofstream(::testing::TempDir() + "/b.run")
      << "q1 Q0 d1 1 1.0 b\nq1 Q0 d4 2 5.0 b\nq1 Q0 d2 3 10.0 b\n";
}

// The fused lists as "qid: doc=score ..." with scores to 6 digits.
std::string Fuse(const std::string& options) {
  WriteRuns();
  const std::string dir = ::testing::TempDir();
  absl::StatusOr<Pipeline> pipeline = ParsePipelineText(absl::StrCat(R"cfg(
        name: "fuse"
        stage { type: "trec_run_reader" name: "a" output: "results:a"
                options { [type.googleapis.com/trawl.io.TrecRunReaderOptions] { path: ")cfg",
                                                                     dir, R"cfg(/a.run" } } }
        stage { type: "trec_run_reader" name: "b" output: "results:b"
                options { [type.googleapis.com/trawl.io.TrecRunReaderOptions] { path: ")cfg",
                                                                     dir, R"cfg(/b.run" } } }
        stage { type: "fusion" name: "fuse" input: "runs:a" input: "runs:b" output: "results:f"
                options { [type.googleapis.com/trawl.fusion.FusionOptions] { )cfg",
                                                                     options, " } } }"),
                                                        "fuse.pbtxt");
  if (!pipeline.ok()) return pipeline.status().ToString();
  PipelineRun run = RunPipeline(*pipeline, RunEnvironment{}, {.keep_slots = {"f"}});
  if (!run.status.ok()) return run.status.ToString();
  const RankedLists& fused = *run.slots.at("f").As<RankedLists>();
  std::string out;
  for (int64_t q = 0; q < fused.num_queries; ++q) {
    absl::StrAppend(&out, fused.query_id(q), ":");
    for (int64_t j = 0; j < fused.k; ++j) {
      const int64_t row = fused.doc_rows[q * fused.k + j];
      if (row >= 0) {
        absl::StrAppend(&out, " ", fused.doc_id(row), "=",
                        absl::StrFormat("%.6g", fused.scores[q * fused.k + j]));
      }
    }
    out += "; ";
  }
  return out;
}

TEST(FusionStageTest, ReciprocalRankFusion) {
  // d1 = 1/61 + 1/63 = d2 (tie: d2 first, docno descending); d3 = d4 = 1/62; q2: x = 1/61.
  EXPECT_EQ(Fuse("method: RRF"),
            "q1: d2=0.0322665 d1=0.0322665 d4=0.016129 d3=0.016129; q2: x=0.0163934; ");
  // rrf_k 1, weights 1 and 3: d1 = 1/2 + 3/4, d2 = 1/4 + 3/2, d3 = 1/3, d4 = 3/3.
  EXPECT_EQ(Fuse("method: RRF rrf_k: 1 weights: 1 weights: 3"),
            "q1: d2=1.75 d1=1.25 d4=1 d3=0.333333; q2: x=0.5; ");
}

TEST(FusionStageTest, WeightedSumOfNormalisedScores) {
  // MIN_MAX: A: d1 1, d3 0, d2 0; B: d2 1, d4 4/9, d1 0. Weights 1, 2.
  EXPECT_EQ(Fuse("method: WEIGHTED_SUM normalization: MIN_MAX weights: 1 weights: 2"),
            "q1: d2=2 d1=1 d4=0.888889 d3=0; q2: x=1; ");
  // NONE: raw sums. d2 = 2 + 10, d4 = 5, d1 = 3 + 1, d3 = 2.
  EXPECT_EQ(Fuse("method: WEIGHTED_SUM"), "q1: d2=12 d4=5 d1=4 d3=2; q2: x=1; ");
  // Z_SCORE: A q1 = (3, 2, 2): mean 7/3, deviation sqrt(2)/3: d1 sqrt(2), d2 = d3 = -1/sqrt(2).
  // B q1 = (10, 5, 1): mean 16/3, deviation sqrt(122/9) = 3.681787: d2 1.267500, d4 -0.090536,
  // d1 -1.176965. Sums: d2 0.560394, d1 0.237249, d4 -0.090536, d3 -0.707107 (cut by k: 3).
  // q2's single score has deviation 0: 0.
  EXPECT_EQ(Fuse("method: WEIGHTED_SUM normalization: Z_SCORE k: 3"),
            "q1: d2=0.560394 d1=0.237249 d4=-0.0905357; q2: x=0; ");
}

TEST(FusionStageTest, OptionErrors) {
  EXPECT_NE(
      Fuse("method: RRF normalization: MIN_MAX").find("normalization applies to WEIGHTED_SUM only"),
      std::string::npos);
  EXPECT_NE(Fuse("weights: 1").find("1 weights for 2 runs"), std::string::npos);
}

}  // namespace
}  // namespace trawl
