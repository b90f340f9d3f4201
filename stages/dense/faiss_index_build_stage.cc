#include <algorithm>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "faiss/IndexFlat.h"
#include "faiss/IndexIVFFlat.h"
#include "faiss/gpu/GpuIndexFlat.h"
#include "faiss/gpu/GpuIndexIVFFlat.h"
#include "faiss/gpu/StandardGpuResources.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/dense/dense_index.h"
#include "stages/dense/dense_metric.h"
#include "stages/dense/faiss_index_build_stage.pb.h"

namespace trawl {

// Builds a FAISS index over a corpus: Flat or IVF-Flat, L2 / inner product / cosine, on the GPU
// when the run uses one (memory policy AUTO with a usable GPU, or GPU), on the CPU otherwise.
//
//   stage {
//     type: "faiss_index_build"  input: "corpus:corpus"  output: "index:flat"
//     options { [type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { index_type: FLAT } }
//   }
//
// Related: faiss_index_build_stage.proto, faiss_search, dense_index.h.
class FaissIndexBuildStage : public Stage<dense::FaissIndexBuildOptions> {
 public:
  static constexpr char kType[] = "faiss_index_build";
  static StageContract Contract() {
    return {StageKind::kIndexBuild, {{"corpus", SlotType::kDenseMatrix}}, {{"index", SlotType::kIndex}}};
  }

  absl::Status Open(const dense::FaissIndexBuildOptions& options) override {
    if (options.index_type() == dense::FaissIndexBuildOptions::IVF_FLAT && options.nlist() <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("nlist must be > 0 for IVF_FLAT, got ", options.nlist()));
    }
    if (options.train_size() < 0) return absl::InvalidArgumentError("train_size must be >= 0");
    options_ = options;
    return absl::OkStatus();
  }

  absl::StatusOr<MemoryEstimate> EstimateMemory(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const DenseMatrix* corpus, ctx.Input<DenseMatrix>("corpus"));
    MemoryEstimate estimate;
    const bool ivf = options_.index_type() == dense::FaissIndexBuildOptions::IVF_FLAT;
    // IVF stores an 8-byte id per vector plus nlist centroids.
    const int64_t ivf_extra = ivf ? corpus->rows * 8 + int64_t{options_.nlist()} * corpus->dim * 4 : 0;
    estimate.host_bytes = corpus->bytes() * (options_.metric() == dense::COSINE ? 2 : 1);
    estimate.gpu_bytes = corpus->bytes() + ivf_extra;
    estimate.gpu_bytes_float16 = ivf ? 0 : corpus->bytes() / 2;
    return estimate;
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const DenseMatrix* corpus_in, ctx.Input<DenseMatrix>("corpus"));
    if (corpus_in->rows == 0) return absl::InvalidArgumentError("the corpus is empty");
    DenseMatrix normalized;
    const DenseMatrix& corpus = PrepareForMetric(*corpus_in, options_.metric(), normalized);

    DenseIndex built;
    built.metric = options_.metric();
    built.ids = corpus.ids;
    const faiss::MetricType metric = ToFaissMetric(options_.metric());
    const int dim = static_cast<int>(corpus.dim);
    const bool ivf = options_.index_type() == dense::FaissIndexBuildOptions::IVF_FLAT;
    built.description = ivf ? absl::StrCat("IVF", options_.nlist(), ",Flat") : "Flat";

    RETURN_IF_ERROR(StatusFromCall("building " + built.description, [&] {
      if (ctx.env().UseGpu()) {
        built.device = ctx.env().gpu.devices[0].index;
        built.gpu_resources = std::make_shared<faiss::gpu::StandardGpuResources>();
        if (ivf) {
          faiss::gpu::GpuIndexIVFFlatConfig config;
          config.device = built.device;
          built.index = std::make_unique<faiss::gpu::GpuIndexIVFFlat>(
              built.gpu_resources.get(), dim, options_.nlist(), metric, config);
        } else {
          faiss::gpu::GpuIndexFlatConfig config;
          config.device = built.device;
          built.index = std::make_unique<faiss::gpu::GpuIndexFlat>(built.gpu_resources.get(), dim,
                                                                    metric, config);
        }
      } else if (ivf) {
        auto quantizer = new faiss::IndexFlat(dim, metric);
        auto index = std::make_unique<faiss::IndexIVFFlat>(quantizer, dim, options_.nlist(), metric);
        index->own_fields = true;
        built.index = std::move(index);
      } else {
        built.index = std::make_unique<faiss::IndexFlat>(dim, metric);
      }
      if (ivf) {
        const int64_t train = options_.train_size() > 0
                                  ? std::min(options_.train_size(), corpus.rows)
                                  : std::min<int64_t>(corpus.rows, 256LL * options_.nlist());
        built.index->train(train, corpus.data.data());
      }
      built.index->add(corpus.rows, corpus.data.data());
    }));
    ctx.report().set_device(built.on_gpu() ? absl::StrCat("gpu:", built.device) : "cpu");
    (*ctx.report().mutable_notes())["index"] = built.description;
    return ctx.SetOutput("index", std::move(built));
  }

 private:
  dense::FaissIndexBuildOptions options_;
};
TRAWL_REGISTER_STAGE(FaissIndexBuildStage);

}  // namespace trawl
