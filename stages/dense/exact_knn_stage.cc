#include "absl/status/status.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/dense/exact_knn.h"
#include "stages/dense/exact_knn_stage.pb.h"

namespace trawl {

// Exact k-nearest neighbours by brute force on the CPU (stages/dense/exact_knn.h): the ground
// truth that ANN and FAISS results are evaluated against.
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
  static StageContract Contract() {
    return {StageKind::kTransform,
            {{"corpus", SlotType::kDenseMatrix}, {"queries", SlotType::kDenseMatrix}},
            {{"ground_truth", SlotType::kRankedLists}}};
  }

  absl::Status Open(const dense::ExactKnnOptions& options) override {
    if (options.k() < 0) return absl::InvalidArgumentError("k must be >= 0 (0 means 100)");
    if (options.threads() < 0) return absl::InvalidArgumentError("threads must be >= 0");
    options_ = options;
    if (options_.k() == 0) options_.set_k(100);
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const DenseMatrix* corpus, ctx.Input<DenseMatrix>("corpus"));
    ASSIGN_OR_RETURN(const DenseMatrix* queries, ctx.Input<DenseMatrix>("queries"));
    ASSIGN_OR_RETURN(RankedLists truth, ExactKnn(*corpus, *queries, options_.k(), options_.metric(),
                                                 options_.threads()));
    ctx.report().set_device("cpu");
    return ctx.SetOutput("ground_truth", std::move(truth));
  }

 private:
  dense::ExactKnnOptions options_;
};
TRAWL_REGISTER_STAGE(ExactKnnStage);

}  // namespace trawl
