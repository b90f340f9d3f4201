#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/eval/knn_qrels_stage.pb.h"
#include "stages/formats/trec.h"

namespace trawl {

// Turns exact nearest-neighbour ground truth into qrels: each query's true top-k neighbours are
// judged relevant (1), so IR measures (nDCG@10, RR@10, AP) can score ANN results on generated
// data that has no human judgments.
//
//   stage {
//     type: "knn_qrels"  input: "ground_truth:truth"  output: "qrels:knn_qrels"
//     options { [type.googleapis.com/trawl.eval.KnnQrelsOptions] { k: 10 } }
//   }
//
// Related: knn_qrels_stage.proto, exact_knn, trec_eval.
class KnnQrelsStage : public Stage<eval::KnnQrelsOptions> {
 public:
  static constexpr char kType[] = "knn_qrels";
  static StageContract Contract() {
    return {StageKind::kTransform,
            {SlotSpec::Of<RankedLists>("ground_truth")},
            {SlotSpec::Of<Qrels>("qrels")}};
  }

  absl::Status Open(const eval::KnnQrelsOptions& options) override {
    if (options.k() < 0) return absl::InvalidArgumentError("k must be >= 0 (0 means 10)");
    k_ = options.k() == 0 ? 10 : options.k();
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const RankedLists* truth, ctx.Input<RankedLists>("ground_truth"));
    if (k_ > truth->k) {
      return absl::InvalidArgumentError(absl::StrCat("k = ", k_, " but the ground truth has only ",
                                                     truth->k, " neighbours per query"));
    }
    Qrels qrels;
    for (int64_t q = 0; q < truth->num_queries; ++q) {
      auto& judged = qrels.by_query[truth->query_id(q)];
      for (int64_t j = 0; j < k_; ++j) {
        const int64_t row = truth->doc_rows[q * truth->k + j];
        if (row >= 0) judged[truth->doc_id(row)] = 1;
      }
    }
    return ctx.SetOutput("qrels", std::move(qrels));
  }

 private:
  int64_t k_ = 10;
};
TRAWL_REGISTER_STAGE(KnnQrelsStage);

}  // namespace trawl
