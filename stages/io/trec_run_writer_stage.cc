#include <cmath>
#include <cstdio>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "pipelines/paths.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/io/trec_run_writer_stage.pb.h"

namespace trawl {

// Writes ranked results as a TREC run file, one line per result:
// "QUERY_ID Q0 DOC_ID RANK SCORE TAG", ranks from 1, scores higher-is-better with 6 decimal
// places (%.6f); or, with format MSMARCO, "QUERY_ID<TAB>DOC_ID<TAB>RANK". Missing results
// (row -1) are not written. The file is replaced
// atomically: a reader never sees half a run.
//
//   stage {
//     type: "trec_run_writer"  input: "results:results"
//     options { [type.googleapis.com/trawl.io.TrecRunWriterOptions] { path: "flat.run" } }
//   }
//
// Related: trec_run_writer_stage.proto, faiss_search.
class TrecRunWriterStage : public Stage<io::TrecRunWriterOptions> {
 public:
  static constexpr char kType[] = "trec_run_writer";
  static StageContract Contract() {
    return {StageKind::kSink, {SlotSpec::Of<RankedLists>("results")}, {}};
  }

  absl::Status Open(const io::TrecRunWriterOptions& options) override {
    if (options.path().empty()) return absl::InvalidArgumentError("path is required");
    if (options.tag().find_first_of(" \t\n") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("tag '", options.tag(), "' contains whitespace"));
    }
    path_ = ResolveUserPath(options.path());
    tag_ = options.tag().empty() ? "trawl" : options.tag();
    msmarco_ = options.format() == io::TrecRunWriterOptions::MSMARCO;
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const RankedLists* results, ctx.Input<RankedLists>("results"));
    const std::string temp = path_ + ".tmp";
    {
      std::ofstream out(temp, std::ios::trunc);
      if (!out)
        return absl::PermissionDeniedError(absl::StrCat("cannot write run file '", temp, "'"));
      for (int64_t q = 0; q < results->num_queries; ++q) {
        for (int64_t j = 0; j < results->k; ++j) {
          const int64_t row = results->doc_rows[q * results->k + j];
          if (row < 0) break;  // missing results come last
          if (msmarco_) {
            out << absl::StrFormat("%s\t%s\t%d\n", results->query_id(q), results->doc_id(row),
                                   j + 1);
          } else {
            out << absl::StrFormat("%s Q0 %s %d %.6f %s\n", results->query_id(q),
                                   results->doc_id(row), j + 1, results->scores[q * results->k + j],
                                   tag_);
          }
        }
      }
      if (!out.good()) return absl::DataLossError(absl::StrCat("write to '", temp, "' failed"));
    }
    if (std::rename(temp.c_str(), path_.c_str()) != 0) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot move run file into place at '", path_, "'"));
    }
    (*ctx.report().mutable_notes())["path"] = path_;
    return absl::OkStatus();
  }

 private:
  std::string path_;
  std::string tag_;
  bool msmarco_ = false;
};
TRAWL_REGISTER_STAGE(TrecRunWriterStage);

}  // namespace trawl
