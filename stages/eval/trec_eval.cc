#include "stages/eval/trec_eval.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "pipelines/status_util.h"

namespace trawl {
namespace {

constexpr int kNonPool = -1;   // not in the qrels
constexpr int kUnjudged = -2;  // in the qrels with a negative judgment
constexpr double kMinGeoMean = 1e-5;

// The relevance of each retrieved document in rank order, and the query's judgment statistics.
struct RankedRels {
  std::vector<int> rels;                 // judgment, kNonPool or kUnjudged, best rank first
  int64_t num_rel = 0;                   // judged >= relevance level
  int64_t num_nonrel = 0;                // judged in [0, relevance level)
  std::vector<int64_t> judged_at_level;  // count of judgments per level >= 0
};

RankedRels Rank(const std::map<std::string, int>& judgments, std::vector<RunDoc> docs,
                const EvalOptions& options) {
  // trec_eval: score descending, ties by document id descending.
  std::sort(docs.begin(), docs.end(), [](const RunDoc& a, const RunDoc& b) {
    return a.score != b.score ? a.score > b.score : a.docno > b.docno;
  });
  if (static_cast<int64_t>(docs.size()) > options.max_results) docs.resize(options.max_results);
  RankedRels out;
  for (const RunDoc& doc : docs) {
    auto it = judgments.find(doc.docno);
    out.rels.push_back(it == judgments.end() ? kNonPool : it->second < 0 ? kUnjudged : it->second);
  }
  for (const auto& [docno, rel] : judgments) {
    if (rel < 0) continue;
    if (static_cast<size_t>(rel) >= out.judged_at_level.size())
      out.judged_at_level.resize(rel + 1, 0);
    ++out.judged_at_level[rel];
    (rel >= options.relevance_level ? out.num_rel : out.num_nonrel)++;
  }
  return out;
}

class QueryMeasures {
 public:
  QueryMeasures(const RankedRels& r, int level) : r_(r), level_(level) {}

  bool Relevant(size_t i) const { return r_.rels[i] >= level_; }
  int64_t RelRetAt(int64_t k) const {
    int64_t n = 0;
    for (size_t i = 0; i < r_.rels.size() && static_cast<int64_t>(i) < k; ++i) n += Relevant(i);
    return n;
  }
  int64_t NumRet() const { return static_cast<int64_t>(r_.rels.size()); }

  double AveragePrecision(int64_t cutoff) const {
    if (r_.num_rel == 0) return 0;
    double sum = 0;
    int64_t found = 0;
    for (size_t i = 0; i < r_.rels.size() && static_cast<int64_t>(i) < cutoff; ++i) {
      if (Relevant(i)) sum += static_cast<double>(++found) / (i + 1);
    }
    return sum / r_.num_rel;
  }
  double Rprec() const {
    return r_.num_rel == 0 ? 0 : static_cast<double>(RelRetAt(r_.num_rel)) / r_.num_rel;
  }
  double Bpref() const {
    const int64_t cap = std::min(r_.num_nonrel, r_.num_rel);
    int64_t nonrel_so_far = 0;
    double bpref = 0;
    for (int rel : r_.rels) {
      if (rel < 0) continue;  // unjudged or not in the pool
      if (rel < level_) {
        ++nonrel_so_far;
      } else {
        bpref += nonrel_so_far > 0
                     ? 1.0 - static_cast<double>(std::min(nonrel_so_far, r_.num_rel)) / cap
                     : 1.0;
      }
    }
    return r_.num_rel ? bpref / r_.num_rel : bpref;
  }
  double RecipRank(int64_t cutoff) const {
    for (size_t i = 0; i < r_.rels.size() && static_cast<int64_t>(i) < cutoff; ++i) {
      if (Relevant(i)) return 1.0 / (i + 1);
    }
    return 0;
  }
  double InterpolatedPrecisionAtRecall(double recall) const {
    if (r_.num_rel == 0) return 0;
    double best = 0;
    int64_t found = 0;
    for (size_t i = 0; i < r_.rels.size(); ++i) {
      if (!Relevant(i)) continue;
      ++found;
      if (static_cast<double>(found) / r_.num_rel >= recall) {
        best = std::max(best, static_cast<double>(found) / (i + 1));
      }
    }
    return best;
  }
  // nDCG with gain = judgment level (trec_eval's default gains), ideal from all judgments;
  // both truncated at `cutoff`.
  double Ndcg(int64_t cutoff) const {
    double dcg = 0;
    for (size_t i = 0; i < r_.rels.size() && static_cast<int64_t>(i) < cutoff; ++i) {
      if (r_.rels[i] > 0) dcg += r_.rels[i] / std::log2(i + 2.0);
    }
    double ideal = 0;
    int64_t rank = 0;
    for (int level = static_cast<int>(r_.judged_at_level.size()) - 1; level > 0; --level) {
      for (int64_t n = 0; n < r_.judged_at_level[level] && rank < cutoff; ++n, ++rank) {
        ideal += level / std::log2(rank + 2.0);
      }
    }
    return ideal > 0 ? dcg / ideal : 0;
  }

