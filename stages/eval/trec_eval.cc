#include "stages/eval/trec_eval.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace trawl {
namespace {

constexpr int kNonPool = -1;   // not in the qrels
constexpr int kUnjudged = -2;  // in the qrels with a negative judgment
constexpr double kMinGeoMean = 1e-5;

// trec_eval's measure table order (measures.c) for the measures Trawl implements.
const std::vector<std::string>& TableOrder() {
  static const auto* order = new std::vector<std::string>{
      "runid", "num_q", "num_ret", "num_rel", "num_rel_ret", "map", "gm_map", "Rprec", "bpref",
      "recip_rank", "iprec_at_recall", "P", "recall", "ndcg", "ndcg_cut", "map_cut", "success"};
  return *order;
}

const std::map<std::string, std::vector<double>>& DefaultCutoffs() {
  static const auto* cutoffs = new std::map<std::string, std::vector<double>>{
      {"P", {5, 10, 15, 20, 30, 100, 200, 500, 1000}},
      {"recall", {5, 10, 15, 20, 30, 100, 200, 500, 1000}},
      {"ndcg_cut", {5, 10, 15, 20, 30, 100, 200, 500, 1000}},
      {"map_cut", {5, 10, 15, 20, 30, 100, 200, 500, 1000}},
      {"success", {1, 5, 10}},
      {"iprec_at_recall", {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}}};
  return *cutoffs;
}

bool IsCount(const std::string& base) {
  return base == "num_q" || base == "num_ret" || base == "num_rel" || base == "num_rel_ret";
}

// The relevance of each retrieved document in rank order, and the query's judgment statistics.
struct RankedRels {
  std::vector<int> rels;  // judgment, kNonPool or kUnjudged, best rank first
  int64_t num_rel = 0;    // judged >= relevance level
  int64_t num_nonrel = 0; // judged in [0, relevance level)
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
    if (static_cast<size_t>(rel) >= out.judged_at_level.size()) out.judged_at_level.resize(rel + 1, 0);
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

std::string CutoffName(const std::string& base, double cutoff) {
  if (base == "iprec_at_recall") return absl::StrFormat("%s_%.2f", base, cutoff);
  return absl::StrCat(base, "_", static_cast<int64_t>(cutoff));
}

// Values of one spec for one query: one per cut-off (or one).
std::vector<double> Compute(const MeasureSpec& spec, const QueryMeasures& q, const RankedRels& r) {
  const std::string& b = spec.base;
  constexpr int64_t kAll = std::numeric_limits<int64_t>::max();
  std::vector<double> out;
  if (b == "num_q") return {1};
  if (b == "num_ret") return {static_cast<double>(q.NumRet())};
  if (b == "num_rel") return {static_cast<double>(r.num_rel)};
  if (b == "num_rel_ret") return {static_cast<double>(q.RelRetAt(kAll))};
  if (b == "map" || b == "gm_map") return {q.AveragePrecision(kAll)};
  if (b == "Rprec") return {q.Rprec()};
  if (b == "bpref") return {q.Bpref()};
  if (b == "recip_rank") return {q.RecipRank(spec.cutoffs.empty() ? kAll : spec.cutoffs[0])};
  if (b == "ndcg") return {q.Ndcg(kAll)};
  for (double c : spec.cutoffs) {
    const int64_t k = static_cast<int64_t>(c);
    if (b == "P") out.push_back(static_cast<double>(q.RelRetAt(k)) / k);
    if (b == "recall") out.push_back(r.num_rel ? static_cast<double>(q.RelRetAt(k)) / r.num_rel : 0);
    if (b == "ndcg_cut") out.push_back(q.Ndcg(k));
    if (b == "map_cut") out.push_back(q.AveragePrecision(k));
    if (b == "success") out.push_back(q.RelRetAt(k) > 0 ? 1 : 0);
    if (b == "iprec_at_recall") out.push_back(q.InterpolatedPrecisionAtRecall(c));
  }
  return out;
}

std::vector<std::string> Names(const MeasureSpec& spec) {
  if (!spec.display.empty()) return {spec.display};
  if (!DefaultCutoffs().count(spec.base)) return {spec.base};
  std::vector<std::string> names;
  for (double c : spec.cutoffs) names.push_back(CutoffName(spec.base, c));
  return names;
}

// ir_measures spellings -> trec_eval measures.
absl::StatusOr<MeasureSpec> ParseIrMeasure(const std::string& name) {
  std::pair<std::string, std::string> parts = absl::StrSplit(name, absl::MaxSplits('@', 1));
  static const auto* bases = new std::map<std::string, std::pair<std::string, std::string>>{
      // ir_measures name -> (base without cut-off, base with cut-off)
      {"AP", {"map", "map_cut"}},       {"nDCG", {"ndcg", "ndcg_cut"}}, {"P", {"", "P"}},
      {"R", {"", "recall"}},            {"RR", {"recip_rank", "recip_rank"}},
      {"Rprec", {"Rprec", ""}},         {"Bpref", {"bpref", ""}},       {"Success", {"", "success"}},
      {"NumRet", {"num_ret", ""}},      {"NumRel", {"num_rel", ""}},    {"NumRelRet", {"num_rel_ret", ""}},
      {"NumQ", {"num_q", ""}}};
  auto it = bases->find(parts.first);
  const bool has_cutoff = name.find('@') != std::string::npos;
  int64_t k = 0;
  if (it == bases->end() || (has_cutoff && (it->second.second.empty() || !absl::SimpleAtoi(parts.second, &k) || k < 1)) ||
      (!has_cutoff && it->second.first.empty())) {
    return absl::InvalidArgumentError(absl::StrCat("unknown measure '", name, "'"));
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
  auto add = [&](const std::string& base, std::vector<double> cutoffs) {
    MeasureSpec& spec = trec[base];
    spec.base = base;
    if (DefaultCutoffs().count(base)) {
      if (cutoffs.empty()) cutoffs = DefaultCutoffs().at(base);
      for (double c : cutoffs) {
        if (std::find(spec.cutoffs.begin(), spec.cutoffs.end(), c) == spec.cutoffs.end()) spec.cutoffs.push_back(c);
      }
    }
  };
  for (const std::string& arg : requested) {
    if (arg == "official" || arg == "all_trec") {
      for (const std::string& base : TableOrder()) {
        const bool official = base != "recall" && base != "ndcg" && base != "ndcg_cut" &&
                              base != "map_cut" && base != "success";
        if (arg == "all_trec" || official) add(base, {});
      }
      continue;
    }
    std::pair<std::string, std::string> parts = absl::StrSplit(arg, absl::MaxSplits('.', 1));
    const bool trec_name =
        std::find(TableOrder().begin(), TableOrder().end(), parts.first) != TableOrder().end();
    if (!trec_name) {
      absl::StatusOr<MeasureSpec> spec = ParseIrMeasure(arg);
      if (!spec.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown measure '", arg, "'; trec_eval measures: ", absl::StrJoin(TableOrder(), " "),
            ", sets: official all_trec, ir_measures: AP AP@k nDCG nDCG@k P@k R@k RR RR@k Rprec "
            "Bpref Success@k NumRet NumRel NumRelRet NumQ"));
      }
      ir.push_back(*spec);
      continue;
    }
    std::vector<double> cutoffs;
    if (arg.find('.') != std::string::npos) {
      if (!DefaultCutoffs().count(parts.first)) {
        return absl::InvalidArgumentError(absl::StrCat("measure '", parts.first, "' takes no cut-offs: '", arg, "'"));
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
    add(parts.first, cutoffs);
  }
  std::vector<MeasureSpec> out;
  for (const std::string& base : TableOrder()) {
    if (trec.count(base)) out.push_back(trec[base]);
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
  std::vector<std::pair<const MeasureSpec*, std::vector<double>>> totals;
  for (const MeasureSpec& spec : measures) totals.emplace_back(&spec, std::vector<double>(Names(spec).size(), 0));

  static const std::vector<RunDoc> kNoDocs;
  for (const std::string& qid : queries) {
    auto docs = run.by_query.find(qid);
    RankedRels ranked = Rank(qrels.by_query.at(qid), docs == run.by_query.end() ? kNoDocs : docs->second, options);
    QueryMeasures q(ranked, options.relevance_level);
    for (auto& [spec, sums] : totals) {
      if (spec->base == "runid") continue;
      std::vector<double> values = Compute(*spec, q, ranked);
      std::vector<std::string> names = Names(*spec);
      for (size_t i = 0; i < values.size(); ++i) {
        sums[i] += spec->base == "gm_map" ? std::log(std::max(values[i], kMinGeoMean)) : values[i];
        if (options.per_query && spec->base != "num_q" && spec->base != "gm_map") {
          lines.push_back(EvalLine{names[i], qid, values[i], IsCount(spec->base)});
        }
      }
    }
  }
  const double n = static_cast<double>(queries.size());
  for (auto& [spec, sums] : totals) {
    std::vector<std::string> names = Names(*spec);
    if (spec->base == "runid") {
      lines.push_back(EvalLine{"runid", "all", 0, false, run.tag});
      continue;
    }
    for (size_t i = 0; i < sums.size(); ++i) {
      double value = IsCount(spec->base) ? sums[i] : spec->base == "gm_map" ? std::exp(sums[i] / n) : sums[i] / n;
      lines.push_back(EvalLine{names[i], "all", value, IsCount(spec->base)});
    }
  }
  return lines;
}

std::string FormatEvalLine(const EvalLine& line) {
  if (line.measure == "runid") return absl::StrFormat("%-22s\t%s\t%s", line.measure, line.query, line.text);
  if (line.integer) {
    return absl::StrFormat("%-22s\t%s\t%d", line.measure, line.query, static_cast<int64_t>(line.value));
  }
  return absl::StrFormat("%-22s\t%s\t%6.4f", line.measure, line.query, line.value);
}

}  // namespace trawl
