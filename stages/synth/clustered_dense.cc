#include "stages/synth/clustered_dense.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace trawl {
namespace {

// SplitMix64: a counter-based generator; (seed, stream, row) fully determine the sequence.
class RowRng {
 public:
  RowRng(uint64_t seed, uint64_t stream, uint64_t row)
      : state_(Mix(seed ^ Mix(stream * 0x9E3779B97F4A7C15ull + row))) {}

  uint64_t Next() { return Mix(state_ += 0x9E3779B97F4A7C15ull); }
  // Uniform in (0, 1].
  double Uniform() { return (static_cast<double>(Next() >> 11) + 1.0) * 0x1.0p-53; }
  uint64_t Below(uint64_t n) { return Next() % n; }
  // Standard normal by Box-Muller, both outputs used.
  float Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(Uniform()));
    const double theta = 2.0 * M_PI * Uniform();
    spare_ = static_cast<float>(r * std::sin(theta));
    has_spare_ = true;
    return static_cast<float>(r * std::cos(theta));
  }

 private:
  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  uint64_t state_;
  bool has_spare_ = false;
  float spare_ = 0;
};

enum Stream : uint64_t { kCenters = 1, kCorpus = 2, kQueries = 3 };

void FillRows(const ClusteredDenseSpec& spec, const std::vector<float>& centers, Stream stream,
              int64_t rows, DenseMatrix& out) {
  out.rows = rows;
  out.dim = spec.dim;
  out.data.resize(rows * spec.dim);
  const int threads =
      static_cast<int>(std::max(1u, std::min(8u, std::thread::hardware_concurrency())));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int64_t i = t; i < rows; i += threads) {
        RowRng rng(spec.seed, stream, static_cast<uint64_t>(i));
        const float* center = centers.data() + rng.Below(spec.num_clusters) * spec.dim;
        float* row = out.data.data() + i * spec.dim;
        for (int64_t j = 0; j < spec.dim; ++j)
          row[j] = center[j] + spec.noise_stddev * rng.Normal();
      }
    });
  }
  for (std::thread& w : workers) w.join();
}

}  // namespace

absl::Status CheckClusteredDenseSpec(const ClusteredDenseSpec& spec) {
  constexpr int64_t kMaxFloats = int64_t{1} << 36;  // 256 GiB: a typo, not a corpus
  const std::pair<const char*, int64_t> sizes[] = {{"num_vectors", spec.num_vectors},
                                                   {"num_queries", spec.num_queries},
                                                   {"dim", spec.dim},
                                                   {"num_clusters", spec.num_clusters}};
  for (const auto& [field, value] : sizes) {
    if (value <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(field, " must be positive, got ", value));
    }
  }
  if ((spec.num_vectors + spec.num_queries) > kMaxFloats / spec.dim) {
    return absl::InvalidArgumentError(absl::StrCat("num_vectors x dim = ", spec.num_vectors, " x ",
                                                   spec.dim, " floats is more than 256 GiB"));
  }
  if (spec.num_clusters > spec.num_vectors) {
    return absl::InvalidArgumentError(absl::StrCat("num_clusters (", spec.num_clusters,
                                                   ") must be at most num_vectors (",
                                                   spec.num_vectors, ")"));
  }
  // Infinite or NaN spreads make every vector non-finite: runs of nothing, silently.
  if (!(spec.noise_stddev >= 0) || !(spec.center_stddev >= 0) ||
      !std::isfinite(spec.noise_stddev) || !std::isfinite(spec.center_stddev)) {
    return absl::InvalidArgumentError(
        absl::StrCat("center_stddev and noise_stddev must be finite and >= 0, got ",
                     spec.center_stddev, " and ", spec.noise_stddev));
  }
  return absl::OkStatus();
}

absl::StatusOr<ClusteredDense> GenerateClusteredDense(const ClusteredDenseSpec& spec) {
  if (absl::Status checked = CheckClusteredDenseSpec(spec); !checked.ok()) return checked;
  std::vector<float> centers(spec.num_clusters * spec.dim);
  for (int64_t c = 0; c < spec.num_clusters; ++c) {
    RowRng rng(spec.seed, kCenters, static_cast<uint64_t>(c));
    for (int64_t j = 0; j < spec.dim; ++j)
      centers[c * spec.dim + j] = spec.center_stddev * rng.Normal();
  }
  ClusteredDense data;
  FillRows(spec, centers, kCorpus, spec.num_vectors, data.corpus);
  FillRows(spec, centers, kQueries, spec.num_queries, data.queries);
  return data;
}

}  // namespace trawl
