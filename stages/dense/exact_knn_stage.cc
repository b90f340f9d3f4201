#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "faiss/IndexFlat.h"
#include "pipelines/progress.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/dense/dense_metric.h"
#include "stages/dense/exact_knn.h"
#include "stages/dense/exact_knn_stage.pb.h"
#include "stages/dense/faiss_placement.h"
#include "stages/dense/trawl_exact_index.h"

namespace trawl {

// Exact k-nearest neighbours by brute force: the ground truth that ANN and FAISS results are
// evaluated against. On a run with a GPU, placed by the memory stage (full, reduced or sharded
// rungs; the lossy rung is not offered: ground truth stays exact): FAISS's GpuIndexFlat (float32
// results), or with engine TRAWL Trawl's exact engine (trawl_exact_index.h: the float64 results
// of cpu_only, several times faster than FAISS). On the CPU, or with cpu_only, the direct float64
// computation of exact_knn.h.
//
//   stage {
//     type: "exact_knn"  input: "corpus:corpus"  input: "queries:queries"
//     output: "ground_truth:truth"
//     options { [type.googleapis.com/trawl.dense.ExactKnnOptions] { k: 100 metric: L2 } }
//   }
//
// Related: exact_knn_stage.proto, faiss_search, knn_recall.
class ExactKnnStage : public Stage<dense::ExactKnnOptions> {
 public:
  static constexpr char kType[] = "exact_knn";
  static StageContract Contract(const dense::ExactKnnOptions& options) {
    return {StageKind::kSearch,
            {SlotSpec::Of<DenseMatrix>("corpus"), SlotSpec::Of<DenseMatrix>("queries")},
            {SlotSpec::Of<RankedLists>("ground_truth")},
            /*plans_device_memory=*/!options.cpu_only()};
  }

  // GpuIndexFlat holds the corpus (float32) and searches in tiles of queries; results come back
  // to the host.
  absl::StatusOr<MemoryEstimate> EstimateMemory(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const DenseMatrix* corpus, ctx.Input<DenseMatrix>("corpus"));
    ASSIGN_OR_RETURN(const DenseMatrix* queries, ctx.Input<DenseMatrix>("queries"));
    const int64_t results = queries->rows * options_.k() * (sizeof(float) + sizeof(int64_t));
    MemoryEstimate estimate;
    estimate.host_bytes =
        results + (options_.metric() == dense::COSINE ? corpus->bytes() + queries->bytes() : 0);
    estimate.host_detail =
        absl::StrCat("results: ", queries->rows, " queries x k ", options_.k(), " x 12 bytes");
    if (trawl_engine()) {
      // The index's own copy of the rows on the host; on the device the resident (full, sharded)
      // or streamed (reduced) engine with its search scratch for this k.
      const int dim = static_cast<int>(corpus->dim);
      const int k = static_cast<int>(std::min<int64_t>(options_.k(), exact_gpu::kMaxK));
      estimate.host_bytes += corpus->bytes();
      estimate.device_bytes = TrawlExactIndex::DeviceBytes(corpus->rows, dim, options_.metric(),
                                                           true, k, TrawlExactIndex::Params(false));
      estimate.reduced_device_bytes = TrawlExactIndex::DeviceBytes(
          corpus->rows, dim, options_.metric(), false, k, TrawlExactIndex::Params(true));
      estimate.shardable = true;
      return estimate;
    }
    estimate.device_bytes =
        corpus->bytes() + std::min<int64_t>(queries->bytes(), kGpuBatch * 4 * queries->dim);
    estimate.shardable = true;
    estimate.temp_bytes = 1024 * 4 * std::min<int64_t>(corpus->rows, 65536);
    return estimate;
  }

