// Exact kNN on the GPU: Trawl's engine (engine: TRAWL, stages/dense/trawl_exact_index.h) against
// FAISS 1.7.3's GpuIndexFlat, side by side in one process on the same data and card, and against
// PyTorch when tools/exact_torch_peer.py ran before it in the same call (--torch=its output).
//
// Data as shared/anchors/torch_peer.py generates it: 1,000 cluster centres N(0, 4^2) per
// component, each vector a centre plus N(0, 1) noise; queries from the same clusters. For each
// point (corpus rows x dim) and k: queries/s of each engine (best of 3 after a warm-up, 10,000
// queries), their ratio, each engine's ids against a float64 CPU reference (ExactKnn, ties to the
// smaller row, as Trawl's) on the first queries, position by position (one id out of place shifts
// the rest of that list), Trawl's candidates per query, and the fraction of
// the card's fp16 tensor-core peak its scoring GEMM reaches (the peak: a large cuBLAS fp16 GEMM
// measured in the same process). One line per point, ending "ratio_to_faiss: R.RR".
//
//   exact_gpu_benchmark --out=exact.txt --points=1000000x128,1000000x768,10000000x128 --ks=10,100
#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "faiss/gpu/GpuIndexFlat.h"
#include "faiss/gpu/StandardGpuResources.h"
#include "stages/dense/exact_knn.h"
#include "stages/dense/trawl_exact_index.h"
#include "stages/synth/clustered_dense.h"

ABSL_FLAG(std::string, out, "exact_gpu_benchmark.txt", "where to write the results");
ABSL_FLAG(std::string, points, "1000000x128,1000000x768,10000000x128", "corpus rows x dim");
ABSL_FLAG(std::string, ks, "10,100", "k values");
ABSL_FLAG(int64_t, queries, 10000, "queries per point");
ABSL_FLAG(int64_t, check_queries, 100, "queries checked against the float64 CPU reference");
ABSL_FLAG(std::string, torch, "", "tools/exact_torch_peer.py's output: 'rows dim k qps' lines");
ABSL_FLAG(int64_t, query_batch, 0, "the engine's query batch (0: its default)");
ABSL_FLAG(int64_t, tile_rows, 0, "the engine's corpus tile (0: its default)");

namespace trawl {
namespace {

using Clock = std::chrono::steady_clock;

void Check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "exact_gpu_benchmark: %s\n", what.c_str());
    std::exit(1);
  }
}

