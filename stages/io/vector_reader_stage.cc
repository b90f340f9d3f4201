#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/paths.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/formats/vectors.h"
#include "stages/io/vector_reader_stage.pb.h"

namespace trawl {

// Reads dense vectors from a file (stages/formats/vectors.h: .fvecs, .bvecs, .npy, HDF5 in
// ann-benchmarks' layout, Pyserini's JSON lines) into a matrix. Ids are the JSON objects' ids, or
// the row numbers for the binary formats. A malformed file fails with the file and the record.
//
//   stage {
//     type: "vector_reader"  output: "vectors:corpus"
//     options { [type.googleapis.com/trawl.io.VectorReaderOptions] { path: "sift_base.fvecs" } }
//   }
//
// Related: vector_reader_stage.proto, neighbors_reader, faiss_index_build.
class VectorReaderStage : public Stage<io::VectorReaderOptions> {
 public:
  static constexpr char kType[] = "vector_reader";
  static StageContract Contract() {
    return {StageKind::kSource, {}, {SlotSpec::Of<DenseMatrix>("vectors")}};
  }

  absl::Status Open(const io::VectorReaderOptions& options) override {
    if (options.path().empty()) return absl::InvalidArgumentError("path is required");
    if (options.limit() < 0) {
      return absl::InvalidArgumentError(absl::StrCat("limit must be >= 0, got ", options.limit()));
    }
    path_ = options.path();
    read_.limit = options.limit();
    read_.dataset = options.dataset();
    switch (options.format()) {
      case io::VectorReaderOptions::FROM_EXTENSION: {
        ASSIGN_OR_RETURN(read_.format, VectorFormatFromPath(options.path()));
        break;
      }
      case io::VectorReaderOptions::FVECS:
        read_.format = VectorFormat::kFvecs;
        break;
      case io::VectorReaderOptions::BVECS:
        read_.format = VectorFormat::kBvecs;
        break;
      case io::VectorReaderOptions::NPY:
        read_.format = VectorFormat::kNpy;
        break;
      case io::VectorReaderOptions::HDF5:
        read_.format = VectorFormat::kHdf5;
        break;
      case io::VectorReaderOptions::JSONL:
        read_.format = VectorFormat::kJsonLines;
        break;
      default:
        return absl::InvalidArgumentError("unknown format");
    }
    if (read_.format == VectorFormat::kIvecs) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", path_, "' is .ivecs (integer ids): read it with neighbors_reader"));
    }
    if (!read_.dataset.empty() && read_.format != VectorFormat::kHdf5) {
      return absl::InvalidArgumentError("dataset applies to HDF5 files only");
    }
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(DenseMatrix vectors, ReadVectors(path_, read_));
    auto& notes = *ctx.report().mutable_notes();
    notes["format"] = std::string(VectorFormatName(read_.format));
    notes["vectors"] = absl::StrCat(vectors.rows, " x ", vectors.dim);
    return ctx.SetOutput("vectors", std::move(vectors));
  }

  std::vector<FileUse> Files() const override {
    return {{FileUse::kInputFile, ResolveUserPath(path_)}};
  }

 private:
  std::string path_;
  VectorReadOptions read_;
};
TRAWL_REGISTER_STAGE(VectorReaderStage);

}  // namespace trawl
