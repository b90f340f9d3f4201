#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/paths.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values/sparse_matrix.h"
#include "stages/formats/sparse_vectors.h"
#include "stages/io/sparse_reader_stage.pb.h"

namespace trawl {

// Reads sparse vectors (stages/formats/sparse_vectors.h: Anserini's JSON vector collections,
// TSV impact queries) with their ids and vocabulary.
//
//   stage {
//     type: "sparse_reader"  output: "vectors:docs"
//     options { [type.googleapis.com/trawl.io.SparseReaderOptions] { path: "splade.jsonl.gz" } }
//   }
//
// Related: sparse_reader_stage.proto, sparse_index_build, sparse_search.
class SparseReaderStage : public Stage<io::SparseReaderOptions> {
 public:
  static constexpr char kType[] = "sparse_reader";
  static StageContract Contract() {
    return {StageKind::kSource, {}, {SlotSpec::Of<SparseMatrix>("vectors")}};
  }

  absl::Status Open(const io::SparseReaderOptions& options) override {
    if (options.path().empty()) return absl::InvalidArgumentError("path is required");
    if (options.quantize_scale() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("quantize_scale must be >= 0, got ", options.quantize_scale()));
    }
    path_ = options.path();
    read_.quantize_scale = options.quantize_scale();
    switch (options.format()) {
      case io::SparseReaderOptions::JSONL:
        read_.format = SparseFormat::kJsonLines;
        break;
      case io::SparseReaderOptions::TSV:
        read_.format = SparseFormat::kTsvQueries;
        break;
      default: {
        ASSIGN_OR_RETURN(read_.format, SparseFormatFromPath(path_));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(SparseMatrix vectors, ReadSparseVectors(path_, read_));
    auto& notes = *ctx.report().mutable_notes();
    notes["vectors"] = absl::StrCat(vectors.rows, " rows, ", vectors.vocabulary->size(), " terms, ",
                                    vectors.nonzeros(), " weights");
    notes["weights"] = vectors.integer_weights ? "integer" : "float";
    return ctx.SetOutput("vectors", std::move(vectors));
  }

  std::vector<FileUse> Files() const override {
    return {{FileUse::kInputFile, ResolveUserPath(path_)}};
  }

 private:
  std::string path_;
  SparseReadOptions read_;
};
TRAWL_REGISTER_STAGE(SparseReaderStage);

}  // namespace trawl
