// trec_eval-compatible evaluation of a TREC run against qrels, and its command line's measure
// syntax. Definitions and conventions follow trec_eval 9 (usnistgov/trec_eval):
//
//  - Each query's documents are ranked by score descending, ties broken by document id in
//    descending string order; the run's own rank column is ignored. -M keeps the first N.
//  - A document is relevant when its judgment is >= the relevance level (-l, default 1). Judged
//    non-relevant: 0 <= judgment < level. Negative judgments are "in the pool, not judged";
//    documents absent from the qrels are unjudged. Neither counts as relevant or non-relevant.
//  - Queries evaluated: those of the run that the qrels know; with -c, every qrels query (missing
//    ones score 0) and averages are over all qrels queries.
//  - "all" is the mean over evaluated queries, except the counts (num_q, num_ret, num_rel,
//    num_rel_ret: sums) and gm_map (geometric mean, floor 1e-5).
//  - Lines print as trec_eval does: "%-22s\t%s\t%6.4f" (counts as integers), queries in id order,
//    measures in trec_eval's table order, "all" last.
//
// Measures: runid num_q num_ret num_rel num_rel_ret map gm_map Rprec bpref recip_rank
// iprec_at_recall P recall ndcg ndcg_cut map_cut success, with cut-offs as in "-m P.5,10";
// sets "official" (the default) and "all_trec" (the supported part of it). ir_measures names:
// AP, AP@k, nDCG, nDCG@k, P@k, R@k, RR, RR@k, Rprec, Bpref, Success@k, NumRet, NumRel, NumRelRet,
// NumQ — printed under the name given. Thread-safe.
#ifndef TRAWL_STAGES_EVAL_TREC_EVAL_H_
#define TRAWL_STAGES_EVAL_TREC_EVAL_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "stages/formats/trec.h"

namespace trawl {

struct EvalOptions {
  int relevance_level = 1;                                    // -l
  int64_t max_results = std::numeric_limits<int64_t>::max();  // -M
  bool average_complete = false;                              // -c
  bool per_query = false;                                     // -q
};

// One requested measure: a trec_eval base name with cut-offs, or an ir_measures spelling.
struct MeasureSpec {
  std::string base;             // "P", "ndcg_cut", "recip_rank", ...
  std::vector<double> cutoffs;  // for P, recall, ndcg_cut, map_cut, success, iprec_at_recall, RR@k
  std::string display;          // non-empty for ir_measures names: printed instead
};

// Parses -m arguments ("P.5,10", "ndcg_cut.10", "all_trec", "nDCG@10"). No arguments means
// "official". InvalidArgument naming an unknown measure or a bad cut-off, listing the known ones.
absl::StatusOr<std::vector<MeasureSpec>> ParseMeasures(const std::vector<std::string>& args);

struct EvalLine {
  std::string measure;  // "P_10", "ndcg_cut_10", "nDCG@10"
  std::string query;    // query id, or "all"
  double value = 0;
  bool integer = false;  // counts print without decimals
  std::string text;      // runid's value
};

// Per-query lines (when options.per_query) then the "all" lines. InvalidArgument when no query
// of the run has judgments.
absl::StatusOr<std::vector<EvalLine>> EvaluateRun(const Qrels& qrels, const TrecRun& run,
                                                  const std::vector<MeasureSpec>& measures,
                                                  const EvalOptions& options);

// trec_eval's line: "%-22s\t%s\t%6.4f" (or %ld for counts, the text for runid).
std::string FormatEvalLine(const EvalLine& line);

}  // namespace trawl

#endif  // TRAWL_STAGES_EVAL_TREC_EVAL_H_
