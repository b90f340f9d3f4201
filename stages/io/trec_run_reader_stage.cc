#include <algorithm>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/paths.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/formats/trec.h"
#include "stages/io/trec_run_reader_stage.pb.h"

namespace trawl {

// Reads a TREC run file into ranked lists with its own string ids, ranked as trec_eval ranks a
// run: by score, highest first, ties by document id descending; the rank column and the line
// order are ignored. k is the longest query's list; shorter lists end with missing results.
// Queries keep trec_eval's order (by QID string).
//
//   stage {
//     type: "trec_run_reader"  output: "results:bm25"
//     options { [type.googleapis.com/trawl.io.TrecRunReaderOptions] { path: "bm25.run" } }
//   }
//
// Related: trec_run_reader_stage.proto, fusion, trec_eval.
class TrecRunReaderStage : public Stage<io::TrecRunReaderOptions> {
 public:
  static constexpr char kType[] = "trec_run_reader";
  static StageContract Contract() {
    return {StageKind::kSource, {}, {SlotSpec::Of<RankedLists>("results")}};
  }

  absl::Status Open(const io::TrecRunReaderOptions& options) override {
    if (options.path().empty()) return absl::InvalidArgumentError("path is required");
    path_ = options.path();
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(TrecRun run, ReadTrecRun(path_));
    RankedLists lists;
    lists.num_queries = static_cast<int64_t>(run.by_query.size());
    for (const auto& [qid, docs] : run.by_query) {
      lists.k = std::max<int64_t>(lists.k, static_cast<int64_t>(docs.size()));
    }
    // One collection for all queries: each distinct document id gets a row.
    absl::flat_hash_map<std::string, int64_t> rows;
    std::vector<std::string> doc_ids, query_ids;
    lists.doc_rows.assign(lists.num_queries * lists.k, -1);
    lists.scores.assign(lists.num_queries * lists.k, -std::numeric_limits<float>::infinity());
    int64_t q = 0;
    for (auto& [qid, docs] : run.by_query) {
      query_ids.push_back(qid);
      std::vector<RunDoc> ranked = docs;
      std::sort(ranked.begin(), ranked.end(), [](const RunDoc& a, const RunDoc& b) {
        return a.score > b.score || (a.score == b.score && a.docno > b.docno);
      });
      for (size_t j = 0; j < ranked.size(); ++j) {
        auto [it, inserted] = rows.emplace(ranked[j].docno, static_cast<int64_t>(doc_ids.size()));
        if (inserted) doc_ids.push_back(ranked[j].docno);
        lists.doc_rows[q * lists.k + j] = it->second;
        lists.scores[q * lists.k + j] = static_cast<float>(ranked[j].score);
      }
      ++q;
    }
    lists.doc_ids = IdTable::Of(doc_ids);
    lists.query_ids = IdTable::Of(query_ids);
    (*ctx.report().mutable_notes())["run"] =
        absl::StrCat(lists.num_queries, " queries, ", doc_ids.size(), " documents, tag ", run.tag);
    return ctx.SetOutput("results", std::move(lists));
  }

  std::vector<FileUse> Files() const override {
    return {{FileUse::kInputFile, ResolveUserPath(path_)}};
  }

 private:
  std::string path_;
};
TRAWL_REGISTER_STAGE(TrecRunReaderStage);

}  // namespace trawl
