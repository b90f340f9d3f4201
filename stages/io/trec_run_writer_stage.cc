#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/files.h"
#include "pipelines/paths.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/formats/record_ids.h"
#include "stages/formats/trec.h"
#include "stages/io/trec_run_writer_stage.pb.h"

namespace trawl {

// Writes ranked results as a TREC run file, one line per result:
// "QUERY_ID Q0 DOC_ID RANK SCORE TAG", ranks from 1, scores higher-is-better with 6 decimal
// places (%.6f); or, with format MSMARCO, "QUERY_ID<TAB>DOC_ID<TAB>RANK". Missing results
// (row -1) are not written. The file is replaced
// atomically (pipelines/files.h): a reader never sees half a run, and two runs writing one path
// leave the complete file of one of them. Ids that are empty or hold whitespace are an error.
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
    ASSIGN_OR_RETURN(std::unique_ptr<AtomicFileWriter> out,
                     AtomicFileWriter::Create(path_, "run file"));
    std::string lines;
    for (int64_t q = 0; q < results->num_queries; ++q) {
      const std::string qid = results->query_id(q);
      if (!IsRunFileId(qid)) return BadId("query", q, qid);
      for (int64_t j = 0; j < results->k; ++j) {
        const int64_t row = results->doc_rows[q * results->k + j];
        if (row < 0) break;  // missing results come last
        const std::string docno = results->doc_id(row);
        if (!IsRunFileId(docno)) return BadId("document", row, docno);
        if (msmarco_) {
          AppendMsMarcoRunLine(lines, qid, docno, j + 1);
        } else {
          AppendTrecRunLine(lines, qid, docno, j + 1, results->scores[q * results->k + j], tag_);
        }
      }
      if (lines.size() >= (1 << 20)) {
        RETURN_IF_ERROR(out->Append(lines));
        lines.clear();
      }
    }
    RETURN_IF_ERROR(out->Append(lines));
    RETURN_IF_ERROR(out->Commit());
    (*ctx.report().mutable_notes())["path"] = path_;
    return absl::OkStatus();
  }

  std::vector<FileUse> Files() const override { return {{FileUse::kOutputFile, path_}}; }

 private:
  std::string path_;
  std::string tag_;
  bool msmarco_ = false;

  // Readers reject such ids; one that reaches the writer anyway (a stage's own ids) must not
  // shift or split a line of the run.
  absl::Status BadId(absl::string_view what, int64_t row, absl::string_view id) const {
    return BadRunFileIdError(id, absl::StrCat("run file '", path_, "': ", what, " ", row));
  }
};
TRAWL_REGISTER_STAGE(TrecRunWriterStage);

}  // namespace trawl
