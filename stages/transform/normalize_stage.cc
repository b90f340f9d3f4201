#include "absl/status/status.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/dense/dense_metric.h"
#include "stages/transform/normalize_stage.pb.h"

namespace trawl {

// Scales every row of a dense matrix to unit L2 norm (all-zero rows stay zero), e.g. to search
// cosine similarity with an inner-product index, or to store normalised embeddings once.
//
//   stage {
//     type: "normalize"  input: "in:corpus"  output: "out:unit_corpus"
//   }
//
// Related: normalize_stage.proto, faiss_index_build (metric: COSINE normalises internally).
class NormalizeStage : public Stage<transform::NormalizeOptions> {
 public:
  static constexpr char kType[] = "normalize";
  static StageContract Contract() {
    return {StageKind::kTransform,
            {SlotSpec::Of<DenseMatrix>("in")},
            {SlotSpec::Of<DenseMatrix>("out")}};
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const DenseMatrix* in, ctx.Input<DenseMatrix>("in"));
    return ctx.SetOutput("out", NormalizedRows(*in));
  }
};
TRAWL_REGISTER_STAGE(NormalizeStage);

}  // namespace trawl
