#include "stages/eval/trec_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
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
// With -c, trec_eval 10 evaluates a query the run misses against this one document.
constexpr char kMissingQueryDoc[] = "ceci_nest_pas_un_docno";

// One query's ranking joined with its judgments (trec_eval's "res_rels").
struct Judged {
  std::vector<int> rels;  // per rank, best first: judgment, kNonPool or kUnjudged
  // The query's judgments per level >= 0, retrieved or not. Only levels that occur: a judgment of
  // 27777777 must not cost a table of that size.
  std::map<int, int64_t> rel_levels;
  int64_t num_rel = 0;  // judgments >= the relevance level
  int64_t num_rel_ret = 0;
  int64_t num_nonpool = 0;           // retrieved, not in the qrels
  int64_t num_unjudged_in_pool = 0;  // retrieved, judged negative
  int level = 1;

  int64_t num_ret() const { return static_cast<int64_t>(rels.size()); }
  bool Relevant(int64_t i) const { return rels[i] >= level; }
  int64_t RelevantInFirst(int64_t k) const {
    int64_t n = 0;
    for (int64_t i = 0; i < std::min(k, num_ret()); ++i) n += Relevant(i);
    return n;
  }
  // Judged non-relevant documents in the qrels: levels 0 .. level-1.
  int64_t JudgedNonRelevant() const {
    int64_t n = 0;
    for (auto it = rel_levels.begin(); it != rel_levels.end() && it->first < level; ++it) {
      n += it->second;
    }
    return n;
  }
};

absl::StatusOr<Judged> Join(const std::string& qid, const std::map<std::string, int>& judgments,
                            std::vector<RunDoc> docs, const EvalOptions& options) {
  // trec_eval: score descending, ties by document id descending.
  std::sort(docs.begin(), docs.end(), [](const RunDoc& a, const RunDoc& b) {
    return a.score != b.score ? a.score > b.score : a.docno > b.docno;
  });
  if (static_cast<int64_t>(docs.size()) > options.max_results) docs.resize(options.max_results);
  Judged out;
  out.level = options.relevance_level;
  absl::flat_hash_set<std::string> seen;
  for (const RunDoc& doc : docs) {
    if (!seen.insert(doc.docno).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("query ", qid, " retrieves document ", doc.docno, " twice"));
    }
    auto it = judgments.find(doc.docno);
    const int rel = it == judgments.end() ? kNonPool : it->second < 0 ? kUnjudged : it->second;
    if (options.judged_only && rel < 0) continue;
    out.rels.push_back(rel);
    out.num_nonpool += rel == kNonPool;
    out.num_unjudged_in_pool += rel == kUnjudged;
    out.num_rel_ret += rel >= out.level;
  }
  for (const auto& [docno, rel] : judgments) {
    if (rel < 0) continue;
    ++out.rel_levels[rel];
    if (rel >= out.level) ++out.num_rel;
  }
  return out;
}

// ---- Gains (trec_eval's gain_init.c), shared by ndcg, ndcg_rel, Rndcg, G, dcg, rbp ----

struct Gain {
  int64_t level;
  double gain;
  int64_t count;  // the query's judgments at this level
};

// trec_eval sorts gains with qsort and a comparator that truncates the difference to int, so
// gains less than 1 apart compare equal; glibc's merge sort keeps such entries in input order.
// This is that merge sort, so the order (and the ideal ranking) is the same for any gains.
void MergeSortGains(std::vector<Gain>& gains, size_t begin, size_t end, std::vector<Gain>& tmp) {
  if (end - begin < 2) return;
  const size_t mid = begin + (end - begin) / 2;
  MergeSortGains(gains, begin, mid, tmp);
  MergeSortGains(gains, mid, end, tmp);
  tmp.clear();
  size_t a = begin, b = mid;
  while (a < mid && b < end) {
    // (int)(g1 - g2), clamped where C's conversion would overflow.
    const double difference =
        std::clamp(gains[a].gain - gains[b].gain, -2147483648.0, 2147483647.0);
    tmp.push_back(static_cast<int>(difference) <= 0 ? gains[a++] : gains[b++]);
  }
  while (a < mid) tmp.push_back(gains[a++]);
  while (b < end) tmp.push_back(gains[b++]);
  std::copy(tmp.begin(), tmp.end(), gains.begin() + begin);
}