  absl::Status Open(const dense::ExactKnnOptions& options) override {
    if (options.k() < 0) return absl::InvalidArgumentError("k must be >= 0 (0 means 100)");
    if (options.threads() < 0) return absl::InvalidArgumentError("threads must be >= 0");
    if (options.engine() == dense::TRAWL && !options.cpu_only() && options.k() > exact_gpu::kMaxK) {
      return absl::InvalidArgumentError(
          absl::StrCat("k = ", options.k(), " exceeds the TRAWL engine's limit of ",
                       exact_gpu::kMaxK, "; use engine FAISS or cpu_only"));
    }
    options_ = options;
    if (options_.k() == 0) options_.set_k(100);
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const DenseMatrix* corpus, ctx.Input<DenseMatrix>("corpus"));
    ASSIGN_OR_RETURN(const DenseMatrix* queries, ctx.Input<DenseMatrix>("queries"));
    // Brute force over a large corpus is the slowest stage users wait for: show progress.
    Progress progress(absl::StrCat("stage '", ctx.stage_name(), "' (exact_knn): queries"),
                      queries->rows, stderr, -1, std::chrono::seconds(10));
    const bool long_job = queries->rows * corpus->rows * corpus->dim >= kProgressMinimumWork;
    std::function<void(int64_t)> report;
    if (long_job) report = [&](int64_t done) { progress.Update(done); };
    RankedLists truth;
    std::string device = "cpu";
    auto on_cpu = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(truth, ExactKnn(*corpus, *queries, options_.k(), options_.metric(),
                                       options_.threads(), report));
      if (long_job) progress.Finish();
      return absl::OkStatus();
    };
    if (options_.cpu_only()) {
      RETURN_IF_ERROR(on_cpu());
    } else {
      RETURN_IF_ERROR(ctx.RunPlaced([&](const DeviceLease& placement) -> absl::Status {
        if (!placement.on_gpu()) return on_cpu();
        device = absl::StrCat("gpu:", placement.devices[0]);
        if (placement.rung == Rung::kSharded) absl::StrAppend(&device, " (sharded)");
        if (trawl_engine()) {
          ASSIGN_OR_RETURN(truth, SearchWithTrawl(*corpus, *queries, placement));
          return absl::OkStatus();
        }
        return StatusFromCall("exact search on the GPU",
                              [&] { truth = SearchOnGpu(*corpus, *queries, placement); });
      }));
    }
    ctx.report().set_device(device);
    return ctx.SetOutput("ground_truth", std::move(truth));
  }

 private:
  static constexpr int64_t kGpuBatch = 16384;  // queries per GpuIndexFlat::search call

  bool trawl_engine() const { return options_.engine() == dense::TRAWL; }

  // Trawl's exact engine over the corpus (over the placement's GPUs on the sharded rung; streamed
  // from the host on the reduced rungs): float64 scores, as ExactKnn's.
  absl::StatusOr<RankedLists> SearchWithTrawl(const DenseMatrix& corpus_in,
                                              const DenseMatrix& queries_in,
                                              const DeviceLease& placement) const {
    if (corpus_in.dim != queries_in.dim) {
      return absl::InvalidArgumentError(absl::StrCat("queries have dimension ", queries_in.dim,
                                                     ", the corpus has ", corpus_in.dim));
    }
    DenseMatrix corpus_storage, queries_storage;
    const DenseMatrix& corpus = PrepareForMetric(corpus_in, options_.metric(), corpus_storage);
    const DenseMatrix& queries = PrepareForMetric(queries_in, options_.metric(), queries_storage);
    ASSIGN_OR_RETURN(std::unique_ptr<TrawlExactIndex> index,
                     TrawlExactIndex::CreatePlaced(corpus, options_.metric(), placement));
    const int64_t n = queries.rows, k = options_.k();
    RankedLists truth;
    truth.num_queries = n;
    truth.k = k;
    truth.doc_ids = corpus_in.ids;
    truth.query_ids = queries_in.ids;
    truth.doc_rows.resize(n * k);
    truth.scores.resize(n * k);
    std::vector<float> distances(n * k);
    RETURN_IF_ERROR(StatusFromCall("exact search on the GPU (engine TRAWL)", [&] {
      index->search(n, queries.data.data(), k, distances.data(),
                    reinterpret_cast<faiss::Index::idx_t*>(truth.doc_rows.data()));
    }));
    for (int64_t i = 0; i < n * k; ++i) {
      truth.scores[i] = truth.doc_rows[i] < 0 ? -std::numeric_limits<float>::infinity()
                                              : static_cast<float>(index->last_scores()[i]);
    }
    return truth;
  }

  // GpuIndexFlat (one per device, in IndexShards on the sharded rung) over the corpus.
  RankedLists SearchOnGpu(const DenseMatrix& corpus_in, const DenseMatrix& queries_in,
                          const DeviceLease& placement) const {
    if (corpus_in.dim != queries_in.dim) {
      throw std::invalid_argument(absl::StrCat("queries have dimension ", queries_in.dim,
                                               ", the corpus has ", corpus_in.dim));
    }
    DenseMatrix corpus_storage, queries_storage;
    const DenseMatrix& corpus = PrepareForMetric(corpus_in, options_.metric(), corpus_storage);
    const DenseMatrix& queries = PrepareForMetric(queries_in, options_.metric(), queries_storage);
    const int dim = static_cast<int>(corpus.dim);
    // An empty flat index placed as every FAISS index is (CloneToGpu: one GPU, or shards over the
    // lease's GPUs on the sharded rung), on the lease's streams.
    const FaissLease faiss(placement);  // declared before the index: outlives it
    const faiss::IndexFlat empty(dim, ToFaissMetric(options_.metric()));
    std::string not_placed;
    std::unique_ptr<faiss::Index> index = CloneToGpu(empty, placement, faiss, "Flat", &not_placed);
    if (index == nullptr) throw std::runtime_error(not_placed);
    index->add(corpus.rows, corpus.data.data());
    // FAISS's GPU k-selection stops at 2048; the corpus may be smaller than k.
    const int64_t k = std::min<int64_t>(options_.k(), corpus.rows);
    if (k > 2048)
      throw std::invalid_argument(
          absl::StrCat("k = ", k, " exceeds FAISS's GPU limit of 2048; set cpu_only"));
    const int64_t n = queries.rows;
    std::vector<float> distances(n * k);
    std::vector<faiss::Index::idx_t> labels(n * k);
    for (int64_t begin = 0; begin < n; begin += kGpuBatch) {
      const int64_t count = std::min(kGpuBatch, n - begin);
      index->search(count, queries.row(begin), k, distances.data() + begin * k,
                    labels.data() + begin * k);
    }
    RankedLists truth;
    truth.num_queries = n;
    truth.k = options_.k();
    truth.doc_ids = corpus_in.ids;
    truth.query_ids = queries_in.ids;
    truth.doc_rows.assign(n * truth.k, -1);
    truth.scores.assign(n * truth.k, -std::numeric_limits<float>::infinity());
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < k; ++j) {
        if (labels[i * k + j] < 0) continue;
        truth.doc_rows[i * truth.k + j] = labels[i * k + j];
        truth.scores[i * truth.k + j] =
            ScoreFromFaissDistance(options_.metric(), distances[i * k + j]);
      }
    }
    return truth;
  }

  // Below this many multiply-adds (a few seconds on 2 cores) the stage is too quick for progress.
  static constexpr int64_t kProgressMinimumWork = int64_t{64} << 30;

  dense::ExactKnnOptions options_;
};
TRAWL_REGISTER_STAGE(ExactKnnStage);

}  // namespace trawl
