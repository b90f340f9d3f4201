#include <chrono>
#include <functional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/progress.h"
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
            {SlotSpec::Of<DenseMatrix>("corpus"), SlotSpec::Of<DenseMatrix>("queries")},
            {SlotSpec::Of<RankedLists>("ground_truth")}};
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
    // Brute force over a large corpus is the slowest stage users wait for: show progress.
    Progress progress(absl::StrCat("stage '", ctx.stage_name(), "' (exact_knn): queries"),
                      queries->rows, stderr, -1, std::chrono::seconds(10));
    const bool long_job = queries->rows * corpus->rows * corpus->dim >= kProgressMinimumWork;
    std::function<void(int64_t)> report;
    if (long_job) report = [&](int64_t done) { progress.Update(done); };
    ASSIGN_OR_RETURN(RankedLists truth, ExactKnn(*corpus, *queries, options_.k(), options_.metric(),
                                                 options_.threads(), report));
    if (long_job) progress.Finish();
    ctx.report().set_device("cpu");
    return ctx.SetOutput("ground_truth", std::move(truth));
  }

 private:
  // Below this many multiply-adds (a few seconds on 2 cores) the stage is too quick for progress.
  static constexpr int64_t kProgressMinimumWork = int64_t{64} << 30;

  dense::ExactKnnOptions options_;
};
TRAWL_REGISTER_STAGE(ExactKnnStage);

}  // namespace trawl