bool IsInteger(const std::string& text) {
  size_t i = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
  if (i == text.size()) return false;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

// "level=gain" parameters (other keys, such as rbp's "p", are not gains), then every judged
// level the parameters leave out with gain = level; sorted by increasing gain.
std::vector<Gain> Gains(const Judged& j, const MeasureSpec& spec) {
  std::vector<Gain> gains;
  for (const auto& [key, value] : spec.pairs) {
    if (IsInteger(key)) gains.push_back(Gain{std::strtol(key.c_str(), nullptr, 10), value, 0});
  }
  const size_t given = gains.size();
  // trec_eval also lists the levels between them that no judgment has: with no documents they
  // change neither the ideal ranking nor any document's gain, so only occurring levels are added.
  for (const auto& [level, count] : j.rel_levels) {
    auto it = std::find_if(gains.begin(), gains.begin() + given,
                           [&, level = level](const Gain& g) { return g.level == level; });
    if (it != gains.begin() + given) {
      it->count = count;
    } else {
      gains.push_back(Gain{level, static_cast<double>(level), count});
    }
  }
  std::vector<Gain> tmp;
  MergeSortGains(gains, 0, gains.size(), tmp);
  return gains;
}

double GainOf(int rel, const std::vector<Gain>& gains) {
  for (const Gain& g : gains) {
    if (g.level == rel) return g.gain;
  }
  return 0;
}

// The ideal ranking: the judged documents by decreasing gain, one position per Advance().
class IdealWalk {
 public:
  explicit IdealWalk(const std::vector<Gain>& gains)
      : gains_(gains),
        level_(static_cast<int64_t>(gains.size()) - 1),
        gain_(level_ >= 0 ? gains[level_].gain : 0) {}

  // The gain at the current position (before the first Advance(): the top level's).
  double gain() const { return gain_; }
  void Advance() {
    ++count_;
    while (level_ >= 0 && count_ > gains_[level_].count) {
      count_ = 1;
      --level_;
      gain_ = level_ >= 0 ? gains_[level_].gain : 0;
    }
  }

 private:
  const std::vector<Gain>& gains_;
  int64_t level_;
  int64_t count_ = 0;
  double gain_;
};

// ---- Measures, one function per trec_eval m_*.c ----

double AveragePrecision(const Judged& j, int64_t cutoff) {
  if (j.num_rel == 0) return 0;
  double sum = 0;
  int64_t found = 0;
  for (int64_t i = 0; i < std::min(cutoff, j.num_ret()); ++i) {
    if (j.Relevant(i)) sum += static_cast<double>(++found) / (i + 1);
  }
  return sum / j.num_rel;
}

double Rprec(const Judged& j) {
  const int64_t k = std::min(j.num_ret(), j.num_rel);
  return k == 0 ? 0 : static_cast<double>(j.RelevantInFirst(k)) / j.num_rel;
}

double Bpref(const Judged& j) {
  const int64_t cap = std::min(j.JudgedNonRelevant(), j.num_rel);
  int64_t nonrel_so_far = 0;
  double bpref = 0;
  for (int rel : j.rels) {
    if (rel < 0) continue;  // unjudged or not in the pool
    if (rel < j.level) {
      ++nonrel_so_far;
    } else {
      bpref += nonrel_so_far > 0
                   ? 1.0 - static_cast<double>(std::min(nonrel_so_far, j.num_rel)) / cap
                   : 1.0;
    }
  }
  return j.num_rel ? bpref / j.num_rel : bpref;
}

double RecipRank(const Judged& j, int64_t cutoff) {
  for (int64_t i = 0; i < std::min(cutoff, j.num_ret()); ++i) {
    if (j.Relevant(i)) return 1.0 / (i + 1);
  }
  return 0;
}

// iprec_at_recall and 11pt_avg: the highest precision at or below the rank where the
// lround(level * num_rel)-th relevant document was retrieved; 0 past the last relevant one
// retrieved; a level that rounds to 0 relevant documents gets the best precision anywhere.
// Levels are processed from the end of the list as trec_eval does, so an unsorted list (11pt_avg
// keeps the order given) gives trec_eval's values too.
std::vector<double> InterpolatedPrecision(const Judged& j, const std::vector<double>& levels) {
  const int64_t n = static_cast<int64_t>(levels.size());
  std::vector<int64_t> cuts(n);
  for (int64_t c = 0; c < n; ++c) cuts[c] = std::lround(levels[c] * static_cast<double>(j.num_rel));
  std::vector<double> values(n, 0.0);
  int64_t current = n - 1;
  while (current >= 0 && cuts[current] > j.num_rel_ret) --current;
  // 0/0 (nothing retrieved, possible with -J) is NaN in trec_eval too.
  double best = static_cast<double>(j.num_rel_ret) / static_cast<double>(j.num_ret());
  int64_t rel_so_far = j.num_rel_ret;
  for (int64_t i = j.num_ret(); i > 0 && rel_so_far > 0; --i) {
    best = std::max(best, static_cast<double>(rel_so_far) / i);
    if (j.Relevant(i - 1)) {
      while (current >= 0 && cuts[current] == rel_so_far) values[current--] = best;
      --rel_so_far;
    }
  }
  while (current >= 0) values[current--] = best;
  return values;
}

double InfAP(const Judged& j) {
  constexpr double kEpsilon = 0.00001;
  int64_t rel_so_far = 0, nonrel_so_far = 0, unjudged_so_far = 0;
  double total = 0;
  for (int64_t i = 0; i < j.num_ret(); ++i) {
    const int rel = j.rels[i];
    if (rel == kNonPool) continue;
    if (rel == kUnjudged) {
      ++unjudged_so_far;
    } else if (rel < j.level) {
      ++nonrel_so_far;
    } else {
      ++rel_so_far;
      if (i == 0) {
        total += 1.0;
      } else {
        const double above = static_cast<double>(rel_so_far - 1 + nonrel_so_far + unjudged_so_far);
        total += 1.0 / (i + 1) + (static_cast<double>(i) / (i + 1)) * (above / i) *
                                     ((rel_so_far - 1 + kEpsilon) /
                                      (rel_so_far - 1 + nonrel_so_far + 2 * kEpsilon));
      }
    }
  }
  return j.num_rel > 0 ? total / j.num_rel : total;
}

// Precision at rank (long)(x * num_rel + 0.9) for each multiple x; beyond the ranking the
// retrieved relevant documents over that rank.
std::vector<double> RprecMult(const Judged& j, const std::vector<double>& multiples) {
  const int64_t n = static_cast<int64_t>(multiples.size());
  std::vector<int64_t> cuts(n);
  for (int64_t c = 0; c < n; ++c) {
    cuts[c] = static_cast<int64_t>(multiples[c] * static_cast<double>(j.num_rel) + 0.9);
  }
  std::vector<double> values(n, 0.0);
  int64_t current = n - 1;
  while (current >= 0 && cuts[current] > j.num_ret()) {
    values[current] = static_cast<double>(j.num_rel_ret) / cuts[current];
    --current;
  }
  int64_t rel_so_far = j.num_rel_ret;
  for (int64_t i = j.num_ret(); i > 0 && rel_so_far > 0; --i) {
    const double precision = static_cast<double>(rel_so_far) / i;
    while (current >= 0 && cuts[current] == i) values[current--] = precision;
    if (j.Relevant(i - 1)) --rel_so_far;
  }
  return values;
}

double BinG(const Judged& j) {
  double sum = 0;
  int64_t nonrel_so_far = 0;
  for (int64_t i = 0; i < j.num_ret(); ++i) {
    if (j.Relevant(i)) {
      sum += 1.0 / std::log2(2.0 + nonrel_so_far);
    } else {
      ++nonrel_so_far;
    }
  }
  return j.num_rel_ret > 0 ? sum / j.num_rel : 0;
}

double G(const Judged& j, const std::vector<Gain>& gains) {
  constexpr double kMinCost = 1.0;
  double g = 0, sum_results = 0, sum_ideal = 0, sum_cost = 0;
  IdealWalk ideal(gains);
  int64_t i = 0;
  for (; i < j.num_ret() && ideal.gain() > 0; ++i) {
    const double gain = GainOf(j.rels[i], gains);
    sum_results += gain;
    ideal.Advance();
    if (ideal.gain() > 0) sum_ideal += ideal.gain();
    sum_cost += ideal.gain() >= kMinCost ? ideal.gain() : kMinCost;
    if (gain != 0) g += gain / std::log2(2 + sum_cost - sum_results);
  }
  for (; i < j.num_ret(); ++i) {
    const double gain = GainOf(j.rels[i], gains);
    sum_results += gain;
    sum_cost += kMinCost;
    if (gain != 0) g += gain / std::log2(2 + sum_cost - sum_results);
  }
  while (ideal.gain() > 0) {
    ideal.Advance();
    if (ideal.gain() > 0) sum_ideal += ideal.gain();
  }
  return sum_ideal > 0 ? g / sum_ideal : 0;
}

struct Dcg {
  double dcg = 0;    // of the ranking, every retrieved document
  double ideal = 0;  // of the ideal ranking, every positive gain
};

Dcg DiscountedGain(const Judged& j, const std::vector<Gain>& gains) {
  Dcg out;
  for (int64_t i = 0; i < j.num_ret(); ++i) {
    const double gain = GainOf(j.rels[i], gains);
    if (gain != 0) out.dcg += gain / std::log2(i + 2.0);
  }
  IdealWalk ideal(gains);
  for (int64_t i = 0; ideal.gain() > 0; ++i) {
    ideal.Advance();
    if (ideal.gain() > 0) out.ideal += ideal.gain() / std::log2(i + 2.0);
  }
  return out;
}

double NdcgRel(const Judged& j, const std::vector<Gain>& gains) {
  double dcg = 0, ideal_dcg = 0, sum = 0;
  int64_t num_rel = 0, num_rel_ret = 0;
  IdealWalk ideal(gains);
  int64_t i = 0;
  for (; i < j.num_ret() && ideal.gain() > 0; ++i) {
    const double gain = GainOf(j.rels[i], gains);
    if (gain != 0) dcg += gain / std::log2(i + 2.0);
    ideal.Advance();
    if (ideal.gain() > 0) {
      ++num_rel;
      ideal_dcg += ideal.gain() / std::log2(i + 2.0);
    }
    if (gain > 0) {
      sum += dcg / ideal_dcg;
      ++num_rel_ret;
    }
  }
  for (; i < j.num_ret(); ++i) {
    const double gain = GainOf(j.rels[i], gains);
    if (gain != 0) dcg += gain / std::log2(i + 2.0);
    if (gain > 0) {
      sum += dcg / ideal_dcg;
      ++num_rel_ret;
    }
  }
  for (; ideal.gain() > 0; ++i) {
    ideal.Advance();
    if (ideal.gain() > 0) {
      ++num_rel;
      ideal_dcg += ideal.gain() / std::log2(i + 2.0);
    }
  }
  sum += static_cast<double>(num_rel - num_rel_ret) * dcg / ideal_dcg;
  return sum > 0 ? sum / num_rel : 0;
}

double Rndcg(const Judged& j, const std::vector<Gain>& gains) {
  if (j.num_rel == 0) return 0;
  double dcg = 0, ideal_dcg = 0, sum = 0;
  int64_t changes = 0;
  IdealWalk ideal(gains);
  double previous = ideal.gain();
  // At each change of the ideal gain: nDCG so far, for the average.
  auto at_change = [&] {
    if (previous != ideal.gain()) {
      if (ideal_dcg > 0) {
        sum += dcg / ideal_dcg;
        ++changes;
      }
      previous = ideal.gain();
    }
  };
  int64_t i = 0;
  for (; i < j.num_ret() && ideal.gain() > 0; ++i) {
    const double gain = GainOf(j.rels[i], gains);
    ideal.Advance();
    at_change();
    if (gain != 0) dcg += gain / std::log2(i + 2.0);
    if (ideal.gain() > 0) ideal_dcg += ideal.gain() / std::log2(i + 2.0);
  }
  if (i < j.num_ret()) {
    for (; i < j.num_ret(); ++i) {
      const double gain = GainOf(j.rels[i], gains);
      if (gain != 0) dcg += gain / std::log2(i + 2.0);
    }
    if (ideal_dcg > 0) {
      sum += dcg / ideal_dcg;
      ++changes;
    }
  }
  for (; ideal.gain() > 0; ++i) {
    ideal.Advance();
    at_change();
    if (ideal.gain() > 0) ideal_dcg += ideal.gain() / std::log2(i + 2.0);
  }
  return sum / changes;  // 0/0 is NaN in trec_eval too
}

// nDCG at `cutoff` with the judgment as the gain (no gain parameters), as m_ndcg_cut.c.
double NdcgCut(const Judged& j, int64_t cutoff) {
  double dcg = 0;
  for (int64_t i = 0; i < std::min(cutoff, j.num_ret()); ++i) {
    if (j.rels[i] > 0) dcg += j.rels[i] / std::log2(i + 2.0);
  }
  double ideal = 0;
  int64_t rank = 0;
  for (auto it = j.rel_levels.rbegin(); it != j.rel_levels.rend() && it->first > 0; ++it) {
    for (int64_t n = 0; n < it->second && rank < cutoff; ++n, ++rank) {
      ideal += it->first / std::log2(rank + 2.0);
    }
  }
  return ideal > 0 ? dcg / ideal : dcg;
}

double ParamOr(const MeasureSpec& spec, const std::string& key, double fallback) {
  double value = fallback;
  for (const auto& [k, v] : spec.pairs) {
    if (k == key) value = v;  // the last one, as trec_eval reads them
  }
  return value;
}

double Rbp(const Judged& j, const MeasureSpec& spec) {
  const double p = ParamOr(spec, "p", 0.9);
  std::vector<Gain> gains = Gains(j, spec);
  // Gains scaled into [0, 1] when any lies outside, from 0 (trec_eval starts its min/max scan
  // from uninitialised values; on graded qrels its output matches starting from 0).
  double lo = 0, hi = 0;
  for (const Gain& g : gains) {
    lo = std::min(lo, g.gain);
    hi = std::max(hi, g.gain);
  }
  if (lo < 0 || hi > 1) {
    for (Gain& g : gains) g.gain = (g.gain - lo) / (hi - lo);
  }
  double sum = 0, weight = 1;
  for (int64_t i = 0; i < j.num_ret(); ++i) {
    const double gain = GainOf(j.rels[i], gains);
    if (gain != 0) sum += gain * weight;
    weight *= p;
  }
  return (1 - p) * sum;
}

double RbpResidual(const Judged& j, const MeasureSpec& spec) {
  const double p = ParamOr(spec, "p", 0.9);
  int64_t unjudged = 0;
  double sum = 0, weight = 1;
  for (int64_t i = 0; i < j.num_ret(); ++i) {
    if (j.rels[i] < 0) {
      ++unjudged;
      sum += weight;
    }
    weight *= p;
  }
  return unjudged > 0 ? weight + (1 - p) * sum : 0;
}

std::string RelString(const Judged& j, int64_t length) {
  std::string out;
  for (int64_t i = 0; i < std::min(std::max<int64_t>(length, 0), j.num_ret()); ++i) {
    const int rel = j.rels[i];
    out += rel > 9            ? '>'
           : rel >= 0         ? static_cast<char>('0' + rel)
           : rel == kNonPool  ? '-'
           : rel == kUnjudged ? '.'
                              : '<';
  }
  return out;
}

// ---- The measure table ----

enum class ParamKind {
  kNone,
  kLongCutoffs,    // "P.5,10": integer cut-offs, sorted; names P_5
  kDoubleCutoffs,  // "iprec_at_recall..1,.5": levels, sorted; names iprec_at_recall_0.10
  kValues,         // "utility.2,-1,0,0": numbers in the order given; name utility_2,-1,0,0
  kPairs,          // "ndcg.1=3,2=9": key=value; name ndcg_1=3,2=9
};

enum class Aggregate {
  kRunid,     // the run's tag, summary only
  kSum,       // counts
  kMean,      // over evaluated queries
  kGeoMean,   // gm_*: exp(mean(log(max(v, 1e-5)))), summary only
  kPerQuery,  // relstring: per query only
};

enum Set : unsigned { kOfficial = 1, kAllTrec = 2, kSetMeasures = 4 };

// Values of one measure for one query, one per output name.
using Compute =
    std::function<std::vector<double>(const Judged&, const MeasureSpec&, const EvalOptions&)>;

struct MeasureDef {
  std::string name;
  unsigned sets;
  ParamKind params;
  std::vector<double> defaults;
  Aggregate aggregate;
  Compute compute;  // null for runid and relstring
};

const std::vector<double> kStandardCutoffs = {5, 10, 15, 20, 30, 100, 200, 500, 1000};
const std::vector<double> kElevenLevels = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};

