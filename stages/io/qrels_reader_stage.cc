#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/paths.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "stages/formats/trec.h"
#include "stages/io/qrels_reader_stage.pb.h"

namespace trawl {

// Reads TREC qrels (stages/formats/trec.h); a malformed line fails with FILE:LINE.
//
//   stage {
//     type: "qrels_reader"  output: "qrels:qrels"
//     options { [type.googleapis.com/trawl.io.QrelsReaderOptions] { path: "qrels.dev.txt" } }
//   }
//
// Related: qrels_reader_stage.proto, trec_eval.
class QrelsReaderStage : public Stage<io::QrelsReaderOptions> {
 public:
  static constexpr char kType[] = "qrels_reader";
  static StageContract Contract() {
    return {StageKind::kSource, {}, {SlotSpec::Of<Qrels>("qrels")}};
  }

  absl::Status Open(const io::QrelsReaderOptions& options) override {
    if (options.path().empty()) return absl::InvalidArgumentError("path is required");
    path_ = options.path();
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(Qrels qrels, ReadQrels(path_));
    (*ctx.report().mutable_notes())["queries"] = absl::StrCat(qrels.by_query.size());
    return ctx.SetOutput("qrels", std::move(qrels));
  }

  std::vector<FileUse> Files() const override {
    return {{FileUse::kInputFile, ResolveUserPath(path_)}};
  }

 private:
  std::string path_;
};
TRAWL_REGISTER_STAGE(QrelsReaderStage);

}  // namespace trawl
