// trec_eval-compatible evaluation of a TREC run against qrels, and its command line's measure
// syntax. Definitions, parameters, names and output follow trec_eval 10.0 (usnistgov/trec_eval),
// measure by measure:
//
//  - Each query's documents are ranked by score descending, ties broken by document id in
//    descending byte order; the run's own rank column is ignored. -M keeps the first N, then -J
//    drops the documents the qrels do not judge.
//  - A document is relevant when its judgment is >= the relevance level (-l, default 1). Judged
//    non-relevant: 0 <= judgment < level. Negative judgments are "in the pool, not judged";
//    documents absent from the qrels are not in the pool. The gain-based measures (ndcg, ndcg_cut,
//    ndcg_rel, Rndcg, G, rbp) use the judgment itself as the gain, as trec_eval does.
//  - Queries evaluated: those of the run that the qrels know; with -c, every qrels query (a query
//    the run misses is evaluated as trec_eval 10 does, against one unjudged document, and scores
//    0) and the averages are over all qrels queries.
//  - "all" is the mean over evaluated queries, except the counts (sums), num_q, the gm_ measures
//    (geometric mean, floor 1e-5), and num_rel with -c (judgments > 0 over the whole qrels).
//  - Lines print as trec_eval does: "%-22s\t%s\t%6.4f" (counts "%ld", runid its text, relstring
//    quoted), queries in id order, measures in trec_eval's table order, "all" last.
//  - Recall levels of iprec_at_recall and 11pt_avg are counts of relevant documents,
//    lround(level * num_rel), as in trec_eval 10.0; Rprec_mult keeps (long)(x * num_rel + 0.9).
//
// Measures: every measure of trec_eval 10's all_trec set (runid num_q num_ret num_rel num_rel_ret
// map gm_map Rprec bpref recip_rank iprec_at_recall P relstring recall infAP gm_bpref Rprec_mult
// utility 11pt_avg binG G ndcg ndcg_rel Rndcg ndcg_cut map_cut relative_P success set_P
// set_relative_P set_recall set_map set_F num_nonrel_judged_ret rbp rbp_resid unj) plus dcg and
// ideal_dcg; sets "official" (the default), "all_trec" and "set". Parameters as trec_eval takes
// them after the first '.': cut-offs ("P.5,10", "ndcg_cut.23.4" is ndcg_cut_23), levels
// ("iprec_at_recall..10,.5"), values ("utility.2,-1,0,0", "relstring.20", "set_F.0.5") and gains
// ("ndcg.1=3,2=9", "rbp.p=0.8"); the first -m naming a measure sets its parameters. ir_measures
// names: AP, AP@k, nDCG, nDCG@k, P@k, R@k, RR, RR@k, Rprec, Bpref, Success@k, NumRet, NumRel,
// NumRelRet, NumQ — printed under the name given. Thread-safe.
#ifndef TRAWL_STAGES_EVAL_TREC_EVAL_H_
#define TRAWL_STAGES_EVAL_TREC_EVAL_H_

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "stages/formats/trec.h"

namespace trawl {

struct EvalOptions {
  int relevance_level = 1;                                    // -l
  int64_t max_results = std::numeric_limits<int64_t>::max();  // -M
  bool average_complete = false;                              // -c
  bool per_query = false;                                     // -q
  bool judged_only = false;                                   // -J
  bool no_summary = false;                                    // -n
  int64_t num_docs_in_collection = 0;                         // -N (utility's 4th coefficient)
};

// One requested measure: a trec_eval measure with its parameters, or an ir_measures spelling.
struct MeasureSpec {
  std::string base;    // "P", "ndcg_cut", "recip_rank", ...
  std::string params;  // the parameter text as given ("" for the defaults): names use it
  // Parsed parameters: cut-offs or levels (sorted, for cut-off measures), or values in the order
  // given (utility, 11pt_avg, relstring, set_F).
  std::vector<double> values;
  std::vector<std::pair<std::string, double>> pairs;  // "k=v" parameters (gains, rbp's p)
  std::string display;  // non-empty for ir_measures names: printed instead
};

// Parses -m arguments ("P.5,10", "ndcg_cut.10", "all_trec", "nDCG@10"). No arguments means
// "official". InvalidArgument naming an unknown measure or bad parameters, listing the known ones.
absl::StatusOr<std::vector<MeasureSpec>> ParseMeasures(const std::vector<std::string>& args);

struct EvalLine {
  std::string measure;  // "P_10", "ndcg_cut_10", "nDCG@10"
  std::string query;    // query id, or "all"
  double value = 0;
  bool integer = false;   // counts print without decimals
  bool has_text = false;  // runid and relstring print `text`
  std::string text;
};

// Per-query lines (when options.per_query) then the "all" lines (unless options.no_summary).
// InvalidArgument when no query of the run has judgments (and -c is not set), when the run is
// empty, or for utility without its 4 coefficients.
absl::StatusOr<std::vector<EvalLine>> EvaluateRun(const Qrels& qrels, const TrecRun& run,
                                                  const std::vector<MeasureSpec>& measures,
                                                  const EvalOptions& options);

// trec_eval's line: "%-22s\t%s\t%6.4f" (or %ld for counts, the text for runid, 'text' for
// relstring).
std::string FormatEvalLine(const EvalLine& line);

}  // namespace trawl

#endif  // TRAWL_STAGES_EVAL_TREC_EVAL_H_
