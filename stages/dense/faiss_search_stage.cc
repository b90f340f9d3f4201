#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "faiss/IndexIVF.h"
#include "faiss/gpu/GpuIndexIVF.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/dense/dense_index.h"
#include "stages/dense/dense_metric.h"
#include "stages/dense/faiss_search_stage.pb.h"

namespace trawl {

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
            {{"index", SlotType::kIndex}, {"queries", SlotType::kDenseMatrix}},
            {{"results", SlotType::kRankedLists}}};
  }

  // FAISS 1.7.3's GPU k-selection handles at most this many results per query.
  static constexpr int64_t kMaxGpuK = 2048;

  absl::Status Open(const dense::FaissSearchOptions& options) override {
    if (options.k() < 0) return absl::InvalidArgumentError(absl::StrCat("k must be >= 0, got ", options.k()));
    if (options.nprobe() < 0) return absl::InvalidArgumentError("nprobe must be >= 0");
    k_ = options.k() == 0 ? 10 : options.k();
    nprobe_ = options.nprobe() == 0 ? 1 : options.nprobe();
    return absl::OkStatus();
  }

  absl::StatusOr<MemoryEstimate> EstimateMemory(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const DenseMatrix* queries, ctx.Input<DenseMatrix>("queries"));
    MemoryEstimate estimate;
    const int64_t results = queries->rows * k_ * (sizeof(float) + sizeof(int64_t));
    estimate.host_bytes = queries->bytes() + results;
    estimate.gpu_bytes = queries->bytes() + results;
    return estimate;
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(DenseIndex* index, ctx.Input<DenseIndex>("index"));
    ASSIGN_OR_RETURN(const DenseMatrix* queries_in, ctx.Input<DenseMatrix>("queries"));
    if (queries_in->dim != index->index->d) {
      return absl::InvalidArgumentError(absl::StrCat("queries have dimension ", queries_in->dim,
                                                     ", the index has ", index->index->d));
    }
    if (index->on_gpu() && k_ > kMaxGpuK) {
      return absl::InvalidArgumentError(
          absl::StrCat("k = ", k_, " exceeds FAISS's GPU limit of ", kMaxGpuK));
    }
    DenseMatrix normalized;
    const DenseMatrix& queries = PrepareForMetric(*queries_in, index->metric, normalized);

    const int64_t n = queries.rows;
    std::vector<float> distances(n * k_);
    std::vector<faiss::Index::idx_t> labels(n * k_);
    RETURN_IF_ERROR(StatusFromCall("searching " + index->description, [&] {
      if (auto* gpu_ivf = dynamic_cast<faiss::gpu::GpuIndexIVF*>(index->index.get())) {
        gpu_ivf->setNumProbes(nprobe_);
      } else if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(index->index.get())) {
        ivf->nprobe = nprobe_;
      }
      index->index->search(n, queries.data.data(), k_, distances.data(), labels.data());
    }));

    RankedLists results;
    results.num_queries = n;
    results.k = k_;
    results.query_ids = queries.ids;
    results.ids.resize(n * k_);
    results.scores.resize(n * k_);
    for (int64_t i = 0; i < n * k_; ++i) {
      if (labels[i] < 0) {  // FAISS's fill for missing results
        results.ids[i] = -1;
        results.scores[i] = -std::numeric_limits<float>::infinity();
      } else {
        results.ids[i] = index->id(labels[i]);
        results.scores[i] = ScoreFromFaissDistance(index->metric, distances[i]);
      }
    }
    ctx.report().set_device(index->on_gpu() ? absl::StrCat("gpu:", index->device) : "cpu");
    return ctx.SetOutput("results", std::move(results));
  }

 private:
  int64_t k_ = 10;
  int nprobe_ = 1;
};
TRAWL_REGISTER_STAGE(FaissSearchStage);

}  // namespace trawl
