#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "faiss/gpu/GpuCloner.h"
#include "pipelines/progress.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/dense/dense_index.h"
#include "stages/dense/dense_metric.h"
#include "stages/dense/faiss_placement.h"
#include "stages/dense/faiss_search_stage.pb.h"
#include "stages/dense/search_parameters.h"
#include "stages/dense/trawl_exact_index.h"

namespace trawl {

namespace {

// Whether `index` has not been searched on the GPU in this process yet: CUDA loads kernels on their
// first launch, so the first search warms up. Process state, not the shared index's: the index is
// read-only to every search. (A freed index's address reused by a new one only skips a warm-up.)
bool FirstGpuSearchOf(const faiss::Index* index) {
  static absl::Mutex mutex(absl::kConstInit);
  static auto* searched = new absl::flat_hash_set<const faiss::Index*>();
  absl::MutexLock lock(&mutex);
  return searched->insert(index).second;
}

}  // namespace

// Searches a FAISS index (from faiss_index_build) with a batch of queries, where the index lives:
// on its GPU or on the CPU. Scores are higher-is-better (negated L2 distances).
//
//   stage {
//     type: "faiss_search"  input: "index:flat"  input: "queries:queries"
//     output: "results:results"
//     options { [type.googleapis.com/trawl.dense.FaissSearchOptions] { k: 10 } }
//   }
//
// Related: faiss_search_stage.proto, faiss_index_build, exact_knn, knn_recall.
class FaissSearchStage : public Stage<dense::FaissSearchOptions> {
 public:
  static constexpr char kType[] = "faiss_search";
  static StageContract Contract() {
    return {StageKind::kSearch,
            {SlotSpec::Of<DenseIndex>("index"), SlotSpec::Of<DenseMatrix>("queries")},
            {SlotSpec::Of<RankedLists>("results")},
            /*plans_device_memory=*/true};
  }

  // FAISS 1.7.3's GPU k-selection handles at most this many results per query.
  static constexpr int64_t kMaxGpuK = 2048;
  static constexpr int64_t kMaxGpuBatch = 32768;

  absl::Status Open(const dense::FaissSearchOptions& options) override {
    if (options.k() < 0)
      return absl::InvalidArgumentError(absl::StrCat("k must be >= 0, got ", options.k()));
    if (options.nprobe() < 0) return absl::InvalidArgumentError("nprobe must be >= 0");
    if (options.query_batch() < 0) return absl::InvalidArgumentError("query_batch must be >= 0");
    query_batch_ = options.query_batch();
    k_ = options.k() == 0 ? 10 : options.k();
    nprobe_ = options.nprobe() == 0 ? 1 : options.nprobe();
    params_ = options.params();
    // FAISS's own reader checks the names and values when the index is known (Run).
    return absl::OkStatus();
  }

  absl::StatusOr<MemoryEstimate> EstimateMemory(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const DenseMatrix* queries, ctx.Input<DenseMatrix>("queries"));
    ASSIGN_OR_RETURN(const DenseIndex* index, ctx.Input<DenseIndex>("index"));
    MemoryEstimate estimate;
    const int64_t results = queries->rows * k_ * (sizeof(float) + sizeof(int64_t));
    estimate.host_bytes = queries->bytes() + results;
    estimate.host_detail = absl::StrCat("the queries and results: ", queries->rows, " queries x k ",
                                        k_, " x 12 bytes");
    // Searches run where the index lives: on its GPU (reusing its resources), else on the CPU.
    estimate.device_bytes = index->on_gpu() ? queries->bytes() + results : 0;
    estimate.resident_device = index->on_gpu() ? index->device : -1;
    return estimate;
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const DenseIndex* index, ctx.Input<DenseIndex>("index"));
    ASSIGN_OR_RETURN(const DenseMatrix* queries_in, ctx.Input<DenseMatrix>("queries"));
    if (queries_in->dim != index->index->d) {
      return absl::InvalidArgumentError(absl::StrCat("queries have dimension ", queries_in->dim,
                                                     ", the index has ", index->index->d));
    }
    const bool trawl_engine = dynamic_cast<const TrawlExactIndex*>(index->index.get()) != nullptr;
    if (trawl_engine && k_ > exact_gpu::kMaxK) {
      return absl::InvalidArgumentError(
          absl::StrCat("k = ", k_, " exceeds the TRAWL engine's limit of ", exact_gpu::kMaxK));
    }
    if (index->on_gpu() && !trawl_engine && k_ > kMaxGpuK) {
      return absl::InvalidArgumentError(
          absl::StrCat("k = ", k_, " exceeds FAISS's GPU limit of ", kMaxGpuK));
    }
    DenseMatrix normalized;
    const DenseMatrix& queries = PrepareForMetric(*queries_in, index->metric, normalized);

