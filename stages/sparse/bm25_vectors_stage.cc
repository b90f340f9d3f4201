#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values/sparse_matrix.h"
#include "stages/formats/texts.h"
#include "stages/sparse/bm25.h"
#include "stages/sparse/text_stages.pb.h"
#include "stages/text/analyzer.h"

namespace trawl {
namespace {

// Analysed texts: per row, (term, count) over a sorted vocabulary, and the row's length (tokens
// after stop words).
struct TermCounts {
  SparseMatrix counts;  // integer weights
  std::vector<int32_t> lengths;
};

// One thread's share of the rows, over its own vocabulary (ids in first-seen order).
struct Shard {
  std::vector<std::string> vocabulary;
  std::vector<int64_t> row_offsets = {0};
  std::vector<int32_t> terms;
  std::vector<int32_t> counts;
  std::vector<int32_t> lengths;
};

void AnalyzeShard(TextAnalyzer analyzer, const TextCollection& texts, int64_t begin, int64_t end,
                  Shard* shard) {
  absl::flat_hash_map<std::string, int32_t> term_ids;
  absl::flat_hash_map<int32_t, int32_t> row;
  std::vector<std::string> tokens;
  for (int64_t i = begin; i < end; ++i) {
    tokens.clear();
    analyzer.Analyze(texts.texts[i], &tokens);
    row.clear();
    for (std::string& token : tokens) {
      auto [it, inserted] = term_ids.emplace(std::move(token), 0);
      if (inserted) {
        it->second = static_cast<int32_t>(shard->vocabulary.size());
        shard->vocabulary.push_back(it->first);
      }
      ++row[it->second];
    }
    for (auto [term, count] : row) {
      shard->terms.push_back(term);
      shard->counts.push_back(count);
    }
    shard->row_offsets.push_back(static_cast<int64_t>(shard->terms.size()));
    shard->lengths.push_back(static_cast<int32_t>(tokens.size()));
  }
}

// The term counts of every text, on `threads` threads. The vocabulary is sorted (byte order) and
// each row's terms ascend, so the result does not depend on the thread count.
TermCounts CountTerms(const TextAnalyzer& analyzer, const TextCollection& texts, int threads) {
  const int64_t n = texts.size();
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n / 64 + 1)));
  std::vector<Shard> shards(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back(AnalyzeShard, analyzer, std::cref(texts), n * t / threads,
                         n * (t + 1) / threads, &shards[t]);
  }
  for (std::thread& worker : workers) worker.join();

  auto vocabulary = std::make_shared<std::vector<std::string>>();
  for (const Shard& shard : shards) {
    vocabulary->insert(vocabulary->end(), shard.vocabulary.begin(), shard.vocabulary.end());
  }
  std::sort(vocabulary->begin(), vocabulary->end());
  vocabulary->erase(std::unique(vocabulary->begin(), vocabulary->end()), vocabulary->end());

  TermCounts out;
  SparseMatrix& m = out.counts;
  m.rows = n;
  m.ids = texts.ids;
  m.integer_weights = true;
  std::vector<std::pair<int32_t, int32_t>> row;
  for (const Shard& shard : shards) {
    std::vector<int32_t> global(shard.vocabulary.size());
    for (size_t i = 0; i < global.size(); ++i) {
      global[i] = static_cast<int32_t>(
          std::lower_bound(vocabulary->begin(), vocabulary->end(), shard.vocabulary[i]) -
          vocabulary->begin());
    }
    for (size_t r = 0; r + 1 < shard.row_offsets.size(); ++r) {
      row.clear();
      for (int64_t e = shard.row_offsets[r]; e < shard.row_offsets[r + 1]; ++e) {
        row.emplace_back(global[shard.terms[e]], shard.counts[e]);
      }
      std::sort(row.begin(), row.end());
      for (auto [term, count] : row) {
        m.terms.push_back(term);
        m.weights.push_back(static_cast<float>(count));
      }
      m.row_offsets.push_back(static_cast<int64_t>(m.terms.size()));
    }
    out.lengths.insert(out.lengths.end(), shard.lengths.begin(), shard.lengths.end());
  }
  m.vocabulary = std::move(vocabulary);
  return out;
}

}  // namespace

