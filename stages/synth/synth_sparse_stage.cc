#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values/sparse_matrix.h"
#include "stages/synth/synth_sparse_stage.pb.h"

namespace trawl {

// Generates a SPLADE-like collection: terms drawn with Zipf-like frequencies (term t about as
// likely as 1 / (t + 1)), distinct within a vector, integer weights 1-254 skewed towards small
// ones (as quantised SPLADE weights are), rows named by their numbers; deterministic for a seed.
// For throughput and agreement (EXACT against MAXSCORE, CPU against GPU), not effectiveness.
//
//   stage {
//     type: "synth_sparse"  output: "corpus:docs"  output: "queries:queries"
//     options { [type.googleapis.com/trawl.synth.SynthSparseOptions] { num_documents: 100000 } }
//   }
//
// Related: synth_sparse_stage.proto, sparse_index_build, sparse_search.
class SynthSparseStage : public Stage<synth::SynthSparseOptions> {
 public:
  static constexpr char kType[] = "synth_sparse";
  static StageContract Contract() {
    return {StageKind::kSource,
            {},
            {SlotSpec::Of<SparseMatrix>("corpus"), SlotSpec::Of<SparseMatrix>("queries")}};
  }

  absl::Status Open(const synth::SynthSparseOptions& options) override {
    if (options.num_documents() < 0 || options.num_queries() < 0 || options.vocabulary() < 0 ||
        options.document_terms() < 0 || options.query_terms() < 0) {
      return absl::InvalidArgumentError("sizes must be >= 0 (0: the default)");
    }
    options_ = options;
    if (options_.num_documents() == 0) options_.set_num_documents(100000);
    if (options_.num_queries() == 0) options_.set_num_queries(1000);
    if (options_.vocabulary() == 0) options_.set_vocabulary(30522);
    if (options_.document_terms() == 0) options_.set_document_terms(120);
    if (options_.query_terms() == 0) options_.set_query_terms(40);
    if (options_.seed() == 0) options_.set_seed(123);
    if (options_.document_terms() > options_.vocabulary() ||
        options_.query_terms() > options_.vocabulary()) {
      return absl::InvalidArgumentError("terms per vector must not exceed the vocabulary");
    }
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    auto vocabulary = std::make_shared<std::vector<std::string>>();
    for (int32_t t = 0; t < options_.vocabulary(); ++t) vocabulary->push_back(absl::StrCat("t", t));
    uint64_t state = options_.seed() * 0x9E3779B97F4A7C15ull + 1;
    SparseMatrix corpus =
        Generate(options_.num_documents(), options_.document_terms(), vocabulary, state);
    SparseMatrix queries =
        Generate(options_.num_queries(), options_.query_terms(), vocabulary, state);
    RETURN_IF_ERROR(ctx.SetOutput("corpus", std::move(corpus)));
    return ctx.SetOutput("queries", std::move(queries));
  }

 private:
  static double Uniform(uint64_t& state) {  // in (0, 1)
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (static_cast<double>(state >> 11) + 0.5) / 9007199254740992.0;
  }

  SparseMatrix Generate(int64_t rows, int32_t terms_per_row,
                        std::shared_ptr<std::vector<std::string>> vocabulary,
                        uint64_t& state) const {
    SparseMatrix m;
    m.rows = rows;
    m.vocabulary = vocabulary;
    m.terms.reserve(rows * terms_per_row);
    m.weights.reserve(rows * terms_per_row);
    const double v = options_.vocabulary();
    std::vector<int32_t> row;
    for (int64_t r = 0; r < rows; ++r) {
      row.clear();
      while (static_cast<int32_t>(row.size()) < terms_per_row) {
        // P(t) ~ 1/(t+1): t = floor((v+1)^u) - 1.
        const int32_t t = std::min<int32_t>(
            options_.vocabulary() - 1, static_cast<int32_t>(std::pow(v + 1, Uniform(state))) - 1);
        if (std::find(row.begin(), row.end(), t) == row.end()) row.push_back(t);
      }
      std::sort(row.begin(), row.end());
      for (int32_t t : row) {
        m.terms.push_back(t);
        m.weights.push_back(
            static_cast<float>(1 + static_cast<int>(254 * std::pow(Uniform(state), 3))));
      }
      m.row_offsets.push_back(static_cast<int64_t>(m.terms.size()));
    }
    return m;
  }

  synth::SynthSparseOptions options_;
};
TRAWL_REGISTER_STAGE(SynthSparseStage);

}  // namespace trawl
