#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "pipelines/values/sparse_matrix.h"
#include "stages/transform/sparsify_stage.pb.h"

namespace trawl {

// A sparse view of dense vectors: each vector's largest components by magnitude become terms
// "d<j>+" or "d<j>-" (by sign) with integer weights round(scale * |x_j|), so the sparse dot product
// of two vectors approximates the part of their inner product carried by shared large components
// of the same sign. For hybrid pipelines on generated data: a lexical-like signal correlated
// with the dense one, searched by the sparse index.
//
//   stage {
//     type: "sparsify"  input: "vectors:corpus"  output: "vectors:sparse_corpus"
//     options { [type.googleapis.com/trawl.transform.SparsifyOptions] { terms: 32 } }
//   }
//
// Related: sparsify_stage.proto, sparse_index_build, fusion.
class SparsifyStage : public Stage<transform::SparsifyOptions> {
 public:
  static constexpr char kType[] = "sparsify";
  static StageContract Contract() {
    return {StageKind::kTransform,
            {SlotSpec::Of<DenseMatrix>("vectors")},
            {SlotSpec::Of<SparseMatrix>("vectors")}};
  }

  absl::Status Open(const transform::SparsifyOptions& options) override {
    if (options.terms() < 0) return absl::InvalidArgumentError("terms must be >= 0");
    if (options.scale() < 0 || !std::isfinite(options.scale())) {
      return absl::InvalidArgumentError("scale must be >= 0");
    }
    terms_ = options.terms() == 0 ? 32 : options.terms();
    scale_ = options.scale() == 0 ? 100 : options.scale();
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const DenseMatrix* dense, ctx.Input<DenseMatrix>("vectors"));
    auto vocabulary = std::make_shared<std::vector<std::string>>();
    for (int64_t j = 0; j < dense->dim; ++j) {
      vocabulary->push_back(absl::StrCat("d", j, "+"));
      vocabulary->push_back(absl::StrCat("d", j, "-"));
    }
    SparseMatrix sparse;
    sparse.rows = dense->rows;
    sparse.vocabulary = std::move(vocabulary);
    sparse.ids = dense->ids;
    const int64_t keep = std::min<int64_t>(terms_, dense->dim);
    std::vector<int32_t> order(dense->dim);
    for (int64_t i = 0; i < dense->rows; ++i) {
      const float* row = dense->row(i);
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + keep, order.end(),
                        [&](int32_t a, int32_t b) {
                          return std::fabs(row[a]) > std::fabs(row[b]) ||
                                 (std::fabs(row[a]) == std::fabs(row[b]) && a < b);
                        });
      std::sort(order.begin(), order.begin() + keep);
      for (int64_t e = 0; e < keep; ++e) {
        const int32_t j = order[e];
        const float weight = std::round(scale_ * std::fabs(row[j]));
        if (weight == 0) continue;
        sparse.terms.push_back(2 * j + (row[j] < 0 ? 1 : 0));
        sparse.weights.push_back(weight);
      }
      sparse.row_offsets.push_back(static_cast<int64_t>(sparse.terms.size()));
    }
    return ctx.SetOutput("vectors", std::move(sparse));
  }

 private:
  int32_t terms_ = 32;
  float scale_ = 100;
};
TRAWL_REGISTER_STAGE(SparsifyStage);

}  // namespace trawl
