#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/fusion/fusion_stage.pb.h"

namespace trawl {

// Fuses two or more ranked lists (dense, sparse, BM25, run files) into one, by reciprocal rank
// fusion or a weighted sum of normalised scores. Queries and documents are matched by their ids.
// Each input is ranked as trec_eval ranks a run — by score, highest first, ties by document id
// descending; missing results dropped — with ranks from 1 as in the RRF paper; a document missing
// from a list gets nothing from it. The fused list is ranked the same way and cut at k; queries
// come in QID order.
//
//   stage {
//     type: "fusion"  input: "runs:dense"  input: "runs:sparse"  output: "results:hybrid"
//     options { [type.googleapis.com/trawl.fusion.FusionOptions] { method: RRF } }
//   }
//
// Related: fusion_stage.proto, trec_run_reader, trec_eval.
class FusionStage : public Stage<fusion::FusionOptions> {
 public:
  static constexpr char kType[] = "fusion";
  static StageContract Contract() {
    return {StageKind::kTransform,
            {SlotSpec::ListOf<RankedLists>("runs")},
            {SlotSpec::Of<RankedLists>("results")}};
  }

  absl::Status Open(const fusion::FusionOptions& options) override {
    if (!(options.rrf_k() >= 0) || !std::isfinite(options.rrf_k())) {
      return absl::InvalidArgumentError("rrf_k must be a finite number >= 0");
    }
    if (options.k() < 0) return absl::InvalidArgumentError("k must be >= 0");
    if (options.method() == fusion::FusionOptions::RRF &&
        options.normalization() != fusion::FusionOptions::NONE) {
      return absl::InvalidArgumentError(
          "normalization applies to WEIGHTED_SUM only (RRF uses ranks)");
    }
    for (double w : options.weights()) {
      if (!std::isfinite(w)) return absl::InvalidArgumentError("weights must be finite");
    }
    options_ = options;
    if (options_.rrf_k() == 0) options_.set_rrf_k(60);
    if (options_.k() == 0) options_.set_k(1000);
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(std::vector<const RankedLists*> runs, ctx.Inputs<RankedLists>("runs"));
    if (runs.size() < 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("fusion needs two or more runs, got ", runs.size()));
    }
    if (!options_.weights().empty() && options_.weights_size() != static_cast<int>(runs.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat(options_.weights_size(), " weights for ", runs.size(), " runs"));
    }
    // qid -> docno -> fused score
    std::map<std::string, absl::flat_hash_map<std::string, double>> fused;
    for (size_t r = 0; r < runs.size(); ++r) {
      const double weight = options_.weights().empty() ? 1.0 : options_.weights(r);
      const RankedLists& run = *runs[r];
      for (int64_t q = 0; q < run.num_queries; ++q) {
        std::vector<std::pair<double, std::string>> ranked;  // (score, docno)
        for (int64_t j = 0; j < run.k; ++j) {
          const int64_t row = run.doc_rows[q * run.k + j];
          if (row >= 0) ranked.emplace_back(run.scores[q * run.k + j], run.doc_id(row));
        }
        std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
          return a.first > b.first || (a.first == b.first && a.second > b.second);
        });
        Normalize(ranked);
        auto& scores = fused[run.query_id(q)];
        for (size_t i = 0; i < ranked.size(); ++i) {
          const double part = options_.method() == fusion::FusionOptions::RRF
                                  ? weight / (options_.rrf_k() + static_cast<double>(i + 1))
                                  : weight * ranked[i].first;
          scores[ranked[i].second] += part;
        }
      }
    }
    RankedLists results;
    results.num_queries = static_cast<int64_t>(fused.size());
    // No query has more fused documents than its runs hold together: a k beyond that (k:
    // 2000000000) allocates nothing more.
    size_t most = 0;
    for (const auto& [qid, scores] : fused) most = std::max(most, scores.size());
    results.k = std::min<int64_t>(options_.k(), static_cast<int64_t>(most));
    results.doc_rows.assign(results.num_queries * results.k, -1);
    results.scores.assign(results.num_queries * results.k, -std::numeric_limits<float>::infinity());
    std::vector<std::string> query_ids, doc_ids;
    absl::flat_hash_map<std::string, int64_t> rows;
    int64_t q = 0;
    for (const auto& [qid, scores] : fused) {
      query_ids.push_back(qid);
      std::vector<std::pair<double, std::string>> by_score;
      for (const auto& [doc, score] : scores) by_score.emplace_back(score, doc);
      std::sort(by_score.begin(), by_score.end(), [](const auto& a, const auto& b) {
        return a.first > b.first || (a.first == b.first && a.second > b.second);
      });
      for (int64_t j = 0; j < std::min<int64_t>(results.k, by_score.size()); ++j) {
        auto [it, inserted] =
            rows.emplace(by_score[j].second, static_cast<int64_t>(doc_ids.size()));
        if (inserted) doc_ids.push_back(by_score[j].second);
        results.doc_rows[q * results.k + j] = it->second;
        results.scores[q * results.k + j] = static_cast<float>(by_score[j].first);
      }
      ++q;
    }
    results.query_ids = IdTable::Of(query_ids);
    results.doc_ids = IdTable::Of(doc_ids);
    ctx.report().set_queries(results.num_queries);
    (*ctx.report().mutable_notes())["queries"] = absl::StrCat(results.num_queries);
    return ctx.SetOutput("results", std::move(results));
  }

 private:
  // WEIGHTED_SUM's per-query normalisation of one run's scores, in place.
  void Normalize(std::vector<std::pair<double, std::string>>& ranked) const {
    if (ranked.empty() || options_.method() != fusion::FusionOptions::WEIGHTED_SUM) return;
    if (options_.normalization() == fusion::FusionOptions::MIN_MAX) {
      const double max = ranked.front().first, min = ranked.back().first;
      for (auto& entry : ranked) entry.first = max == min ? 1.0 : (entry.first - min) / (max - min);
    } else if (options_.normalization() == fusion::FusionOptions::Z_SCORE) {
      double mean = 0, squares = 0;
      for (const auto& entry : ranked) mean += entry.first;
      mean /= static_cast<double>(ranked.size());
      for (const auto& entry : ranked) squares += (entry.first - mean) * (entry.first - mean);
      const double deviation = std::sqrt(squares / static_cast<double>(ranked.size()));
      for (auto& entry : ranked)
        entry.first = deviation == 0 ? 0 : (entry.first - mean) / deviation;
    }
  }

  fusion::FusionOptions options_;
};
TRAWL_REGISTER_STAGE(FusionStage);

}  // namespace trawl
