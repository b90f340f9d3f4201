#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/paths.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/formats/vectors.h"
#include "stages/io/neighbors_reader_stage.pb.h"

namespace trawl {

// Reads ground-truth neighbours (.ivecs, or an HDF5 "neighbors" dataset as ann-benchmarks ships
// it) into ranked lists for knn_recall: row i holds query i's true neighbours, nearest first, as
// row numbers of the corpus file. A negative id or a neighbour twice in a row is an error naming
// the row: such a file is not ground truth. The files carry no scores, so result j scores -(j + 1):
// best first, as ranked lists are.
//
//   stage {
//     type: "neighbors_reader"  output: "ground_truth:truth"
//     options { [type.googleapis.com/trawl.io.NeighborsReaderOptions] { path: "gt.ivecs" } }
//   }
//
// Related: neighbors_reader_stage.proto, vector_reader, knn_recall.
class NeighborsReaderStage : public Stage<io::NeighborsReaderOptions> {
 public:
  static constexpr char kType[] = "neighbors_reader";
  static StageContract Contract() {
    return {StageKind::kSource, {}, {SlotSpec::Of<RankedLists>("ground_truth")}};
  }

  absl::Status Open(const io::NeighborsReaderOptions& options) override {
    if (options.path().empty()) return absl::InvalidArgumentError("path is required");
    if (options.limit() < 0) {
      return absl::InvalidArgumentError(absl::StrCat("limit must be >= 0, got ", options.limit()));
    }
    ASSIGN_OR_RETURN(format_, VectorFormatFromPath(options.path()));
    if (format_ != VectorFormat::kIvecs && format_ != VectorFormat::kHdf5) {
      return absl::InvalidArgumentError(
          absl::StrCat("neighbors_reader reads .ivecs or HDF5 files; '", options.path(), "' is ",
                       VectorFormatName(format_)));
    }
    options_ = options;
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(IntMatrix ids,
                     ReadIntMatrix(options_.path(), format_, options_.dataset(), options_.limit()));
    RankedLists truth;
    truth.num_queries = ids.rows;
    truth.k = ids.cols;
    truth.doc_rows.resize(ids.values.size());
    truth.scores.resize(ids.values.size());
    const std::string path = ResolveUserPath(options_.path());
    for (int64_t i = 0; i < ids.rows; ++i) {
      absl::flat_hash_set<int64_t> seen;
      for (int64_t j = 0; j < ids.cols; ++j) {
        const int64_t id = ids.values[i * ids.cols + j];
        // A negative or repeated neighbour is not a ground truth: recall against it would be
        // silently wrong (0.95 where the search is exact).
        if (id < 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              path, ": row ", i, ": neighbour ", j, " is ", id,
              "; expected row numbers of the corpus (>= 0), as many as the file's width"));
        }
        if (!seen.insert(id).second) {
          return absl::InvalidArgumentError(
              absl::StrCat(path, ": row ", i, ": neighbour ", id, " appears twice"));
        }
        truth.doc_rows[i * ids.cols + j] = id;
        truth.scores[i * ids.cols + j] = -static_cast<float>(j + 1);
      }
    }
    (*ctx.report().mutable_notes())["ground_truth"] = absl::StrCat(ids.rows, " x ", ids.cols);
    return ctx.SetOutput("ground_truth", std::move(truth));
  }

  std::vector<FileUse> Files() const override {
    return {{FileUse::kInputFile, ResolveUserPath(options_.path())}};
  }

 private:
  io::NeighborsReaderOptions options_;
  VectorFormat format_ = VectorFormat::kIvecs;
};
TRAWL_REGISTER_STAGE(NeighborsReaderStage);

}  // namespace trawl
