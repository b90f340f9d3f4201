// Deterministic clustered Gaussian corpora with queries drawn from the same clusters, for pipelines
// that need no downloaded data (configs/quickstart.pbtxt) and for tests.
//
//   ClusteredDense data = GenerateClusteredDense({.num_vectors = 100000, .dim = 128});
//
// Cluster centres are N(0, center_stddev^2) per component; each vector is a uniformly chosen centre
// plus N(0, noise_stddev^2) noise. The same spec gives bit-identical data on every machine and any
// thread count: every row draws from its own counter-based stream (SplitMix64 + Box-Muller), not
// from the C++ library's distributions, whose algorithms are unspecified. Thread-safe.
#ifndef TRAWL_STAGES_SYNTH_CLUSTERED_DENSE_H_
#define TRAWL_STAGES_SYNTH_CLUSTERED_DENSE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "pipelines/values.h"

namespace trawl {

struct ClusteredDenseSpec {
  int64_t num_vectors = 100000;
  int64_t num_queries = 1000;
  int64_t dim = 128;
  int64_t num_clusters = 1000;
  float center_stddev = 4.0f;
  float noise_stddev = 1.0f;
  uint64_t seed = 123;
};

struct ClusteredDense {
  DenseMatrix corpus;   // ids 0..num_vectors-1
  DenseMatrix queries;  // ids 0..num_queries-1
};

// InvalidArgument naming the field when a size is not positive or too large for memory.
absl::StatusOr<ClusteredDense> GenerateClusteredDense(const ClusteredDenseSpec& spec);

// The checks GenerateClusteredDense makes before it allocates anything: every size positive and
// bounded (256 GiB of floats), no more clusters than vectors, finite spreads. InvalidArgument
// naming the field. For Open, before any stage runs.
absl::Status CheckClusteredDenseSpec(const ClusteredDenseSpec& spec);

}  // namespace trawl

#endif  // TRAWL_STAGES_SYNTH_CLUSTERED_DENSE_H_
