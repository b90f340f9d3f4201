#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/eval/knn_recall.h"
#include "stages/eval/knn_recall_stage.pb.h"

namespace trawl {

// recall@k of ranked results against exact nearest-neighbour ground truth (knn_recall.h).
// Emits metrics named "recall@K" in the order of `at`.
//
//   stage {
//     type: "knn_recall"  input: "results:results"  input: "ground_truth:truth"
//     output: "metrics:recall"
//     options { [type.googleapis.com/trawl.eval.KnnRecallOptions] { at: 1 at: 10 } }
//   }
//
// Related: knn_recall_stage.proto, exact_knn, faiss_search.
class KnnRecallStage : public Stage<eval::KnnRecallOptions> {
 public:
  static constexpr char kType[] = "knn_recall";
  static StageContract Contract() {
    return {StageKind::kEval,
            {SlotSpec::Of<RankedLists>("results"), SlotSpec::Of<RankedLists>("ground_truth")},
            {SlotSpec::Of<Metrics>("metrics")}};
  }

  absl::Status Open(const eval::KnnRecallOptions& options) override {
    cutoffs_.assign(options.at().begin(), options.at().end());
    if (cutoffs_.empty()) cutoffs_ = {1, 10, 100};
    for (int64_t k : cutoffs_) {
      if (k < 1) return absl::InvalidArgumentError(absl::StrCat("at: ", k, " must be >= 1"));
    }
    explicit_ = options.at_size() > 0;
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const RankedLists* results, ctx.Input<RankedLists>("results"));
    ASSIGN_OR_RETURN(const RankedLists* truth, ctx.Input<RankedLists>("ground_truth"));
    Metrics metrics;
    for (int64_t k : cutoffs_) {
      // Default cut-offs deeper than the lists are skipped; ones the user asked for are errors.
      if (!explicit_ && (k > results->k || k > truth->k)) continue;
      ASSIGN_OR_RETURN(double recall, KnnRecall(*results, *truth, k));
      metrics.values.emplace_back(absl::StrCat("recall@", k), recall);
    }
    return ctx.SetOutput("metrics", std::move(metrics));
  }

 private:
  std::vector<int64_t> cutoffs_;
  bool explicit_ = false;
};
TRAWL_REGISTER_STAGE(KnnRecallStage);

}  // namespace trawl
