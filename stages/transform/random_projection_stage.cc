#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "pipelines/values/sparse_matrix.h"
#include "stages/transform/random_projection_stage.pb.h"

namespace trawl {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// FNV-1a of the term's bytes: the same on every machine and build (absl::Hash is not).
uint64_t TermHash(const std::string& term, uint64_t seed) {
  uint64_t h = 0xCBF29CE484222325ull ^ seed;
  for (unsigned char c : term) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

}  // namespace

// A dense view of sparse vectors by random projection: each term gets a random direction of
// +-1/sqrt(dim) components drawn from a hash of the term and the seed (so documents and queries
// from different files, with different vocabularies, agree), and a vector becomes the weighted
// sum of its terms' directions. Inner products are kept in expectation (Johnson-Lindenstrauss):
// with cosine search, the projected term-count vectors rank as the vector space model does, a
// signal independent of BM25's weighting. For hybrid pipelines without a neural encoder
// (configs/hybrid_bm25_dense.pbtxt); a real encoder's vectors come in through vector_reader.
//
//   stage {
//     type: "random_projection"  input: "vectors:doc_term_counts"  output: "vectors:doc_dense"
//     options { [type.googleapis.com/trawl.transform.RandomProjectionOptions] { dim: 256 } }
//   }
//
// Related: random_projection_stage.proto, sparsify (the other way), faiss_index_build.
class RandomProjectionStage : public Stage<transform::RandomProjectionOptions> {
 public:
  static constexpr char kType[] = "random_projection";
  static StageContract Contract() {
    return {StageKind::kTransform,
            {SlotSpec::Of<SparseMatrix>("vectors")},
            {SlotSpec::Of<DenseMatrix>("vectors")}};
  }

  absl::Status Open(const transform::RandomProjectionOptions& options) override {
    if (options.dim() < 0 || options.dim() > 65536) {
      return absl::InvalidArgumentError(
          absl::StrCat("dim must be within 1..65536 (0: 256), got ", options.dim()));
    }
    dim_ = options.dim() == 0 ? 256 : options.dim();
    seed_ = options.seed();
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const SparseMatrix* sparse, ctx.Input<SparseMatrix>("vectors"));
    // Each term's stream, hashed once; its direction's signs are drawn as each entry is added
    // (a table of directions would take vocabulary x dim floats).
    std::vector<uint64_t> term_seeds(sparse->vocabulary->size());
    for (size_t t = 0; t < term_seeds.size(); ++t) {
      term_seeds[t] = TermHash((*sparse->vocabulary)[t], seed_);
    }
    const float unit = 1.0f / std::sqrt(static_cast<float>(dim_));
    DenseMatrix dense;
    dense.rows = sparse->rows;
    dense.dim = dim_;
    dense.ids = sparse->ids;
    dense.data.assign(sparse->rows * dim_, 0.0f);
    for (int64_t r = 0; r < sparse->rows; ++r) {
      float* out = dense.data.data() + r * dim_;
      for (int64_t e = sparse->row_offsets[r]; e < sparse->row_offsets[r + 1]; ++e) {
        uint64_t state = term_seeds[sparse->terms[e]];
        const float step = sparse->weights[e] * unit;
        for (int j = 0; j < dim_; j += 64) {
          const uint64_t bits = SplitMix64(state);
          for (int b = 0; b < 64 && j + b < dim_; ++b) out[j + b] += (bits >> b) & 1 ? step : -step;
        }
      }
    }
    return ctx.SetOutput("vectors", std::move(dense));
  }

 private:
  int dim_ = 256;
  uint64_t seed_ = 0;
};
TRAWL_REGISTER_STAGE(RandomProjectionStage);

}  // namespace trawl