// One value per cut-off k (a document count) of the spec.
Compute PerCutoff(std::function<double(const Judged&, int64_t)> f) {
  return [f](const Judged& j, const MeasureSpec& spec, const EvalOptions&) {
    std::vector<double> out;
    for (double k : spec.values) out.push_back(f(j, static_cast<int64_t>(k)));
    return out;
  };
}

Compute One(std::function<double(const Judged&)> f) {
  return [f](const Judged& j, const MeasureSpec&, const EvalOptions&) {
    return std::vector<double>{f(j)};
  };
}

Compute WithGains(std::function<double(const Judged&, const std::vector<Gain>&)> f) {
  return [f](const Judged& j, const MeasureSpec& spec, const EvalOptions&) {
    return std::vector<double>{f(j, Gains(j, spec))};
  };
}

// trec_eval 10's measures in its table order (measures.c), which is the print order.
const std::vector<MeasureDef>& Measures() {
  using J = const Judged&;
  constexpr unsigned kAll = kOfficial | kAllTrec;
  constexpr int64_t kEverything = std::numeric_limits<int64_t>::max();
  static const auto* measures = new std::vector<MeasureDef>{
      {"runid", kAll | kSetMeasures, ParamKind::kNone, {}, Aggregate::kRunid, nullptr},
      {"num_q", kAll | kSetMeasures, ParamKind::kNone, {}, Aggregate::kSum, One([](J) {
         return 1.0;
       })},
      {"num_ret", kAll | kSetMeasures, ParamKind::kNone, {}, Aggregate::kSum, One([](J j) {
         return 1.0 * j.num_ret();
       })},
      {"num_rel", kAll | kSetMeasures, ParamKind::kNone, {}, Aggregate::kSum, One([](J j) {
         return 1.0 * j.num_rel;
       })},
      {"num_rel_ret", kAll | kSetMeasures, ParamKind::kNone, {}, Aggregate::kSum, One([](J j) {
         return 1.0 * j.num_rel_ret;
       })},
      {"map", kAll, ParamKind::kNone, {}, Aggregate::kMean, One([](J j) {
         return AveragePrecision(j, kEverything);
       })},
      {"gm_map", kAll, ParamKind::kNone, {}, Aggregate::kGeoMean, One([](J j) {
         return AveragePrecision(j, kEverything);
       })},
      {"Rprec", kAll, ParamKind::kNone, {}, Aggregate::kMean, One(Rprec)},
      {"bpref", kAll, ParamKind::kNone, {}, Aggregate::kMean, One(Bpref)},
      // Its cut-off is only reachable through the ir_measures name RR@k.
      {"recip_rank",
       kAll,
       ParamKind::kNone,
       {},
       Aggregate::kMean,
       [](J j, const MeasureSpec& spec, const EvalOptions&) {
         const int64_t k = spec.values.empty() ? kEverything : static_cast<int64_t>(spec.values[0]);
         return std::vector<double>{RecipRank(j, k)};
       }},
      {"iprec_at_recall", kAll, ParamKind::kDoubleCutoffs, kElevenLevels, Aggregate::kMean,
       [](J j, const MeasureSpec& spec, const EvalOptions&) {
         return InterpolatedPrecision(j, spec.values);
       }},
      {"P", kAll, ParamKind::kLongCutoffs, kStandardCutoffs, Aggregate::kMean,
       PerCutoff([](J j, int64_t k) { return 1.0 * j.RelevantInFirst(k) / k; })},
      {"relstring", kAllTrec, ParamKind::kValues, {10}, Aggregate::kPerQuery, nullptr},
      {"recall", kAllTrec, ParamKind::kLongCutoffs, kStandardCutoffs, Aggregate::kMean,
       PerCutoff([](J j, int64_t k) {
         return j.num_rel ? 1.0 * j.RelevantInFirst(k) / j.num_rel : 0.0;
       })},
      {"infAP", kAllTrec, ParamKind::kNone, {}, Aggregate::kMean, One(InfAP)},
      {"gm_bpref", kAllTrec, ParamKind::kNone, {}, Aggregate::kGeoMean, One(Bpref)},
      {"Rprec_mult",
       kAllTrec,
       ParamKind::kDoubleCutoffs,
       {0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0},
       Aggregate::kMean,
       [](J j, const MeasureSpec& spec, const EvalOptions&) { return RprecMult(j, spec.values); }},
      {"utility",
       kAllTrec | kSetMeasures,
       ParamKind::kValues,
       {1, -1, 0, 0},
       Aggregate::kMean,
       [](J j, const MeasureSpec& spec, const EvalOptions& options) {
         const std::vector<double>& c = spec.values;
         const double r = j.num_rel_ret, n = j.num_ret(), rel = j.num_rel;
         return std::vector<double>{c[0] * r + c[1] * (n - r) + c[2] * (rel - r) +
                                    c[3] * (options.num_docs_in_collection + r - n - rel)};
       }},
      {"11pt_avg", kAllTrec, ParamKind::kValues, kElevenLevels, Aggregate::kMean,
       [](J j, const MeasureSpec& spec, const EvalOptions&) {
         double sum = 0;
         for (double v : InterpolatedPrecision(j, spec.values)) sum += v;
         return std::vector<double>{sum / spec.values.size()};
       }},
      {"binG", kAllTrec, ParamKind::kNone, {}, Aggregate::kMean, One(BinG)},
      {"G", kAllTrec, ParamKind::kPairs, {}, Aggregate::kMean, WithGains(G)},
      {"dcg",
       0,
       ParamKind::kPairs,
       {},
       Aggregate::kMean,
       WithGains([](J j, const std::vector<Gain>& g) { return DiscountedGain(j, g).dcg; })},
      {"ideal_dcg",
       0,
       ParamKind::kPairs,
       {},
       Aggregate::kMean,
       WithGains([](J j, const std::vector<Gain>& g) { return DiscountedGain(j, g).ideal; })},
      {"ndcg",
       kAllTrec,
       ParamKind::kPairs,
       {},
       Aggregate::kMean,
       WithGains([](J j, const std::vector<Gain>& g) {
         const Dcg d = DiscountedGain(j, g);
         return d.ideal > 0 ? d.dcg / d.ideal : 0.0;
       })},
      {"ndcg_rel", kAllTrec, ParamKind::kPairs, {}, Aggregate::kMean, WithGains(NdcgRel)},
      {"Rndcg", kAllTrec, ParamKind::kPairs, {}, Aggregate::kMean, WithGains(Rndcg)},
      {"ndcg_cut", kAllTrec, ParamKind::kLongCutoffs, kStandardCutoffs, Aggregate::kMean,
       PerCutoff(NdcgCut)},
      {"map_cut", kAllTrec, ParamKind::kLongCutoffs, kStandardCutoffs, Aggregate::kMean,
       PerCutoff(AveragePrecision)},
      {"relative_P", kAllTrec, ParamKind::kLongCutoffs, kStandardCutoffs, Aggregate::kMean,
       PerCutoff([](J j, int64_t k) {
         return j.num_rel ? 1.0 * j.RelevantInFirst(k) / std::min(k, j.num_rel) : 0.0;
       })},
      {"success",
       kAllTrec,
       ParamKind::kLongCutoffs,
       {1, 5, 10},
       Aggregate::kMean,
       PerCutoff([](J j, int64_t k) { return j.RelevantInFirst(k) > 0 ? 1.0 : 0.0; })},
      {"set_P", kAllTrec | kSetMeasures, ParamKind::kNone, {}, Aggregate::kMean, One([](J j) {
         return j.num_ret() > 0 ? 1.0 * j.num_rel_ret / j.num_ret() : 0.0;
       })},
      {"set_relative_P",
       kAllTrec | kSetMeasures,
       ParamKind::kNone,
       {},
       Aggregate::kMean,
       One([](J j) {
         return j.num_ret() > 0 && j.num_rel > 0
                    ? 1.0 * j.num_rel_ret / std::min(j.num_ret(), j.num_rel)
                    : 0.0;
       })},
      {"set_recall", kAllTrec | kSetMeasures, ParamKind::kNone, {}, Aggregate::kMean, One([](J j) {
         return j.num_rel > 0 ? 1.0 * j.num_rel_ret / j.num_rel : 0.0;
       })},
      {"set_map", kAllTrec | kSetMeasures, ParamKind::kNone, {}, Aggregate::kMean, One([](J j) {
         return j.num_ret() > 0 && j.num_rel > 0
                    ? 1.0 * j.num_rel_ret * j.num_rel_ret / (1.0 * j.num_ret() * j.num_rel)
                    : 0.0;
       })},
      {"set_F",
       kAllTrec | kSetMeasures,
       ParamKind::kValues,
       {1.0},
       Aggregate::kMean,
       [](J j, const MeasureSpec& spec, const EvalOptions&) {
         const double beta = spec.values[0];
         if (j.num_rel_ret == 0) return std::vector<double>{0.0};
         const double p = 1.0 * j.num_rel_ret / j.num_ret();
         const double r = 1.0 * j.num_rel_ret / j.num_rel;
         return std::vector<double>{(beta + 1) * p * r / (beta * p + r)};
       }},
      {"num_nonrel_judged_ret", kAllTrec, ParamKind::kNone, {}, Aggregate::kSum, One([](J j) {
         return 1.0 * (j.num_ret() - j.num_nonpool - j.num_unjudged_in_pool - j.num_rel_ret);
       })},
      {"rbp",
       kAllTrec,
       ParamKind::kPairs,
       {},
       Aggregate::kMean,
       [](J j, const MeasureSpec& spec, const EvalOptions&) {
         return std::vector<double>{Rbp(j, spec)};
       }},
      {"rbp_resid",
       kAllTrec,
       ParamKind::kPairs,
       {},
       Aggregate::kMean,
       [](J j, const MeasureSpec& spec, const EvalOptions&) {
         return std::vector<double>{RbpResidual(j, spec)};
       }},
      {"unj",
       kAllTrec,
       ParamKind::kLongCutoffs,
       {5, 10, 20},
       Aggregate::kMean,
       PerCutoff([](J j, int64_t k) {
         int64_t unjudged = 0;
         for (int64_t i = 0; i < std::min(k, j.num_ret()); ++i) unjudged += j.rels[i] < 0;
         return 1.0 * unjudged / k;
       })},
  };
  return *measures;
}