// Turns text into sparse vectors for BM25 through the sparse index (stages/sparse/bm25.h): on
// the DOCUMENTS side each document's terms weighted by Lucene's BM25 from the collection's own
// statistics; on the QUERIES side each query's term counts. Output "term_counts" (when bound)
// holds the raw term counts on either side; rm3 reads the documents'. sparse_search's score of a
// query vector against a document vector, sum(count x weight), is then Lucene's BM25 score of the
// bag-of-words query.
//
//   stage { type: "bm25_vectors"  input: "texts:docs"  output: "vectors:doc_vectors" }
//   stage {
//     type: "bm25_vectors"  input: "texts:topics"  output: "vectors:query_vectors"
//     options { [type.googleapis.com/trawl.sparse.Bm25VectorsOptions] { side: QUERIES } }
//   }
//
// Related: text_stages.proto, stages/text/analyzer.h, text_reader, sparse_index_build.
class Bm25VectorsStage : public Stage<sparse::Bm25VectorsOptions> {
 public:
  static constexpr char kType[] = "bm25_vectors";
  static StageContract Contract() {
    return {StageKind::kTransform,
            {SlotSpec::Of<TextCollection>("texts")},
            {SlotSpec::Of<SparseMatrix>("vectors"), SlotSpec::Of<SparseMatrix>("term_counts")}};
  }

  absl::Status Open(const sparse::Bm25VectorsOptions& options) override {
    k1_ = options.has_k1() ? options.k1() : 0.9f;
    b_ = options.has_b() ? options.b() : 0.4f;
    if (!std::isfinite(k1_) || k1_ < 0) {
      return absl::InvalidArgumentError(absl::StrCat("k1 must be a number >= 0, got ", k1_));
    }
    if (!(b_ >= 0 && b_ <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat("b must be within [0, 1], got ", b_));
    }
    if (options.threads() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("threads must be >= 0, got ", options.threads()));
    }
    threads_ = options.threads() > 0
                   ? options.threads()
                   : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    queries_ = options.side() == sparse::Bm25VectorsOptions::QUERIES;
    ASSIGN_OR_RETURN(TextAnalyzer analyzer, TextAnalyzer::Create(options.analyzer()));
    analyzer_ = std::make_unique<TextAnalyzer>(std::move(analyzer));
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const TextCollection* texts, ctx.Input<TextCollection>("texts"));
    const absl::Time start = absl::Now();
    TermCounts counted = CountTerms(*analyzer_, *texts, threads_);
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    auto& notes = *ctx.report().mutable_notes();
    notes["analyzed"] =
        absl::StrFormat("%d texts, %d terms, %.0f texts/s", texts->size(),
                        counted.counts.vocabulary->size(), texts->size() / std::max(seconds, 1e-9));
    if (queries_) {
      if (ctx.HasOutput("term_counts"))
        RETURN_IF_ERROR(ctx.SetOutput("term_counts", counted.counts));
      return ctx.SetOutput("vectors", std::move(counted.counts));
    }
    ASSIGN_OR_RETURN(SparseMatrix weights, Weigh(counted, notes));
    RETURN_IF_ERROR(ctx.SetOutput("vectors", std::move(weights)));
    return ctx.SetOutput("term_counts", std::move(counted.counts));
  }

 private:
  // Lucene's BM25 weight of every (document, term) from the collection's statistics.
  absl::StatusOr<SparseMatrix> Weigh(const TermCounts& counted,
                                     google::protobuf::Map<std::string, std::string>& notes) const {
    const SparseMatrix& counts = counted.counts;
    int64_t doc_count = 0, total_terms = 0;
    for (int32_t length : counted.lengths) {
      doc_count += length > 0;
      total_terms += length;
    }
    if (doc_count == 0) {
      return absl::InvalidArgumentError(
          "no document has a single term after analysis: nothing to weigh (are the texts "
          "empty, or all stop words?)");
    }
    std::vector<int64_t> doc_freq(counts.vocabulary->size(), 0);
    for (int32_t term : counts.terms) ++doc_freq[term];
    const Bm25Weights bm25(k1_, b_, doc_count, total_terms);
    std::vector<float> idf(doc_freq.size());
    for (size_t t = 0; t < idf.size(); ++t) idf[t] = bm25.Idf(doc_freq[t]);

    SparseMatrix weights = counts;
    weights.integer_weights = false;
    for (int64_t r = 0; r < counts.rows; ++r) {
      for (int64_t e = counts.row_offsets[r]; e < counts.row_offsets[r + 1]; ++e) {
        weights.weights[e] = bm25.Weight(
            idf[counts.terms[e]], static_cast<int32_t>(counts.weights[e]), counted.lengths[r]);
      }
    }
    notes["bm25"] = absl::StrFormat("k1 %g, b %g, %d documents with terms, avgdl %.4f", k1_, b_,
                                    doc_count, bm25.avgdl());
    return weights;
  }

  float k1_ = 0.9f, b_ = 0.4f;
  int threads_ = 1;
  bool queries_ = false;
  std::unique_ptr<TextAnalyzer> analyzer_;
};
TRAWL_REGISTER_STAGE(Bm25VectorsStage);

}  // namespace trawl