    const int64_t n = queries.rows;
    // FAISS writes straight into the results (ids are int64 both ways); converted in place below.
    RankedLists results;
    results.num_queries = n;
    results.k = k_;
    results.query_ids = queries.ids;
    results.doc_ids = index->ids;
    results.doc_rows.resize(n * k_);
    results.scores.resize(n * k_);
    static_assert(sizeof(faiss::Index::idx_t) == sizeof(int64_t), "FAISS ids are 64-bit");
    auto* labels = reinterpret_cast<faiss::Index::idx_t*>(results.doc_rows.data());
    float* distances = results.scores.data();
    std::string device = "cpu";
    RETURN_IF_ERROR(ctx.RunPlaced([&](const DeviceLease& placement) {
      return StatusFromCall("searching " + index->description, [&]() -> absl::Status {
        faiss::Index* target = index->index.get();
        std::unique_ptr<faiss::Index> cpu_copy;
        if (index->on_gpu() && placement.rung == Rung::kCpu) {  // the GPU could not take it
          cpu_copy = IndexToCpu(*target);
          target = cpu_copy.get();
        }
        const bool gpu_search = target == index->index.get() && index->on_gpu();
        // On the GPU the search runs on the stream the index was placed on (DenseIndex::streams):
        // FAISS's temp memory remembers the stream of each allocation, so the search's own
        // short-lived stream must not be bound to the index's resources.
        // The index is shared with later stages: nprobe and params hold for this search only.
        absl::StatusOr<ScopedSearchParameters> scoped =
            ScopedSearchParameters::Apply(target, nprobe_, params_, gpu_search);
        if (!scoped.ok()) return scoped.status();
        int64_t batch = query_batch_ > 0 ? std::min(query_batch_, n) : n;
        // FAISS 1.7.3's GPU IVF scan launches one grid row per query and fails (an abort) past
        // 65535 of them: GPU searches go in calls of at most kMaxGpuBatch queries.
        if (gpu_search) batch = std::min(batch, kMaxGpuBatch);
        if (gpu_search && n > 0 && FirstGpuSearchOf(target)) {
          // CUDA loads kernels on their first launch: one query first, so that search_seconds
          // (the sweeps' throughput) measures searching, not loading.
          std::vector<float> warm_distances(k_);
          std::vector<faiss::Index::idx_t> warm_labels(k_);
          target->search(1, queries.row(0), k_, warm_distances.data(), warm_labels.data());
        }
        const auto search_start = std::chrono::steady_clock::now();
        Progress progress(absl::StrCat("stage '", ctx.stage_name(), "' (faiss_search): queries"), n,
                          stderr, -1, std::chrono::seconds(10));
        for (int64_t begin = 0; begin < n; begin += batch) {
          const int64_t count = std::min(batch, n - begin);
          target->search(count, queries.row(begin), k_, distances + begin * k_,
                         labels + begin * k_);
          if (batch < n && query_batch_ > 0) progress.Update(begin + count);
        }
        if (batch < n && query_batch_ > 0) progress.Finish();
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - search_start).count();
        ctx.report().set_search_seconds(seconds);
        (*ctx.report().mutable_notes())["search_seconds"] = absl::StrCat(seconds);
        device = gpu_search ? absl::StrCat("gpu:", index->device) : "cpu";
        return absl::OkStatus();
      });
    }));

    // Labels come from the index's own lists, which a folder read from disk may hold anything in:
    // each is checked against the rows the ids describe before it names a document.
    const int64_t rows = index->ids.empty() ? index->index->ntotal : index->ids.size();
    for (int64_t i = 0; i < n * k_; ++i) {
      if (results.doc_rows[i] == -1) {  // FAISS's fill for missing results
        results.scores[i] = -std::numeric_limits<float>::infinity();
      } else if (results.doc_rows[i] < 0 || results.doc_rows[i] >= rows) {
        return absl::DataLossError(
            absl::StrCat("the index returned row ", results.doc_rows[i], " for query ", i / k_,
                         ", outside its ", rows,
                         " rows: its inverted lists hold ids it has no row for (a "
                         "corrupt or foreign index file?)"));
      } else {
        results.scores[i] = ScoreFromFaissDistance(index->metric, results.scores[i]);
      }
    }
    ctx.report().set_device(device);
    ctx.report().set_queries(n);  // for queries/s in sweeps
    (*ctx.report().mutable_notes())["queries"] = absl::StrCat(n);
    return ctx.SetOutput("results", std::move(results));
  }

 private:
  int64_t k_ = 10;
  int nprobe_ = 1;
  std::string params_;  // "nprobe=32,efSearch=128", applied after nprobe
  int64_t query_batch_ = 0;
};
TRAWL_REGISTER_STAGE(FaissSearchStage);

}  // namespace trawl