const MeasureDef* FindMeasure(absl::string_view name) {
  for (const MeasureDef& def : Measures()) {
    if (def.name == name) return &def;
  }
  return nullptr;
}

// With -c, a query the run misses is evaluated against one unjudged document, then these are
// zeroed, as trec_eval 10 does.
bool ZeroForMissingQuery(const std::string& name) {
  return name == "num_ret" || name == "utility" || name == "unj" || name == "rbp_resid";
}

std::string Printf(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

std::vector<std::string> Names(const MeasureSpec& spec, const MeasureDef& def) {
  if (!spec.display.empty()) return {spec.display};
  std::vector<std::string> names;
  switch (def.params) {
    case ParamKind::kLongCutoffs:
      for (double c : spec.values) names.push_back(absl::StrCat(def.name, "_", int64_t(c)));
      return names;
    case ParamKind::kDoubleCutoffs:
      for (double c : spec.values) names.push_back(absl::StrCat(def.name, Printf("_%3.2f", c)));
      return names;
    case ParamKind::kValues:
    case ParamKind::kPairs:
      return {spec.params.empty() ? def.name : absl::StrCat(def.name, "_", spec.params)};
    case ParamKind::kNone:
      break;
  }
  return {def.name};
}

// ---- -m parsing ----

// ir_measures name -> (trec_eval measure without a cut-off, with one); "" where there is none.
const std::map<std::string, std::pair<std::string, std::string>>& IrMeasures() {
  static const auto* bases = new std::map<std::string, std::pair<std::string, std::string>>{
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

absl::Status UnknownMeasure(absl::string_view arg) {
  std::vector<std::string> trec, ir;
  for (const MeasureDef& def : Measures()) trec.push_back(def.name);
  for (const auto& [name, bases] : IrMeasures()) {
    if (!bases.first.empty()) ir.push_back(name);
    if (!bases.second.empty()) ir.push_back(absl::StrCat(name, "@k"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown measure '", arg, "'; trec_eval measures: ", absl::StrJoin(trec, " "),
                   ", sets: official all_trec set, ir_measures: ", absl::StrJoin(ir, " ")));
}

absl::StatusOr<MeasureSpec> ParseIrMeasure(const std::string& name) {
  std::pair<std::string, std::string> parts = absl::StrSplit(name, absl::MaxSplits('@', 1));
  auto it = IrMeasures().find(parts.first);
  const bool has_cutoff = name.find('@') != std::string::npos;
  char* end = nullptr;
  const long k = has_cutoff ? std::strtol(parts.second.c_str(), &end, 10) : 0;
  if (it == IrMeasures().end() ||
      (has_cutoff &&
       (it->second.second.empty() || parts.second.empty() || *end != '\0' || k < 1)) ||
      (!has_cutoff && it->second.first.empty())) {
    return UnknownMeasure(name);
  }
  MeasureSpec spec;
  spec.display = name;
  spec.base = has_cutoff ? it->second.second : it->second.first;
  if (has_cutoff) spec.values = {static_cast<double>(k)};
  return spec;
}

// Fills spec.values / spec.pairs from spec.params (or the defaults), as trec_eval's four
// parameter readers do (atol for cut-offs, atof for numbers).
absl::Status ParseParams(const MeasureDef& def, MeasureSpec& spec) {
  const std::string where = absl::StrCat("measure '", def.name, ".", spec.params, "'");
  if (spec.params.empty()) {
    spec.values = def.defaults;
    return absl::OkStatus();
  }
  std::vector<std::string> tokens = absl::StrSplit(spec.params, ',');
  switch (def.params) {
    case ParamKind::kNone:
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", def.name, " takes no parameters"));
    case ParamKind::kLongCutoffs:
    case ParamKind::kDoubleCutoffs: {
      for (const std::string& t : tokens) {
        spec.values.push_back(def.params == ParamKind::kLongCutoffs
                                  ? static_cast<double>(std::atol(t.c_str()))
                                  : std::atof(t.c_str()));
        if (!std::isfinite(spec.values.back())) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": expected a finite cut-off, found '", t, "'"));
        }
      }
      std::sort(spec.values.begin(), spec.values.end());
      if (def.params == ParamKind::kLongCutoffs && spec.values.front() <= 0) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": cut-offs must be positive"));
      }
      if (std::adjacent_find(spec.values.begin(), spec.values.end()) != spec.values.end()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": duplicate cut-offs"));
      }
      return absl::OkStatus();
    }
    case ParamKind::kValues:
      for (const std::string& t : tokens) {
        spec.values.push_back(std::atof(t.c_str()));
        if (!std::isfinite(spec.values.back())) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": expected a finite number, found '", t, "'"));
        }
      }
      if (def.name == "utility" && spec.values.size() != 4) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": utility takes 4 coefficients, found ", spec.values.size()));
      }
      return absl::OkStatus();
    case ParamKind::kPairs:
      for (const std::string& t : tokens) {
        const size_t eq = t.find('=');
        if (eq == std::string::npos || eq == 0 || t.find('=', eq + 1) != std::string::npos) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": expected level=gain pairs such as 1=3,2=9, found '", t, "'"));
        }
        const double value = std::atof(t.c_str() + eq + 1);
        if (!std::isfinite(value)) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": expected a finite number in '", t, "'"));
        }
        // RBP's persistence is a probability of reading on: p >= 1 never converges (trec_eval
        // printed -1023 for p=2), p <= 0 reads nothing.
        if (t.substr(0, eq) == "p" && (def.name == "rbp" || def.name == "rbp_resid") &&
            !(value > 0 && value < 1)) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": expected the persistence p between 0 and 1, found ", value));
        }
        spec.pairs.emplace_back(t.substr(0, eq), value);
      }
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<MeasureSpec>> ParseMeasures(const std::vector<std::string>& args) {
  const std::vector<std::string> requested =
      args.empty() ? std::vector<std::string>{"official"} : args;
  absl::flat_hash_set<std::string> marked;
  // The first -m naming a measure itself sets its parameters; sets only mark measures.
  std::map<std::string, std::string> params;
  std::vector<MeasureSpec> ir;
  for (const std::string& arg : requested) {
    const unsigned set = arg == "official"   ? kOfficial
                         : arg == "all_trec" ? kAllTrec
                         : arg == "set"      ? kSetMeasures
                                             : 0;
    if (set != 0) {
      for (const MeasureDef& def : Measures()) {
        if (def.sets & set) marked.insert(def.name);
      }
      continue;
    }
    const size_t dot = arg.find('.');
    const std::string name = arg.substr(0, dot);
    if (FindMeasure(name) == nullptr) {
      ASSIGN_OR_RETURN(MeasureSpec spec, ParseIrMeasure(arg));
      ir.push_back(std::move(spec));
      continue;
    }
    if (dot != std::string::npos && dot + 1 == arg.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("measure '", arg, "': expected parameters after the '.'"));
    }
    marked.insert(name);
    params.emplace(name, dot == std::string::npos ? "" : arg.substr(dot + 1));
  }
  std::vector<MeasureSpec> out;
  for (const MeasureDef& def : Measures()) {
    if (!marked.contains(def.name)) continue;
    MeasureSpec spec;
    spec.base = def.name;
    if (auto it = params.find(def.name); it != params.end()) spec.params = it->second;
    RETURN_IF_ERROR(ParseParams(def, spec));
    out.push_back(std::move(spec));
  }
  out.insert(out.end(), ir.begin(), ir.end());
  return out;
}

