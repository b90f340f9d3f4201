#include "stages/dense/exact_knn.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <queue>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "stages/dense/dense_metric.h"

namespace trawl {
namespace {

constexpr int kLanes = 8;  // independent partial sums the compiler can keep in one vector register

// Sums in float64 over kLanes independent partial sums (the compiler vectorises them): each
// product of two floats is exact in float64, so the only rounding is float64's in the sums.
double SquaredL2(const float* x, const float* y, int64_t dim) {
  double partial[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= dim; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      const double diff = static_cast<double>(x[j + l]) - y[j + l];
      partial[l] += diff * diff;
    }
  }
  double sum = 0;
  for (; j < dim; ++j) {
    const double diff = static_cast<double>(x[j]) - y[j];
    sum += diff * diff;
  }
  for (double p : partial) sum += p;
  return sum;
}

double Dot(const float* x, const float* y, int64_t dim) {
  double partial[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= dim; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) partial[l] += static_cast<double>(x[j + l]) * y[j + l];
  }
  double sum = 0;
  for (; j < dim; ++j) sum += static_cast<double>(x[j]) * y[j];
  for (double p : partial) sum += p;
  return sum;
}

// (score, id) ordered best first: higher score, then smaller id.
struct Better {
  bool operator()(const std::pair<double, int64_t>& a, const std::pair<double, int64_t>& b) const {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  }
};

}  // namespace

absl::StatusOr<RankedLists> ExactKnn(const DenseMatrix& corpus_in, const DenseMatrix& queries_in,
                                     int64_t k, dense::Metric metric, int threads,
                                     const std::function<void(int64_t)>& progress) {
  if (k < 1) return absl::InvalidArgumentError(absl::StrCat("k must be >= 1, got ", k));
  if (corpus_in.dim != queries_in.dim) {
    return absl::InvalidArgumentError(absl::StrCat("corpus has dimension ", corpus_in.dim,
                                                   ", queries have dimension ", queries_in.dim));
  }
  DenseMatrix corpus_storage, queries_storage;
  const DenseMatrix& corpus = PrepareForMetric(corpus_in, metric, corpus_storage);
  const DenseMatrix& queries = PrepareForMetric(queries_in, metric, queries_storage);

  RankedLists out;
  out.num_queries = queries.rows;
  out.k = k;
  out.doc_rows.assign(queries.rows * k, -1);
  out.scores.assign(queries.rows * k, -std::numeric_limits<float>::infinity());
  out.query_ids = queries.ids;
  out.doc_ids = corpus.ids;
  const int64_t dim = corpus.dim;

  std::atomic<int64_t> done{0};
  auto search_range = [&](int64_t begin, int64_t end) {
    std::vector<std::pair<double, int64_t>> heap;  // worst of the best k on top
    for (int64_t q = begin; q < end; ++q) {
      heap.clear();
      const float* query = queries.row(q);
      for (int64_t r = 0; r < corpus.rows; ++r) {
        const float* row = corpus.row(r);
        const double score =
            metric == dense::L2 ? -SquaredL2(query, row, dim) : Dot(query, row, dim);
        std::pair<double, int64_t> candidate(score, r);
        if (static_cast<int64_t>(heap.size()) < k) {
          heap.push_back(candidate);
          std::push_heap(heap.begin(), heap.end(), Better());
        } else if (Better()(candidate, heap.front())) {
          std::pop_heap(heap.begin(), heap.end(), Better());
          heap.back() = candidate;
          std::push_heap(heap.begin(), heap.end(), Better());
        }
      }
      std::sort_heap(heap.begin(), heap.end(), Better());  // best first
      for (size_t j = 0; j < heap.size(); ++j) {
        out.scores[q * k + j] = static_cast<float>(heap[j].first);
        out.doc_rows[q * k + j] = heap[j].second;
      }
      done.fetch_add(1, std::memory_order_relaxed);
    }
  };

  int workers = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  workers = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(workers, queries.rows)));
  std::vector<std::thread> pool;
  const int64_t chunk = (queries.rows + workers - 1) / workers;
  for (int w = 0; w < workers; ++w) {
    const int64_t begin = w * chunk, end = std::min(queries.rows, begin + chunk);
    if (begin < end) pool.emplace_back(search_range, begin, end);
  }
  if (progress) {
    while (done.load() < queries.rows) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      progress(done.load());
    }
  }
  for (std::thread& t : pool) t.join();
  return out;
}

}  // namespace trawl
