#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "stages/synth/clustered_dense.h"
#include "stages/synth/synth_dense_stage.pb.h"

namespace trawl {

// Generates a clustered Gaussian corpus and queries drawn from the same clusters
// (stages/synth/clustered_dense.h), deterministic for a seed.
//
//   stage {
//     type: "synth_dense"  output: "corpus:corpus"  output: "queries:queries"
//     options { [type.googleapis.com/trawl.synth.SynthDenseOptions] { num_vectors: 100000 dim: 128
//     } }
//   }
//
// Related: synth_dense_stage.proto, exact_knn (ground truth for these queries).
class SynthDenseStage : public Stage<synth::SynthDenseOptions> {
 public:
  static constexpr char kType[] = "synth_dense";
  static StageContract Contract() {
    return {StageKind::kSource,
            {},
            {SlotSpec::Of<DenseMatrix>("corpus"), SlotSpec::Of<DenseMatrix>("queries")}};
  }

  absl::Status Open(const synth::SynthDenseOptions& options) override {
    auto or_default = [](auto value, auto fallback) { return value != 0 ? value : fallback; };
    spec_.num_vectors = or_default(options.num_vectors(), spec_.num_vectors);
    spec_.num_queries = or_default(options.num_queries(), spec_.num_queries);
    spec_.dim = or_default(options.dim(), spec_.dim);
    // Unset, the clusters are the default's, but never more than the vectors.
    spec_.num_clusters = options.num_clusters() != 0
                             ? options.num_clusters()
                             : std::min<int64_t>(spec_.num_clusters, spec_.num_vectors);
    spec_.center_stddev = or_default(options.center_stddev(), spec_.center_stddev);
    spec_.noise_stddev = or_default(options.noise_stddev(), spec_.noise_stddev);
    spec_.seed = or_default(options.seed(), spec_.seed);
    // Every size and spread is checked now, before any stage runs.
    return CheckClusteredDenseSpec(spec_);
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(ClusteredDense data, GenerateClusteredDense(spec_));
    ctx.report().mutable_notes()->insert(
        {"corpus", absl::StrCat(data.corpus.rows, " x ", data.corpus.dim)});
    RETURN_IF_ERROR(ctx.SetOutput("corpus", std::move(data.corpus)));
    return ctx.SetOutput("queries", std::move(data.queries));
  }

 private:
  ClusteredDenseSpec spec_;
};
TRAWL_REGISTER_STAGE(SynthDenseStage);

}  // namespace trawl