absl::StatusOr<std::vector<EvalLine>> EvaluateRun(const Qrels& qrels, const TrecRun& run,
                                                  const std::vector<MeasureSpec>& measures,
                                                  const EvalOptions& options) {
  if (run.by_query.empty()) return absl::InvalidArgumentError("the run has no results");
  std::vector<std::string> queries;  // in id order, as both maps keep them
  if (options.average_complete) {
    for (const auto& [qid, judgments] : qrels.by_query) queries.push_back(qid);
  } else {
    for (const auto& [qid, docs] : run.by_query) {
      if (qrels.by_query.count(qid)) queries.push_back(qid);
    }
  }
  if (queries.empty()) {
    return absl::InvalidArgumentError("no query of the run has relevance judgments in the qrels");
  }

  struct Total {
    const MeasureSpec* spec;
    const MeasureDef* def;
    std::vector<std::string> names;
    std::vector<double> sums;
  };
  std::vector<Total> totals;
  for (const MeasureSpec& spec : measures) {
    const MeasureDef* def = FindMeasure(spec.base);
    if (def == nullptr) return UnknownMeasure(spec.base);
    std::vector<std::string> names = Names(spec, *def);
    totals.push_back(Total{&spec, def, names, std::vector<double>(names.size(), 0.0)});
  }

  std::vector<EvalLine> lines;
  const std::vector<RunDoc> missing = {RunDoc{kMissingQueryDoc, 1.0}};
  for (const std::string& qid : queries) {
    auto docs = run.by_query.find(qid);
    const bool in_run = docs != run.by_query.end();
    ASSIGN_OR_RETURN(Judged judged,
                     Join(qid, qrels.by_query.at(qid), in_run ? docs->second : missing, options));
    for (Total& total : totals) {
      const MeasureDef& def = *total.def;
      if (def.aggregate == Aggregate::kRunid) continue;
      if (def.aggregate == Aggregate::kPerQuery) {  // relstring
        if (!options.per_query) continue;
        EvalLine line{total.names[0], qid};
        line.has_text = true;
        if (in_run) line.text = RelString(judged, static_cast<int64_t>(total.spec->values[0]));
        lines.push_back(std::move(line));
        continue;
      }
      std::vector<double> values = def.compute(judged, *total.spec, options);
      if (!in_run && ZeroForMissingQuery(def.name)) std::fill(values.begin(), values.end(), 0.0);
      for (size_t i = 0; i < values.size(); ++i) {
        total.sums[i] += def.aggregate == Aggregate::kGeoMean
                             ? std::log(std::max(values[i], kMinGeoMean))
                             : values[i];
        // trec_eval prints neither num_q nor the geometric means per query.
        if (options.per_query && def.name != "num_q" && def.aggregate != Aggregate::kGeoMean) {
          lines.push_back(
              EvalLine{total.names[i], qid, values[i], def.aggregate == Aggregate::kSum});
        }
      }
    }
  }
  if (options.no_summary) return lines;

  const double n = static_cast<double>(queries.size());
  for (const Total& total : totals) {
    const MeasureDef& def = *total.def;
    if (def.aggregate == Aggregate::kPerQuery) continue;
    if (def.aggregate == Aggregate::kRunid) {
      EvalLine line{def.name, "all"};
      line.has_text = true;
      line.text = run.tag;
      lines.push_back(std::move(line));
      continue;
    }
    for (size_t i = 0; i < total.sums.size(); ++i) {
      double value = total.sums[i];
      if (def.aggregate == Aggregate::kMean) value /= n;
      if (def.aggregate == Aggregate::kGeoMean) value = std::exp(value / n);
      // With -c, trec_eval counts the relevant judgments of the whole qrels (judgment > 0).
      if (def.name == "num_rel" && options.average_complete) {
        value = 0;
        for (const auto& [qid, judgments] : qrels.by_query) {
          for (const auto& [docno, rel] : judgments) value += rel > 0;
        }
      }
      lines.push_back(EvalLine{total.names[i], "all", value, def.aggregate == Aggregate::kSum});
    }
  }
  return lines;
}

std::string FormatEvalLine(const EvalLine& line) {
  char value[64];
  if (line.has_text) {
    const bool quoted = line.query != "all";  // relstring per query; runid in the summary
    return absl::StrCat(absl::StrFormat("%-22s", line.measure), "\t", line.query, "\t",
                        quoted ? "'" : "", line.text, quoted ? "'" : "");
  }
  if (line.integer) {
    std::snprintf(value, sizeof(value), "%ld", static_cast<long>(line.value));
  } else {
    std::snprintf(value, sizeof(value), "%6.4f", line.value);
  }
  return absl::StrCat(absl::StrFormat("%-22s", line.measure), "\t", line.query, "\t", value);
}

}  // namespace trawl