 private:
  const RankedRels& r_;
  int level_;
};

// How a measure's per-query values become its "all" value.
enum class Aggregate {
  kText,     // runid: the run's tag
  kSum,      // counts
  kMean,     // over evaluated queries
  kGeoMean,  // gm_map: exp(mean(log(max(v, 1e-5))))
};

constexpr int64_t kAll = std::numeric_limits<int64_t>::max();
// The cut-off measures without one get: every retrieved document.
constexpr double kNoCutoff = std::numeric_limits<double>::infinity();

// A cut-off as a document count (kAll for kNoCutoff).
int64_t Depth(double cutoff) {
  return cutoff >= static_cast<double>(kAll) ? kAll : static_cast<int64_t>(cutoff);
}
const std::vector<double> kStandardCutoffs = {5, 10, 15, 20, 30, 100, 200, 500, 1000};

// One trec_eval measure: the one table that says which measures exist, in trec_eval's order
// (measures.c), which belong to the official set, which take cut-offs, and how to compute them.
struct MeasureDef {
  std::string name;
  Aggregate aggregate;
  bool official;
  std::vector<double> default_cutoffs;  // empty: the measure takes no cut-offs
  // The value per cut-off (or one value) for one query.
  std::function<double(const QueryMeasures& q, const RankedRels& r, double cutoff)> compute;

