#include "stages/synth/clustered_dense.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace trawl {
namespace {

ClusteredDenseSpec Small() {
  ClusteredDenseSpec spec;
  spec.num_vectors = 500;
  spec.num_queries = 20;
  spec.dim = 16;
  spec.num_clusters = 5;
  return spec;
}

TEST(ClusteredDenseTest, SameSpecGivesIdenticalData) {
  ClusteredDense a = *GenerateClusteredDense(Small());
  ClusteredDense b = *GenerateClusteredDense(Small());
  EXPECT_EQ(a.corpus.data, b.corpus.data);
  EXPECT_EQ(a.queries.data, b.queries.data);
  EXPECT_EQ(a.corpus.rows, 500);
  EXPECT_EQ(a.corpus.dim, 16);
  EXPECT_EQ(a.queries.rows, 20);
}

TEST(ClusteredDenseTest, SeedChangesTheData) {
  ClusteredDenseSpec other = Small();
  other.seed = 7;
  EXPECT_NE(GenerateClusteredDense(Small())->corpus.data,
            GenerateClusteredDense(other)->corpus.data);
}

// Golden values, recorded from this generator (the same at -O0 and -O2): they guard its algorithm,
// since changing it silently changes every ground truth and benchmark computed from a seed.
// Update them only on purpose.
TEST(ClusteredDenseTest, GoldenValuesForSeed123) {
  ClusteredDense data = *GenerateClusteredDense(Small());
  EXPECT_FLOAT_EQ(data.corpus.data[0], -9.70075321f);
  EXPECT_FLOAT_EQ(data.corpus.data[17], -0.913017631f);
  EXPECT_FLOAT_EQ(data.corpus.data[500 * 16 - 1], -2.0929513f);
  EXPECT_FLOAT_EQ(data.queries.data[3], -1.11597824f);
}

TEST(ClusteredDenseTest, VectorsLieNearTheirClusters) {
  ClusteredDenseSpec spec = Small();
  ClusteredDenseSpec no_noise = spec;
  no_noise.noise_stddev = 0;
  ClusteredDense noisy = *GenerateClusteredDense(spec);
  ClusteredDense centres = *GenerateClusteredDense(no_noise);  // same cluster choice per row
  double sum = 0, sum_sq = 0;
  for (size_t i = 0; i < noisy.corpus.data.size(); ++i) {
    const double noise = noisy.corpus.data[i] - centres.corpus.data[i];
    sum += noise;
    sum_sq += noise * noise;
  }
  const double n = noisy.corpus.data.size();
  EXPECT_NEAR(sum / n, 0.0, 0.03);
  EXPECT_NEAR(std::sqrt(sum_sq / n), 1.0, 0.03);
}

TEST(ClusteredDenseTest, RejectsNonPositiveSizesNamingTheField) {
  ClusteredDenseSpec spec = Small();
  spec.dim = 0;
  absl::Status s = GenerateClusteredDense(spec).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "dim must be positive, got 0");
  spec = Small();
  spec.num_vectors = int64_t{1} << 40;
  EXPECT_EQ(GenerateClusteredDense(spec).status().code(), absl::StatusCode::kInvalidArgument);
}

// Checked before anything is allocated: 10^9 clusters for 5 vectors was 16 GB of centres, and an
// infinite spread gave vectors of infinities (empty runs, exit 0).
TEST(ClusteredDenseTest, RejectsMoreClustersThanVectorsAndInfiniteSpreads) {
  ClusteredDenseSpec spec = Small();
  spec.num_vectors = 5;
  spec.num_clusters = 1000000000;
  EXPECT_EQ(CheckClusteredDenseSpec(spec).message(),
            "num_clusters (1000000000) must be at most num_vectors (5)");
  spec = Small();
  spec.center_stddev = std::numeric_limits<double>::infinity();
  EXPECT_EQ(CheckClusteredDenseSpec(spec).code(), absl::StatusCode::kInvalidArgument);
  spec = Small();
  spec.noise_stddev = std::nan("");
  EXPECT_EQ(GenerateClusteredDense(spec).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trawl
