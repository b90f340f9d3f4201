// exact_gpu_kernels on a real GPU against a float64 CPU reference that evaluates every score in
// the order the header specifies (built with -ffp-contract=off, so the float64 values are the
// same bits): ids must match exactly, ties included, and scores within 1e-6 relative. The data
// makes the bound matter: near-ties closer than fp16 rounding, exact ties, mixed norms.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "stages/dense/exact_gpu_kernels.h"

namespace trawl {
namespace exact_gpu {
namespace {

struct Matrix {
  int64_t rows = 0;
  int dim = 0;
  std::vector<float> data;
  const float* row(int64_t i) const { return data.data() + i * dim; }
  float* row(int64_t i) { return data.data() + i * dim; }
};

Matrix Make(int64_t rows, int dim) {
  Matrix m;
  m.rows = rows;
  m.dim = dim;
  m.data.assign(rows * dim, 0.0f);
  return m;
}

double Norm(const float* v, int d) {
  double sum = 0;
  for (int i = 0; i < d; ++i) sum += static_cast<double>(v[i]) * v[i];
  return std::sqrt(sum);
}

double Score(Metric metric, const float* q, const float* x, int d) {
  double sum = 0;
  if (metric == Metric::kL2) {
    for (int i = 0; i < d; ++i) {
      const double diff = static_cast<double>(x[i]) - q[i];
      sum += diff * diff;
    }
    return -sum;
  }
  for (int i = 0; i < d; ++i) sum += static_cast<double>(q[i]) * x[i];
  if (metric == Metric::kInnerProduct) return sum;
  const double qn = Norm(q, d), xn = Norm(x, d);
  if (qn == 0 || xn == 0) return 0;
  return sum / (qn * xn);
}

struct Result {
  std::vector<int64_t> rows;
  std::vector<double> scores;
  SearchStats stats;
};

// The float64 top k of every query, (score desc, row asc), padded with (-1, -inf).
Result Reference(const Matrix& corpus, const Matrix& queries, int k, Metric metric) {
  Result want;
  want.rows.assign(queries.rows * k, -1);
  want.scores.assign(queries.rows * k, -std::numeric_limits<double>::infinity());
  auto run = [&](int64_t begin, int64_t end) {
    std::vector<std::pair<double, int64_t>> all(corpus.rows);
    for (int64_t q = begin; q < end; ++q) {
      for (int64_t r = 0; r < corpus.rows; ++r) {
        all[r] = {Score(metric, queries.row(q), corpus.row(r), corpus.dim), r};
      }
      const int64_t take = std::min<int64_t>(k, corpus.rows);
      std::partial_sort(
          all.begin(), all.begin() + take, all.end(),
          [](const std::pair<double, int64_t>& a, const std::pair<double, int64_t>& b) {
            return a.first != b.first ? a.first > b.first : a.second < b.second;
          });
      for (int64_t j = 0; j < take; ++j) {
        want.scores[q * k + j] = all[j].first;
        want.rows[q * k + j] = all[j].second;
      }
    }
  };
  const int64_t workers =
      std::max<int64_t>(1, std::min<int64_t>(std::thread::hardware_concurrency(), queries.rows));
  const int64_t chunk = (queries.rows + workers - 1) / workers;
  std::vector<std::thread> pool;
  for (int64_t begin = 0; begin < queries.rows; begin += chunk) {
    pool.emplace_back(run, begin, std::min(queries.rows, begin + chunk));
  }
  for (std::thread& t : pool) t.join();
  return want;
}

struct Options {
  SearchParams params;
  bool resident = true;
  bool pinned = false;  // streamed corpus from pinned host memory
};

Result Gpu(const Matrix& corpus, const Matrix& queries, int k, Metric metric,
           const Options& options = Options()) {
  Result got;
  got.rows.assign(queries.rows * k, 0);
  got.scores.assign(queries.rows * k, 0);
  const float* rows = corpus.data.data();
  float* pinned = nullptr;
  if (options.pinned) {
    EXPECT_EQ(cudaMallocHost(&pinned, corpus.data.size() * sizeof(float)), cudaSuccess);
    std::copy(corpus.data.begin(), corpus.data.end(), pinned);
    rows = pinned;
  }
  Corpus* index = nullptr;
  bool out_of_memory = false;
  std::string error =
      Upload(0, rows, corpus.rows, corpus.dim, metric, options.resident, &index, &out_of_memory);
  EXPECT_EQ(error, "");
  if (error.empty()) {
    error = Search(index, queries.data.data(), queries.rows, k, options.params, got.rows.data(),
                   got.scores.data(), &got.stats, &out_of_memory);
    EXPECT_EQ(error, "");
  }
  Free(index);
  if (pinned != nullptr) cudaFreeHost(pinned);
  return got;
}

// Results that differ from the reference (row, or score beyond 1e-6 relative); `first` describes
// the first.
int64_t Mismatches(const Result& want, const Result& got, int k, std::string* first) {
  int64_t bad = 0;
  for (size_t i = 0; i < want.rows.size(); ++i) {
    const double w = want.scores[i], g = got.scores[i];
    const bool score_ok = std::isinf(w) ? g == w : std::abs(g - w) <= 1e-6 * std::abs(w);
    if (want.rows[i] == got.rows[i] && score_ok) continue;
    if (bad++ == 0) {
      *first = "query " + std::to_string(i / k) + " rank " + std::to_string(i % k) + ": want row " +
               std::to_string(want.rows[i]) + " score " + std::to_string(w) + ", got row " +
               std::to_string(got.rows[i]) + " score " + std::to_string(g);
    }
  }
  return bad;
}

void ExpectSame(const Result& want, const Result& got, int k, const std::string& what) {
  std::string first;
  EXPECT_EQ(Mismatches(want, got, k, &first), 0) << what << ": first difference at " << first;
}

std::string Name(Metric metric) {
  switch (metric) {
    case Metric::kL2:
      return "L2";
    case Metric::kInnerProduct:
      return "inner product";
    case Metric::kCosine:
      return "cosine";
  }
  return "";
}

const Metric kMetrics[] = {Metric::kL2, Metric::kInnerProduct, Metric::kCosine};

// Gaussian clusters: rows and queries around shared centres.
void Clustered(int64_t rows, int64_t nq, int dim, int clusters, float spread, uint32_t seed,
               Matrix* corpus, Matrix* queries) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> centres(clusters * dim);
  for (float& c : centres) c = normal(rng);
  auto fill = [&](Matrix* m, int64_t n) {
    *m = Make(n, dim);
    for (int64_t r = 0; r < n; ++r) {
      const float* c = centres.data() + (rng() % clusters) * dim;
      for (int i = 0; i < dim; ++i) m->row(r)[i] = c[i] + spread * normal(rng);
    }
  };
  fill(corpus, rows);
  fill(queries, nq);
}

// Groups of rows that differ from their group's centre by `relative` (per component), far below
// fp16's 2^-11: the fp16 scores of a group are noise, the float64 ones are not. Queries sit near
// the centres (query_spread per component). With fp16 scores and cosine, 1e-5 makes a group's
// scores round to the same fp16 value (a tie, so every row of the group is a candidate even
// without the bound); 1e-4 with queries further out spreads them over several.
void NearTies(Matrix* corpus, Matrix* queries, float relative = 1e-5f, float query_spread = 0.01f) {
  const int dim = 64, groups = 60, variants = 40;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  *corpus = Make(groups * variants, dim);
  *queries = Make(200, dim);
  std::vector<float> centres(groups * dim);
  for (float& c : centres) c = normal(rng);
  for (int64_t r = 0; r < corpus->rows; ++r) {
    const float* c = centres.data() + (r % groups) * dim;  // a group's rows are interleaved
    for (int i = 0; i < dim; ++i) corpus->row(r)[i] = c[i] * (1 + relative * normal(rng));
  }
  for (int64_t q = 0; q < queries->rows; ++q) {
    const float* c = centres.data() + (q % groups) * dim;
    for (int i = 0; i < dim; ++i) queries->row(q)[i] = c[i] + query_spread * normal(rng);
  }
}

TEST(ExactGpuKernelsTest, ClusteredDataOverTilesAndBatches) {
  Matrix corpus, queries;
  Clustered(20000, 300, 96, 50, 0.3f, 1, &corpus, &queries);
  const int k = 10;
  for (Metric metric : kMetrics) {
    const Result want = Reference(corpus, queries, k, metric);
    Options whole;  // one tile, one batch
    whole.params.query_batch = 300;
    whole.params.tile_rows = 20000;
    const Result got = Gpu(corpus, queries, k, metric, whole);
    ExpectSame(want, got, k, Name(metric) + ", one tile");
    EXPECT_EQ(got.stats.fallbacks, 0);
    EXPECT_GT(got.stats.candidates, 0);
    // The bound prunes: far fewer rows scored in float64 than scores.
    EXPECT_LT(got.stats.rescored, corpus.rows * queries.rows / 20);
    EXPECT_GT(got.stats.gemm_seconds, 0);
    EXPECT_GT(got.stats.select_seconds, 0);
    EXPECT_GT(got.stats.rerank_seconds, 0);

    Options fp32 = whole;  // float32 scores
    fp32.params.half_scores = false;
    const Result got32 = Gpu(corpus, queries, k, metric, fp32);
    ExpectSame(want, got32, k, Name(metric) + ", one tile, float32 scores");
    EXPECT_EQ(got32.stats.fallbacks, 0);
    // fp16 scores widen the intervals by their output rounding, but not by much.
    EXPECT_LT(got.stats.candidates, 4 * got32.stats.candidates + 20 * queries.rows);

    Options tiled;  // ragged tiles (not a multiple of 256) and batches (not of the group size)
    tiled.params.query_batch = 37;
    tiled.params.tile_rows = 1000;
    ExpectSame(want, Gpu(corpus, queries, k, metric, tiled), k, Name(metric) + ", tiled");

    Options defaults;
    ExpectSame(want, Gpu(corpus, queries, k, metric, defaults), k, Name(metric) + ", defaults");
  }
}

TEST(ExactGpuKernelsTest, ExactTiesGoToTheSmallerRow) {
  // Integer components (exact in fp16 and float64) in a small range, so many rows score exactly
  // the same; every row also appears three times, and scaled by 2 (exact ties for cosine).
  const int dim = 16;
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> small(-2, 2);
  Matrix base = Make(1500, dim);
  for (float& v : base.data) v = static_cast<float>(small(rng));
  Matrix corpus = Make(4 * base.rows, dim);
  for (int64_t r = 0; r < base.rows; ++r) {
    for (int copy = 0; copy < 4; ++copy) {
      for (int i = 0; i < dim; ++i) {
        corpus.row(copy * base.rows + r)[i] = base.row(r)[i] * (copy == 3 ? 2.0f : 1.0f);
      }
    }
  }
  Matrix queries = Make(100, dim);
  for (float& v : queries.data) v = static_cast<float>(small(rng));
  const int k = 40;
  for (Metric metric : kMetrics) {
    const Result want = Reference(corpus, queries, k, metric);
    Options options;
    options.params.query_batch = 33;
    options.params.tile_rows = 1700;
    ExpectSame(want, Gpu(corpus, queries, k, metric, options), k, Name(metric));
  }
}

TEST(ExactGpuKernelsTest, NearTiesWithinTheBound) {
  for (float relative : {1e-5f, 1e-4f}) {
    Matrix corpus, queries;
    NearTies(&corpus, &queries, relative, relative == 1e-5f ? 0.01f : 0.1f);
    const int k = 10;
    for (Metric metric : kMetrics) {
      const Result want = Reference(corpus, queries, k, metric);
      for (bool half : {true, false}) {
        Options options;
        options.params.tile_rows = 900;
        options.params.query_batch = 64;
        options.params.half_scores = half;
        ExpectSame(want, Gpu(corpus, queries, k, metric, options), k,
                   Name(metric) + (half ? ", fp16 scores" : ", float32 scores") + ", relative " +
                       std::to_string(relative));
      }
    }
  }
}

TEST(ExactGpuKernelsTest, WithoutTheBoundNearTiesComeOutWrong) {
  // Proves the near-tie data exercises the bound: ignoring fp16 error (bound_scale 0) picks the
  // wrong rows, on one of the two near-tie sets at least (with fp16 scores and cosine, the first
  // set's groups tie in fp16, and ties are all kept).
  const int k = 10;
  for (Metric metric : kMetrics) {
    for (bool half : {true, false}) {
      int64_t mismatches = 0;
      for (float relative : {1e-5f, 1e-4f}) {
        Matrix corpus, queries;
        NearTies(&corpus, &queries, relative, relative == 1e-5f ? 0.01f : 0.1f);
        const Result want = Reference(corpus, queries, k, metric);
        Options options;
        options.params.bound_scale = 0;
        options.params.half_scores = half;
        std::string first;
        mismatches += Mismatches(want, Gpu(corpus, queries, k, metric, options), k, &first);
      }
      EXPECT_GT(mismatches, 0) << Name(metric) << (half ? ", fp16 scores" : ", float32 scores");
    }
  }
}

TEST(ExactGpuKernelsTest, HugeAndTinyNorms) {
  Matrix corpus, queries;
  Clustered(8000, 150, 48, 20, 0.5f, 11, &corpus, &queries);
  std::mt19937 rng(5);
  const float scales[] = {1e4f, 1e-4f, 1.0f};
  for (int64_t r = 0; r < corpus.rows; ++r) {
    const float s = scales[rng() % 3];
    for (int i = 0; i < corpus.dim; ++i) corpus.row(r)[i] *= s;
  }
  for (int64_t q = 0; q < queries.rows; ++q) {
    const float s = scales[rng() % 3];
    for (int i = 0; i < queries.dim; ++i) queries.row(q)[i] *= s;
  }
  const int k = 20;
  for (Metric metric : kMetrics) {
    const Result want = Reference(corpus, queries, k, metric);
    for (bool half : {true, false}) {
      Options options;
      options.params.tile_rows = 3000;
      options.params.query_batch = 64;
      options.params.half_scores = half;
      ExpectSame(want, Gpu(corpus, queries, k, metric, options), k,
                 Name(metric) + (half ? ", fp16 scores" : ", float32 scores"));
    }
  }
}

TEST(ExactGpuKernelsTest, ScoresAtTheTopOfTheHalfRange) {
  // Rows and queries nearly parallel with every component at the top of fp16 after scaling: the
  // GEMM's sums reach |Qh| |Xh| (Cauchy-Schwarz with equality), the largest value the fp16 scale
  // allows for, and the scores crowd together (cosine: all within 1e-3 of each other).
  const int dim = 2048;
  std::mt19937 rng(41);
  std::uniform_real_distribution<float> size(0.5f, 1.0f), wiggle(-1e-3f, 1e-3f);
  Matrix corpus = Make(3000, dim), queries = Make(40, dim);
  for (int64_t r = 0; r < corpus.rows; ++r) {
    const float s = size(rng) * 3e4f;
    for (int i = 0; i < dim; ++i) corpus.row(r)[i] = s * (1 + wiggle(rng));
  }
  for (int64_t q = 0; q < queries.rows; ++q) {
    const float s = size(rng) * (q % 2 == 0 ? 3e4f : 1e-3f);
    for (int i = 0; i < dim; ++i) queries.row(q)[i] = s * (1 + wiggle(rng));
  }
  const int k = 12;
  for (Metric metric : kMetrics) {
    const Result want = Reference(corpus, queries, k, metric);
    Options options;
    options.params.tile_rows = 1024;
    options.params.query_batch = 16;
    ExpectSame(want, Gpu(corpus, queries, k, metric, options), k, Name(metric));
  }
}

TEST(ExactGpuKernelsTest, ZeroVectors) {
  Matrix corpus, queries;
  Clustered(3000, 40, 24, 10, 0.3f, 13, &corpus, &queries);
  for (int64_t r = 0; r < corpus.rows; r += 97) std::fill_n(corpus.row(r), corpus.dim, 0.0f);
  std::fill_n(queries.row(0), queries.dim, 0.0f);
  const int k = 30;
  for (Metric metric : kMetrics) {
    const Result want = Reference(corpus, queries, k, metric);
    ExpectSame(want, Gpu(corpus, queries, k, metric), k, Name(metric));
  }
}

TEST(ExactGpuKernelsTest, KLargerThanTheCorpus) {
  Matrix corpus, queries;
  Clustered(37, 20, 10, 3, 0.3f, 17, &corpus, &queries);
  const int k = 50;
  for (Metric metric : kMetrics) {
    const Result want = Reference(corpus, queries, k, metric);
    Options options;
    options.params.tile_rows = 16;  // three tiles, the last of 5 rows
    const Result got = Gpu(corpus, queries, k, metric, options);
    ExpectSame(want, got, k, Name(metric));
    EXPECT_EQ(got.rows[k - 1], -1);
    EXPECT_EQ(got.scores[k - 1], -std::numeric_limits<double>::infinity());
  }
}

TEST(ExactGpuKernelsTest, LargestK) {
  Matrix corpus, queries;
  Clustered(6000, 20, 32, 8, 0.4f, 19, &corpus, &queries);
  const int k = kMaxK;
  for (Metric metric : kMetrics) {
    const Result want = Reference(corpus, queries, k, metric);
    Options options;
    options.params.tile_rows = 2500;
    options.params.query_batch = 7;
    ExpectSame(want, Gpu(corpus, queries, k, metric, options), k, Name(metric));
  }
}

TEST(ExactGpuKernelsTest, OverflowingCandidateListsFallBackToExactScoring) {
  Matrix corpus, queries;
  Clustered(5000, 60, 40, 10, 0.3f, 23, &corpus, &queries);
  const int k = 25;
  for (Metric metric : kMetrics) {
    const Result want = Reference(corpus, queries, k, metric);
    for (int64_t capacity : {1, k + 3}) {  // every list overflows; some do
      Options options;
      options.params.candidate_capacity = capacity;
      options.params.tile_rows = 2000;
      const Result got = Gpu(corpus, queries, k, metric, options);
      ExpectSame(want, got, k, Name(metric) + ", capacity " + std::to_string(capacity));
      EXPECT_GT(got.stats.fallbacks, 0);
    }
  }
}

TEST(ExactGpuKernelsTest, StreamedCorpus) {
  Matrix corpus, queries;
  Clustered(20000, 300, 40, 40, 0.3f, 29, &corpus, &queries);
  const int k = 16;
  for (Metric metric : kMetrics) {
    const Result want = Reference(corpus, queries, k, metric);
    for (bool pinned : {false, true}) {
      Options options;
      options.resident = false;
      options.pinned = pinned;
      options.params.tile_rows = 1500;  // 14 tiles, prefetched across the 5 batches
      options.params.query_batch = 64;
      ExpectSame(want, Gpu(corpus, queries, k, metric, options), k,
                 Name(metric) + (pinned ? ", pinned" : ", pageable"));
    }
  }
}

TEST(ExactGpuKernelsTest, QueriesFarBeyondTheCorpusScaleAreScoredInFloat64) {
  // L2 with subnormal corpus components and a query 2^150 times larger: the ratio of the scales
  // is no float, so that query is scored in float64 against every row (its float64 distances all
  // round to |q|^2: exact ties, smaller rows first). The other query is on the corpus's scale.
  Matrix corpus, queries;
  Clustered(600, 2, 8, 4, 0.3f, 37, &corpus, &queries);
  for (float& v : corpus.data) v *= 1e-40f;
  for (int i = 0; i < queries.dim; ++i) {
    queries.row(0)[i] *= 1e6f;
    queries.row(1)[i] *= 1e-40f;
  }
  const int k = 5;
  const Result want = Reference(corpus, queries, k, Metric::kL2);
  const Result got = Gpu(corpus, queries, k, Metric::kL2);
  ExpectSame(want, got, k, "L2");
  EXPECT_EQ(got.stats.fallbacks, 1);
}

TEST(ExactGpuKernelsTest, RejectsBadInput) {
  Matrix corpus, queries;
  Clustered(100, 10, 8, 2, 0.3f, 31, &corpus, &queries);
  Corpus* index = nullptr;
  bool out_of_memory = true;
  corpus.data[17] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(Upload(0, corpus.data.data(), corpus.rows, corpus.dim, Metric::kL2, true, &index,
                   &out_of_memory),
            "");
  EXPECT_EQ(index, nullptr);
  EXPECT_FALSE(out_of_memory);
  corpus.data[17] = 0;
  ASSERT_EQ(Upload(0, corpus.data.data(), corpus.rows, corpus.dim, Metric::kL2, true, &index,
                   &out_of_memory),
            "");
  std::vector<int64_t> rows(queries.rows * (kMaxK + 1));
  std::vector<double> scores(rows.size());
  SearchParams params;
  for (int k : {0, kMaxK + 1}) {
    EXPECT_NE(Search(index, queries.data.data(), queries.rows, k, params, rows.data(),
                     scores.data(), nullptr, &out_of_memory),
              "");
  }
  queries.data[3] = std::numeric_limits<float>::infinity();
  EXPECT_NE(Search(index, queries.data.data(), queries.rows, 5, params, rows.data(), scores.data(),
                   nullptr, &out_of_memory),
            "");
  Free(index);
}

}  // namespace
}  // namespace exact_gpu
}  // namespace trawl