  bool takes_cutoffs() const { return !default_cutoffs.empty(); }
  bool integer() const { return aggregate == Aggregate::kSum; }
};

const std::vector<MeasureDef>& Measures() {
  using Q = const QueryMeasures&;
  using R = const RankedRels&;
  static const auto* measures = new std::vector<MeasureDef>{
      {"runid", Aggregate::kText, true, {}, nullptr},
      {"num_q", Aggregate::kSum, true, {}, [](Q, R, double) { return 1.0; }},
      {"num_ret", Aggregate::kSum, true, {}, [](Q q, R, double) { return 1.0 * q.NumRet(); }},
      {"num_rel", Aggregate::kSum, true, {}, [](Q, R r, double) { return 1.0 * r.num_rel; }},
      {"num_rel_ret",
       Aggregate::kSum,
       true,
       {},
       [](Q q, R, double) { return 1.0 * q.RelRetAt(kAll); }},
      {"map", Aggregate::kMean, true, {}, [](Q q, R, double) { return q.AveragePrecision(kAll); }},
      {"gm_map",
       Aggregate::kGeoMean,
       true,
       {},
       [](Q q, R, double) { return q.AveragePrecision(kAll); }},
      {"Rprec", Aggregate::kMean, true, {}, [](Q q, R, double) { return q.Rprec(); }},
      {"bpref", Aggregate::kMean, true, {}, [](Q q, R, double) { return q.Bpref(); }},
      // Its cut-off is only reachable through the ir_measures name RR@k.
      {"recip_rank",
       Aggregate::kMean,
       true,
       {},
       [](Q q, R, double k) { return q.RecipRank(Depth(k)); }},
      {"iprec_at_recall",
       Aggregate::kMean,
       true,
       {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0},
       [](Q q, R, double recall) { return q.InterpolatedPrecisionAtRecall(recall); }},
      {"P", Aggregate::kMean, true, kStandardCutoffs,
       [](Q q, R, double k) { return 1.0 * q.RelRetAt(Depth(k)) / k; }},
      {"recall", Aggregate::kMean, false, kStandardCutoffs,
       [](Q q, R r, double k) { return r.num_rel ? 1.0 * q.RelRetAt(Depth(k)) / r.num_rel : 0.0; }},
      {"ndcg", Aggregate::kMean, false, {}, [](Q q, R, double) { return q.Ndcg(kAll); }},
      {"ndcg_cut", Aggregate::kMean, false, kStandardCutoffs,
       [](Q q, R, double k) { return q.Ndcg(Depth(k)); }},
      {"map_cut", Aggregate::kMean, false, kStandardCutoffs,
       [](Q q, R, double k) { return q.AveragePrecision(Depth(k)); }},
      {"success",
       Aggregate::kMean,
       false,
       {1, 5, 10},
       [](Q q, R, double k) { return q.RelRetAt(Depth(k)) > 0 ? 1.0 : 0.0; }},
  };
  return *measures;
}

// The table entry named `name`, or nullptr.
const MeasureDef* FindMeasure(absl::string_view name) {
  for (const MeasureDef& def : Measures()) {
    if (def.name == name) return &def;
  }
  return nullptr;
}

std::string CutoffName(const MeasureDef& def, double cutoff) {
  if (def.name == "iprec_at_recall") return absl::StrFormat("%s_%.2f", def.name, cutoff);
  return absl::StrCat(def.name, "_", static_cast<int64_t>(cutoff));
}

// Values of one spec for one query: one per cut-off (or one).
std::vector<double> Compute(const MeasureSpec& spec, const MeasureDef& def, const QueryMeasures& q,
                            const RankedRels& r) {
  if (spec.cutoffs.empty()) return {def.compute(q, r, kNoCutoff)};
  std::vector<double> values;
  for (double cutoff : spec.cutoffs) values.push_back(def.compute(q, r, cutoff));
  return values;
}

std::vector<std::string> Names(const MeasureSpec& spec, const MeasureDef& def) {
  if (!spec.display.empty()) return {spec.display};
  if (!def.takes_cutoffs()) return {def.name};
  std::vector<std::string> names;
  for (double c : spec.cutoffs) names.push_back(CutoffName(def, c));
  return names;
}

// ir_measures name -> (trec_eval measure without a cut-off, with one); "" where there is none.
const std::map<std::string, std::pair<std::string, std::string>>& IrMeasures() {
  static const auto* bases = new std::map<std::string, std::pair<std::string, std::string>>{
      // ir_measures name -> (base without cut-off, base with cut-off)
      {"AP", {"map", "map_cut"}},
      {"nDCG", {"ndcg", "ndcg_cut"}},
      {"P", {"", "P"}},
      {"R", {"", "recall"}},
      {"RR", {"recip_rank", "recip_rank"}},
      {"Rprec", {"Rprec", ""}},
      {"Bpref", {"bpref", ""}},
      {"Success", {"", "success"}},
      {"NumRet", {"num_ret", ""}},
      {"NumRel", {"num_rel", ""}},
      {"NumRelRet", {"num_rel_ret", ""}},
      {"NumQ", {"num_q", ""}}};
  return *bases;
}

// "unknown measure ...", listing every name the parser takes.
absl::Status UnknownMeasure(absl::string_view arg) {
  std::vector<std::string> trec, ir;
  for (const MeasureDef& def : Measures()) trec.push_back(def.name);
  for (const auto& [name, bases] : IrMeasures()) {
    if (!bases.first.empty()) ir.push_back(name);
    if (!bases.second.empty()) ir.push_back(absl::StrCat(name, "@k"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown measure '", arg, "'; trec_eval measures: ", absl::StrJoin(trec, " "),
                   ", sets: official all_trec, ir_measures: ", absl::StrJoin(ir, " ")));
}

// ir_measures spellings -> trec_eval measures.
absl::StatusOr<MeasureSpec> ParseIrMeasure(const std::string& name) {
  std::pair<std::string, std::string> parts = absl::StrSplit(name, absl::MaxSplits('@', 1));
  const auto* bases = &IrMeasures();
  auto it = bases->find(parts.first);
  const bool has_cutoff = name.find('@') != std::string::npos;
  int64_t k = 0;
  if (it == bases->end() ||
      (has_cutoff && (it->second.second.empty() || !absl::SimpleAtoi(parts.second, &k) || k < 1)) ||
      (!has_cutoff && it->second.first.empty())) {
    return UnknownMeasure(name);
  }
  MeasureSpec spec;
  spec.display = name;
  spec.base = has_cutoff ? it->second.second : it->second.first;
  if (has_cutoff) spec.cutoffs = {static_cast<double>(k)};
  return spec;
}

}  // namespace

absl::StatusOr<std::vector<MeasureSpec>> ParseMeasures(const std::vector<std::string>& args) {
  std::vector<std::string> requested = args.empty() ? std::vector<std::string>{"official"} : args;
  std::map<std::string, MeasureSpec> trec;  // by base
  std::vector<MeasureSpec> ir;
  auto add = [&](const MeasureDef& def, std::vector<double> cutoffs) {
    MeasureSpec& spec = trec[def.name];
    spec.base = def.name;
    if (def.takes_cutoffs()) {
      if (cutoffs.empty()) cutoffs = def.default_cutoffs;
      for (double c : cutoffs) {
        if (std::find(spec.cutoffs.begin(), spec.cutoffs.end(), c) == spec.cutoffs.end())
          spec.cutoffs.push_back(c);
      }
    }
  };
  for (const std::string& arg : requested) {
    if (arg == "official" || arg == "all_trec") {
      for (const MeasureDef& def : Measures()) {
        if (arg == "all_trec" || def.official) add(def, {});
      }
      continue;
    }
    std::pair<std::string, std::string> parts = absl::StrSplit(arg, absl::MaxSplits('.', 1));
    const MeasureDef* def = FindMeasure(parts.first);
    if (def == nullptr) {
      ASSIGN_OR_RETURN(MeasureSpec spec, ParseIrMeasure(arg));
      ir.push_back(std::move(spec));
      continue;
    }
    std::vector<double> cutoffs;
    if (arg.find('.') != std::string::npos) {
      if (!def->takes_cutoffs()) {
        return absl::InvalidArgumentError(
            absl::StrCat("measure '", parts.first, "' takes no cut-offs: '", arg, "'"));
      }
      for (absl::string_view c : absl::StrSplit(parts.second, ',')) {
        double value = 0;
        if (!absl::SimpleAtod(c, &value) || value <= 0 ||
            (parts.first != "iprec_at_recall" && value != std::floor(value))) {
          return absl::InvalidArgumentError(absl::StrCat("bad cut-off '", c, "' in '", arg, "'"));
        }
        cutoffs.push_back(value);
      }
    }
    add(*def, cutoffs);
  }
  std::vector<MeasureSpec> out;
  for (const MeasureDef& def : Measures()) {
    if (trec.count(def.name)) out.push_back(trec[def.name]);
  }
  out.insert(out.end(), ir.begin(), ir.end());
  return out;
}

absl::StatusOr<std::vector<EvalLine>> EvaluateRun(const Qrels& qrels, const TrecRun& run,
                                                  const std::vector<MeasureSpec>& measures,
                                                  const EvalOptions& options) {
  std::vector<std::string> queries;
  for (const auto& [qid, docs] : run.by_query) {
    if (qrels.by_query.count(qid)) queries.push_back(qid);
  }
  if (options.average_complete) {
    queries.clear();
    for (const auto& [qid, judgments] : qrels.by_query) queries.push_back(qid);
  }
  if (queries.empty()) {
    return absl::InvalidArgumentError("no query of the run has relevance judgments in the qrels");
  }
  std::vector<EvalLine> lines;
  // Accumulated sums (or log sums for gm_map) per measure name, in output order.
  struct Total {
    const MeasureSpec* spec;
    const MeasureDef* def;
    std::vector<std::string> names;
    std::vector<double> sums;
  };
  std::vector<Total> totals;
  for (const MeasureSpec& spec : measures) {
    const MeasureDef* def = FindMeasure(spec.base);
    if (def == nullptr)
      return absl::InvalidArgumentError(absl::StrCat("unknown measure '", spec.base, "'"));
    std::vector<std::string> names = Names(spec, *def);
    totals.push_back(Total{&spec, def, names, std::vector<double>(names.size(), 0)});
  }

  static const std::vector<RunDoc> kNoDocs;
  for (const std::string& qid : queries) {
    auto docs = run.by_query.find(qid);
    RankedRels ranked =
        Rank(qrels.by_query.at(qid), docs == run.by_query.end() ? kNoDocs : docs->second, options);
    QueryMeasures q(ranked, options.relevance_level);
    for (Total& total : totals) {
      if (total.def->aggregate == Aggregate::kText) continue;
      std::vector<double> values = Compute(*total.spec, *total.def, q, ranked);
      for (size_t i = 0; i < values.size(); ++i) {
        total.sums[i] += total.def->aggregate == Aggregate::kGeoMean
                             ? std::log(std::max(values[i], kMinGeoMean))
                             : values[i];
        // trec_eval prints neither num_q nor gm_map per query.
        if (options.per_query && total.def->name != "num_q" &&
            total.def->aggregate != Aggregate::kGeoMean) {
          lines.push_back(EvalLine{total.names[i], qid, values[i], total.def->integer()});
        }
      }
    }
  }
  const double n = static_cast<double>(queries.size());
  for (const Total& total : totals) {
    if (total.def->aggregate == Aggregate::kText) {
      lines.push_back(EvalLine{total.def->name, "all", 0, false, run.tag});
      continue;
    }
    for (size_t i = 0; i < total.sums.size(); ++i) {
      const double sum = total.sums[i];
      const double value = total.def->aggregate == Aggregate::kSum       ? sum
                           : total.def->aggregate == Aggregate::kGeoMean ? std::exp(sum / n)
                                                                         : sum / n;
      lines.push_back(EvalLine{total.names[i], "all", value, total.def->integer()});
    }
  }
  return lines;
}

std::string FormatEvalLine(const EvalLine& line) {
  if (line.measure == "runid")
    return absl::StrFormat("%-22s\t%s\t%s", line.measure, line.query, line.text);
  if (line.integer) {
    return absl::StrFormat("%-22s\t%s\t%d", line.measure, line.query,
                           static_cast<int64_t>(line.value));
  }
  return absl::StrFormat("%-22s\t%s\t%6.4f", line.measure, line.query, line.value);
}

}  // namespace trawl