// Best of 3 seconds after one warm-up call.
template <typename Fn>
double BestSeconds(Fn&& fn) {
  fn();
  double best = 1e30;
  for (int i = 0; i < 3; ++i) {
    const auto start = Clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

// The card's fp16 tensor-core throughput as cuBLAS reaches it: an 8192^3 GEMM, fp16 inputs,
// fp32 accumulation (as the engine's), best of 5, in TFLOP/s.
double Fp16PeakTflops() {
  const int n = 8192;
  __half *a = nullptr, *b = nullptr;
  float* c = nullptr;
  Check(cudaMalloc(&a, sizeof(__half) * n * n) == cudaSuccess &&
            cudaMalloc(&b, sizeof(__half) * n * n) == cudaSuccess &&
            cudaMalloc(&c, sizeof(float) * n * n) == cudaSuccess,
        "cudaMalloc for the peak GEMM");
  cudaMemset(a, 0, sizeof(__half) * n * n);
  cudaMemset(b, 0, sizeof(__half) * n * n);
  cublasHandle_t handle;
  Check(cublasCreate(&handle) == CUBLAS_STATUS_SUCCESS, "cublasCreate");
  const float one = 1, zero = 0;
  auto gemm = [&] {
    Check(cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, n, n, n, &one, a, CUDA_R_16F, n, b,
                       CUDA_R_16F, n, &zero, c, CUDA_R_32F, n, CUBLAS_COMPUTE_32F,
                       CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_SUCCESS,
          "cublasGemmEx");
    cudaDeviceSynchronize();
  };
  double best = 1e30;
  gemm();
  for (int i = 0; i < 5; ++i) {
    const auto start = Clock::now();
    gemm();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  cublasDestroy(handle);
  cudaFree(a);
  cudaFree(b);
  cudaFree(c);
  return 2.0 * n * n * n / best / 1e12;
}

// "rows dim k qps" lines of the PyTorch peer, by (rows, dim, k).
std::map<std::tuple<int64_t, int64_t, int64_t>, double> ReadTorch(const std::string& path) {
  std::map<std::tuple<int64_t, int64_t, int64_t>, double> qps;
  if (path.empty()) return qps;
  std::ifstream in(path);
  int64_t rows, dim, k;
  double value;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    if (fields >> rows >> dim >> k >> value) qps[{rows, dim, k}] = value;
  }
  return qps;
}

int Main() {
  std::ostringstream text;
  auto line = [&](const std::string& s) {
    std::printf("%s\n", s.c_str());
    std::fflush(stdout);
    text << s << "\n";
  };
  cudaDeviceProp props;
  Check(cudaGetDeviceProperties(&props, 0) == cudaSuccess, "no usable GPU");
  const double peak = Fp16PeakTflops();
  const auto torch = ReadTorch(absl::GetFlag(FLAGS_torch));
  const int64_t nq = absl::GetFlag(FLAGS_queries);
  std::vector<int> ks;
  for (absl::string_view k : absl::StrSplit(absl::GetFlag(FLAGS_ks), ',')) {
    int value;
    Check(absl::SimpleAtoi(k, &value), "bad --ks");
    ks.push_back(value);
  }
  exact_gpu::SearchParams params = TrawlExactIndex::Params(false);
  if (absl::GetFlag(FLAGS_query_batch) > 0) params.query_batch = absl::GetFlag(FLAGS_query_batch);
  if (absl::GetFlag(FLAGS_tile_rows) > 0) params.tile_rows = absl::GetFlag(FLAGS_tile_rows);
  line(absl::StrFormat(
      "# exact_gpu_benchmark on %s: clustered data (1000 centres, stddev 4, noise 1), %d queries, "
      "L2; best of 3 after a warm-up; engine query_batch %d, tile_rows %d; cuBLAS fp16 GEMM peak "
      "%.1f TFLOP/s",
      props.name, nq, params.query_batch, params.tile_rows, peak));

  for (absl::string_view point : absl::StrSplit(absl::GetFlag(FLAGS_points), ',')) {
    std::pair<std::string, std::string> shape = absl::StrSplit(point, 'x');
    int64_t n = 0, d = 0;
    Check(absl::SimpleAtoi(shape.first, &n) && absl::SimpleAtoi(shape.second, &d), "bad --points");
    ClusteredDenseSpec spec;
    spec.num_vectors = n;
    spec.num_queries = nq;
    spec.dim = d;
    spec.num_clusters = 1000;
    spec.center_stddev = 4;
    spec.noise_stddev = 1;
    spec.seed = 123;
    ClusteredDense data = *GenerateClusteredDense(spec);

    // FAISS's GpuIndexFlat with its default resources, as the anchor probe runs it.
    auto resources = std::make_unique<faiss::gpu::StandardGpuResources>();
    auto faiss_index = std::make_unique<faiss::gpu::GpuIndexFlatL2>(resources.get(), d);
    faiss_index->add(n, data.corpus.data.data());
    absl::StatusOr<std::unique_ptr<TrawlExactIndex>> trawl = TrawlExactIndex::Create(
        data.corpus.data, n, static_cast<int>(d), dense::L2, {0}, /*resident=*/true, params);
    Check(trawl.ok(), trawl.status().ToString());

    for (int k : ks) {
      std::vector<float> distances(nq * k);
      std::vector<faiss::Index::idx_t> labels(nq * k), faiss_labels(nq * k);
      const double faiss_seconds = BestSeconds([&] {
        faiss_index->search(nq, data.queries.data.data(), k, distances.data(), faiss_labels.data());
      });
      const double trawl_seconds = BestSeconds([&] {
        (*trawl)->search(nq, data.queries.data.data(), k, distances.data(), labels.data());
      });
      const exact_gpu::SearchStats stats = (*trawl)->last_stats();

      // Exactness on the first queries: ids position by position against the float64 reference
      // (equal float64 scores rank by row in both, so ties need no exemption).
      DenseMatrix check;
      check.rows = std::min(absl::GetFlag(FLAGS_check_queries), nq);
      check.dim = d;
      check.data.assign(data.queries.data.begin(), data.queries.data.begin() + check.rows * d);
      RankedLists reference = *ExactKnn(data.corpus, check, k, dense::L2, 0);
      int64_t mismatches = 0, faiss_mismatches = 0;
      double worst_relative = 0;
      for (int64_t i = 0; i < check.rows * k; ++i) {
        mismatches += labels[i] != reference.doc_rows[i];
        faiss_mismatches += faiss_labels[i] != reference.doc_rows[i];
        const double exact = -static_cast<double>(reference.scores[i]);
        if (exact > 0) {
          worst_relative = std::max(worst_relative, std::abs(distances[i] - exact) / exact);
        }
      }
      const double gemm_tflops =
          stats.gemm_seconds > 0 ? 2.0 * n * d * nq / stats.gemm_seconds / 1e12 : 0;
      auto it = torch.find({n, d, k});
      const std::string torch_qps = it == torch.end() ? "n/a" : absl::StrFormat("%.0f", it->second);
      line(absl::StrFormat(
          "%dx%d k=%d: trawl_qps %.0f faiss_qps %.0f torch_qps %s | trawl gemm %.3f s select "
          "%.3f s rerank %.3f s, scoring %.0f TFLOP/s = %.3f of fp16 peak, candidates/query %.1f, "
          "fallbacks %d | vs float64 reference (%d queries): trawl mismatches %d (max rel. "
          "distance error %.1e), faiss mismatches %d | ratio_to_faiss: %.2f",
          n, d, k, nq / trawl_seconds, nq / faiss_seconds, torch_qps, stats.gemm_seconds,
          stats.select_seconds, stats.rerank_seconds, gemm_tflops, gemm_tflops / peak,
          static_cast<double>(stats.candidates) / nq, stats.fallbacks, check.rows, mismatches,
          worst_relative, faiss_mismatches, faiss_seconds / trawl_seconds));
    }
  }
  std::ofstream(absl::GetFlag(FLAGS_out)) << text.str();
  return 0;
}

}  // namespace
}  // namespace trawl

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return trawl::Main();
}
