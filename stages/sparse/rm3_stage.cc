#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "pipelines/values/sparse_matrix.h"
#include "stages/sparse/text_stages.pb.h"

namespace trawl {
namespace {

// A term -> weight vector, Anserini's FeatureVector.
using Features = std::vector<std::pair<std::string, float>>;

// FeatureVector.pruneToSize: the `size` largest weights, ties by term (Java's String order, which
// is byte order for the [a-z0-9] terms the filter keeps).
void Prune(Features& features, int size) {
  std::sort(features.begin(), features.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (static_cast<int>(features.size()) > size) features.resize(size);
}

// FeatureVector.scaleToUnitL1Norm: the L1 norm summed in double, each weight divided by it.
void ScaleToUnitL1(Features& features) {
  double norm = 0;
  for (const auto& [term, weight] : features) norm += weight;
  if (norm <= 0) return;
  for (auto& [term, weight] : features) weight = static_cast<float>(weight / norm);
}

// Rm3Reranker's feedback-term filter: 2 to 20 characters, [a-z0-9] only.
bool KeepTerm(const std::string& term) {
  if (term.size() < 2 || term.size() > 20) return false;
  return std::all_of(term.begin(), term.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

}  // namespace

// RM3 pseudo-relevance feedback as Anserini's Rm3Reranker computes it: from each query's first
// fb_docs results, a relevance model over their terms, interpolated with the query and written as
// expanded query vectors for a second sparse_search over the same index.
//
//   per feedback document: its term counts (filtered), the fb_terms largest kept, divided by
//                          their sum (L1), times the document's first-pass score
//   relevance model:       those summed over the documents, the fb_terms largest kept, L1
//   expanded query:        w * query/|query|_1 + (1 - w) * model, over both vectors' terms
//
// Terms come from the documents' analysed term counts (bm25_vectors' "term_counts"), the same
// terms Anserini stores as document vectors. The filter (unless no_term_filter) drops terms
// shorter than 2 or longer than 20 characters, terms outside [a-z0-9], and terms in more than 10%
// of the documents that have terms.
//
//   stage {
//     type: "rm3"
//     input: "queries:query_vectors"  input: "results:first_pass"  input: "term_counts:counts"
//     output: "vectors:expanded_queries"
//   }
//
// Related: text_stages.proto, bm25_vectors, sparse_search.
class Rm3Stage : public Stage<sparse::Rm3Options> {
 public:
  static constexpr char kType[] = "rm3";
  static StageContract Contract() {
    return {StageKind::kTransform,
            {SlotSpec::Of<SparseMatrix>("queries"), SlotSpec::Of<RankedLists>("results"),
             SlotSpec::Of<SparseMatrix>("term_counts")},
            {SlotSpec::Of<SparseMatrix>("vectors")}};
  }

  absl::Status Open(const sparse::Rm3Options& options) override {
    fb_terms_ = options.has_fb_terms() ? options.fb_terms() : 10;
    fb_docs_ = options.has_fb_docs() ? options.fb_docs() : 10;
    weight_ = options.has_original_query_weight() ? options.original_query_weight() : 0.5f;
    if (fb_terms_ < 1)
      return absl::InvalidArgumentError(absl::StrCat("fb_terms must be >= 1, got ", fb_terms_));
    if (fb_docs_ < 1)
      return absl::InvalidArgumentError(absl::StrCat("fb_docs must be >= 1, got ", fb_docs_));
    if (!(weight_ >= 0 && weight_ <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("original_query_weight must be within [0, 1], got ", weight_));
    }
    filter_ = !options.no_term_filter();
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const SparseMatrix* queries, ctx.Input<SparseMatrix>("queries"));
    ASSIGN_OR_RETURN(const RankedLists* results, ctx.Input<RankedLists>("results"));
    ASSIGN_OR_RETURN(const SparseMatrix* docs, ctx.Input<SparseMatrix>("term_counts"));
    if (results->num_queries != queries->rows) {
      return absl::InvalidArgumentError(
          absl::StrCat("results has ", results->num_queries, " queries but queries has ",
                       queries->rows, ": the results must come from searching these queries"));
    }
    if (!results->doc_ids.SameRows(docs->ids) && results->doc_ids.size() != docs->rows) {
      return absl::InvalidArgumentError(
          absl::StrCat("results name ", results->doc_ids.size(), " documents but term_counts has ",
                       docs->rows, " rows: both must come from the same collection"));
    }
    // Document frequencies for the filter's 10% rule, over documents that have terms (Anserini
    // divides by the index's documents, which also counts documents of stop words only).
    std::vector<int64_t> doc_freq(docs->vocabulary->size(), 0);
    int64_t num_docs = 0;
    for (int64_t r = 0; r < docs->rows; ++r) num_docs += docs->row_size(r) > 0;
    for (int32_t term : docs->terms) ++doc_freq[term];

    SparseMatrix expanded;
    auto vocabulary = std::make_shared<std::vector<std::string>>();
    absl::flat_hash_map<std::string, int32_t> term_ids;
    expanded.integer_weights = false;
    expanded.ids = queries->ids;
    int64_t feedback_terms = 0;
    for (int64_t q = 0; q < queries->rows; ++q) {
      Features query = QueryFeatures(*queries, q);
      Features model = RelevanceModel(*results, q, *docs, doc_freq, num_docs);
      feedback_terms += static_cast<int64_t>(model.size());
      for (const auto& [term, weight] : Interpolate(query, model)) {
        auto [it, inserted] = term_ids.emplace(term, static_cast<int32_t>(vocabulary->size()));
        if (inserted) vocabulary->push_back(term);
        expanded.terms.push_back(it->second);
        expanded.weights.push_back(weight);
      }
      expanded.row_offsets.push_back(static_cast<int64_t>(expanded.terms.size()));
      ++expanded.rows;
    }
    expanded.vocabulary = std::move(vocabulary);
    (*ctx.report().mutable_notes())["rm3"] = absl::StrFormat(
        "fb_docs %d, fb_terms %d, original_query_weight %g; %.1f feedback terms per query",
        fb_docs_, fb_terms_, weight_, feedback_terms / std::max<double>(1, queries->rows));
    return ctx.SetOutput("vectors", std::move(expanded));
  }

 private:
  // The query's terms, each weighted by its count, L1-normalised (FeatureVector.fromTerms).
  static Features QueryFeatures(const SparseMatrix& queries, int64_t q) {
    Features features;
    for (int64_t e = queries.row_offsets[q]; e < queries.row_offsets[q + 1]; ++e) {
      features.emplace_back((*queries.vocabulary)[queries.terms[e]], queries.weights[e]);
    }
    ScaleToUnitL1(features);
    return features;
  }

  Features RelevanceModel(const RankedLists& results, int64_t q, const SparseMatrix& docs,
                          const std::vector<int64_t>& doc_freq, int64_t num_docs) const {
    // Each feedback document's pruned term counts, with its L1 norm and first-pass score.
    struct Feedback {
      absl::flat_hash_map<std::string, float> counts;
      float norm;
      float score;
    };
    std::vector<Feedback> feedback;
    std::vector<std::string> vocabulary;  // union of the feedback documents' kept terms
    for (int64_t i = 0; i < std::min<int64_t>(fb_docs_, results.k); ++i) {
      const int64_t row = results.doc_rows[q * results.k + i];
      if (row < 0) break;
      Features terms;
      for (int64_t e = docs.row_offsets[row]; e < docs.row_offsets[row + 1]; ++e) {
        const std::string& term = (*docs.vocabulary)[docs.terms[e]];
        if (filter_ &&
            (!KeepTerm(term) || static_cast<float>(doc_freq[docs.terms[e]]) / num_docs > 0.1f)) {
          continue;
        }
        terms.emplace_back(term, docs.weights[e]);
      }
      Prune(terms, fb_terms_);
      double norm = 0;
      for (const auto& [term, count] : terms) norm += count;
      Feedback doc{{}, static_cast<float>(norm), results.scores[q * results.k + i]};
      for (auto& [term, count] : terms) {
        vocabulary.push_back(term);
        doc.counts.emplace(std::move(term), count);
      }
      feedback.push_back(std::move(doc));
    }
    std::sort(vocabulary.begin(), vocabulary.end());
    vocabulary.erase(std::unique(vocabulary.begin(), vocabulary.end()), vocabulary.end());
    Features model;
    for (const std::string& term : vocabulary) {
      float weight = 0;  // float, summed in document order, as Anserini does
      for (const Feedback& doc : feedback) {
        if (doc.norm <= 0.001f) continue;
        auto it = doc.counts.find(term);
        if (it != doc.counts.end()) weight += (it->second / doc.norm) * doc.score;
      }
      model.emplace_back(term, weight);
    }
    Prune(model, fb_terms_);
    ScaleToUnitL1(model);
    return model;
  }

  // FeatureVector.interpolate: w * x + (1 - w) * y over the union of terms, the second product
  // in double as Java promotes (1.0 - w).
  Features Interpolate(const Features& query, const Features& model) const {
    absl::flat_hash_map<std::string, std::pair<float, float>> both;
    for (const auto& [term, weight] : query) both[term].first = weight;
    for (const auto& [term, weight] : model) both[term].second = weight;
    Features out;
    for (const auto& [term, weights] : both) {
      const float weight =
          static_cast<float>(weight_ * weights.first + (1.0 - weight_) * weights.second);
      if (weight > 0) out.emplace_back(term, weight);  // w = 0 or 1 leaves one side out
    }
    // Query rows list their terms in one fixed order (the result does not depend on it).
    std::sort(out.begin(), out.end());
    return out;
  }

  int fb_terms_ = 10, fb_docs_ = 10;
  float weight_ = 0.5f;
  bool filter_ = true;
};
TRAWL_REGISTER_STAGE(Rm3Stage);

}  // namespace trawl
