#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/eval/trec_eval.h"
#include "stages/eval/trec_eval_stage.pb.h"
#include "stages/formats/trec.h"

namespace trawl {

// Evaluates ranked results against qrels with trec_eval's definitions (stages/eval/trec_eval.h);
// emits the "all" value of each measure under trec_eval's or ir_measures' name ("ndcg_cut_10",
// "nDCG@10"). Queries and documents are matched to the qrels by the results' external ids
// ("MED-10"; row numbers as decimal strings for collections without ids).
//
//   stage {
//     type: "trec_eval"  input: "results:results"  input: "qrels:qrels"  output: "metrics:ir"
//     options { [type.googleapis.com/trawl.eval.TrecEvalOptions] { measure: "nDCG@10" measure:
//     "RR@10" } }
//   }
//
// Related: trec_eval_stage.proto, qrels_reader, knn_qrels, `trawl eval`.
class TrecEvalStage : public Stage<eval::TrecEvalOptions> {
 public:
  static constexpr char kType[] = "trec_eval";
  static StageContract Contract() {
    return {StageKind::kEval,
            {SlotSpec::Of<RankedLists>("results"), SlotSpec::Of<Qrels>("qrels")},
            {SlotSpec::Of<Metrics>("metrics")}};
  }

  absl::Status Open(const eval::TrecEvalOptions& options) override {
    std::vector<std::string> measures(options.measure().begin(), options.measure().end());
    if (measures.empty()) measures = {"nDCG@10", "RR@10", "AP", "R@100"};
    ASSIGN_OR_RETURN(measures_, ParseMeasures(measures));
    if (options.relevance_level() < 0 || options.max_results() < 0) {
      return absl::InvalidArgumentError("relevance_level and max_results must be >= 0");
    }
    if (options.relevance_level() > 0) options_.relevance_level = options.relevance_level();
    if (options.max_results() > 0) options_.max_results = options.max_results();
    options_.average_complete = options.average_complete();
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const RankedLists* results, ctx.Input<RankedLists>("results"));
    ASSIGN_OR_RETURN(const Qrels* qrels, ctx.Input<Qrels>("qrels"));
    TrecRun run;
    for (int64_t q = 0; q < results->num_queries; ++q) {
      std::vector<RunDoc>& docs = run.by_query[results->query_id(q)];
      for (int64_t j = 0; j < results->k; ++j) {
        const int64_t row = results->doc_rows[q * results->k + j];
        if (row >= 0)
          docs.push_back(RunDoc{results->doc_id(row), results->scores[q * results->k + j]});
      }
    }
    ASSIGN_OR_RETURN(std::vector<EvalLine> lines, EvaluateRun(*qrels, run, measures_, options_));
    Metrics metrics;
    for (const EvalLine& line : lines) {
      if (line.query == "all" && line.measure != "runid")
        metrics.values.emplace_back(line.measure, line.value);
    }
    return ctx.SetOutput("metrics", std::move(metrics));
  }

 private:
  std::vector<MeasureSpec> measures_;
  EvalOptions options_;
};
TRAWL_REGISTER_STAGE(TrecEvalStage);

}  // namespace trawl
