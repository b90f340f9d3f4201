#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/paths.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "pipelines/values/sparse_matrix.h"
#include "stages/sparse/gpu_sparse_scorer.h"
#include "stages/sparse/inverted_index.h"
#include "stages/sparse/sparse_stages.pb.h"

namespace trawl {

// Builds an inverted index (inverted_index.h) over a sparse corpus.
//
//   stage { type: "sparse_index_build"  input: "corpus:docs"  output: "index:splade" }
//
// Related: sparse_stages.proto, sparse_search, sparse_reader.
class SparseIndexBuildStage : public Stage<sparse::SparseIndexBuildOptions> {
 public:
  static constexpr char kType[] = "sparse_index_build";
  static StageContract Contract() {
    return {StageKind::kIndexBuild,
            {SlotSpec::Of<SparseMatrix>("corpus")},
            {SlotSpec::Of<SparseIndex>("index")}};
  }

  absl::Status Open(const sparse::SparseIndexBuildOptions&) override { return absl::OkStatus(); }

  // The index holds each posting compressed beside its weight, and the build keeps a copy of the
  // postings while it sorts them: about 16 bytes per posting at the peak, and the block table.
  absl::StatusOr<MemoryEstimate> EstimateMemory(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const SparseMatrix* corpus, ctx.Input<SparseMatrix>("corpus"));
    MemoryEstimate estimate;
    const int64_t postings = static_cast<int64_t>(corpus->terms.size());
    estimate.host_bytes = postings * 16 + (corpus->rows + 1) * 8;
    estimate.host_detail =
        absl::StrCat("the inverted index of ", postings, " postings over ", corpus->rows, " rows");
    return estimate;
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const SparseMatrix* corpus, ctx.Input<SparseMatrix>("corpus"));
    SparseIndex index = SparseIndex::Build(*corpus);
    auto& notes = *ctx.report().mutable_notes();
    notes["index"] =
        absl::StrCat(index.num_docs(), " documents, ", index.num_terms(), " terms, ",
                     index.num_postings(), " postings, ", index.memory_bytes(), " bytes");
    notes["weights"] = index.integer_weights() ? "integer" : "float";
    ctx.report().set_device("cpu");
    return ctx.SetOutput("index", std::move(index));
  }
};
TRAWL_REGISTER_STAGE(SparseIndexBuildStage);

// Searches a sparse index with sparse queries: the exact top k by dot product. On the CPU,
// term-at-a-time (EXACT) or with MaxScore pruning (MAXSCORE; the same results), threaded over
// queries. On a GPU run, whatever the mode, every document is scored on the device
// (gpu_sparse_scorer.h) where the memory stage places it: batches of 32 queries on the full and
// sharded rungs, 4 on the reduced and minimal ones, the CPU when no card can hold the index.
//
//   stage {
//     type: "sparse_search"  input: "index:splade"  input: "queries:queries"
//     output: "results:results"
//     options { [type.googleapis.com/trawl.sparse.SparseSearchOptions] { k: 1000 mode: MAXSCORE } }
//   }
//
// Related: sparse_stages.proto, sparse_index_build, fusion, trec_eval.
class SparseSearchStage : public Stage<sparse::SparseSearchOptions> {
 public:
  static constexpr char kType[] = "sparse_search";
  static StageContract Contract() {
    return {StageKind::kSearch,
            {SlotSpec::Of<SparseIndex>("index"), SlotSpec::Of<SparseMatrix>("queries")},
            {SlotSpec::Of<RankedLists>("results")},
            /*plans_device_memory=*/true};
  }

  absl::StatusOr<MemoryEstimate> EstimateMemory(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const SparseIndex* index, ctx.Input<SparseIndex>("index"));
    ASSIGN_OR_RETURN(const SparseMatrix* queries, ctx.Input<SparseMatrix>("queries"));
    MemoryEstimate estimate;
    const int64_t results = queries->rows * options_.k() * 12;
    // The forward index is built on the host for the upload (and copied per shard); the CPU path
    // keeps 12 bytes of scratch per document in each thread.
    const int64_t threads = options_.threads() > 0
                                ? options_.threads()
                                : std::max<int64_t>(1, std::thread::hardware_concurrency());
    estimate.host_bytes =
        results + std::max(2 * (index->num_postings() * 8 + (index->num_docs() + 1) * 8),
                           threads * index->num_docs() * 12);
    estimate.host_detail = absl::StrCat("results: ", queries->rows, " queries x k ", options_.k(),
                                        " x 12 bytes, and the scoring scratch");
    estimate.device_bytes = GpuSparseScorer::RequiredBytes(index->num_docs(), index->num_postings(),
                                                           index->num_terms(), kFullBatch);
    estimate.reduced_device_bytes = GpuSparseScorer::RequiredBytes(
        index->num_docs(), index->num_postings(), index->num_terms(), kReducedBatch);
    estimate.shardable = true;  // documents split across GPUs; each scores its own
    estimate.spread_over = options_.gpus() == -1 ? 1 << 20 : options_.gpus();
    return estimate;
  }

  absl::Status Open(const sparse::SparseSearchOptions& options) override {
    if (options.k() < 0)
      return absl::InvalidArgumentError(absl::StrCat("k must be >= 0, got ", options.k()));
    if (options.threads() < 0) return absl::InvalidArgumentError("threads must be >= 0");
    if (options.gpus() < -1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "gpus must be -1 (all), 0 (the plan decides) or a count, got ", options.gpus()));
    }
    options_ = options;
    if (options_.k() == 0) options_.set_k(10);
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const SparseIndex* index, ctx.Input<SparseIndex>("index"));
    ASSIGN_OR_RETURN(const SparseMatrix* queries, ctx.Input<SparseMatrix>("queries"));
    const SparseSearchMode mode = options_.mode() == sparse::SparseSearchOptions::MAXSCORE
                                      ? SparseSearchMode::kMaxScore
                                      : SparseSearchMode::kExact;
    RankedLists results;
    std::string device = "cpu";
    RETURN_IF_ERROR(ctx.RunPlaced([&](const DeviceLease& placement) -> absl::Status {
      if (!placement.on_gpu()) {
        results = index->Search(*queries, options_.k(), mode, options_.threads());
        device = "cpu";
        return absl::OkStatus();
      }
      const int64_t batch = placement.rung == Rung::kReduced || placement.rung == Rung::kMinimal
                                ? kReducedBatch
                                : kFullBatch;
      RETURN_IF_ERROR(SearchOnGpu(*index, *queries, placement, batch, results));
      device = absl::StrCat("gpu:", placement.devices[0]);
      if (placement.devices.size() > 1) {
        absl::StrAppend(&device, " (sharded over ", placement.devices.size(), " GPUs)");
      }
      return absl::OkStatus();
    }));
    ctx.report().set_device(device);
    ctx.report().set_queries(queries->rows);
    (*ctx.report().mutable_notes())["queries"] = absl::StrCat(queries->rows);
    return ctx.SetOutput("results", std::move(results));
  }

 private:
  static constexpr int64_t kFullBatch = 32;
  static constexpr int64_t kReducedBatch = 4;

  // Every document scored on the placement's GPUs: one contiguous share of the documents per
  // device (all on one device outside the sharded rung), the shares' top k merged by exact score
  // and then row, as one device would rank them.
  absl::Status SearchOnGpu(const SparseIndex& index, const SparseMatrix& queries,
                           const DeviceLease& placement, int64_t batch,
                           RankedLists& results) const {
    const SparseMatrix forward = index.Forward();
    std::vector<GpuSparseScorer::Query> mapped(queries.rows);
    for (int64_t q = 0; q < queries.rows; ++q) {
      for (const SparseIndex::QueryTerm& term : index.MapQuery(queries, q)) {
        mapped[q].emplace_back(term.term, term.weight);
      }
    }
    const bool integer = index.integer_weights() && queries.integer_weights;
    const int64_t k = options_.k(), n = queries.rows, docs = forward.rows;
    const size_t shards = placement.devices.size();
    std::vector<std::vector<int64_t>> rows(shards, std::vector<int64_t>(n * k));
    std::vector<std::vector<double>> scores(shards, std::vector<double>(n * k));
    std::vector<absl::Status> statuses(shards);
    auto search_shard = [&](size_t s) {
      const int64_t begin = docs * static_cast<int64_t>(s) / static_cast<int64_t>(shards);
      const int64_t end = docs * static_cast<int64_t>(s + 1) / static_cast<int64_t>(shards);
      const int64_t first = forward.row_offsets[begin], last = forward.row_offsets[end];
      std::vector<int64_t> offsets(forward.row_offsets.begin() + begin,
                                   forward.row_offsets.begin() + end + 1);
      for (int64_t& o : offsets) o -= first;
      absl::StatusOr<std::unique_ptr<GpuSparseScorer>> scorer = GpuSparseScorer::Create(
          placement.devices[s], placement.streams[s], placement.allocator, offsets,
          std::vector<int32_t>(forward.terms.begin() + first, forward.terms.begin() + last),
          std::vector<float>(forward.weights.begin() + first, forward.weights.begin() + last),
          index.num_terms());
      if (!scorer.ok()) {
        statuses[s] = scorer.status();
        return;
      }
      statuses[s] = (*scorer)->Search(mapped, k, integer, batch, rows[s].data(), scores[s].data());
      for (int64_t& row : rows[s]) {
        if (row >= 0) row += begin;
      }
    };
    std::vector<std::thread> threads;
    for (size_t s = 1; s < shards; ++s) threads.emplace_back(search_shard, s);
    search_shard(0);
    for (std::thread& thread : threads) thread.join();
    for (const absl::Status& status : statuses) RETURN_IF_ERROR(status);

    results = RankedLists();
    results.num_queries = n;
    results.k = k;
    results.doc_ids = index.ids();
    results.query_ids = queries.ids;
    results.doc_rows.assign(n * k, -1);
    results.scores.assign(n * k, -std::numeric_limits<float>::infinity());
    std::vector<std::pair<double, int64_t>> merged;
    for (int64_t q = 0; q < n; ++q) {
      merged.clear();
      for (size_t s = 0; s < shards; ++s) {
        for (int64_t j = 0; j < k && rows[s][q * k + j] >= 0; ++j) {
          merged.emplace_back(scores[s][q * k + j], rows[s][q * k + j]);
        }
      }
      std::sort(merged.begin(), merged.end(), [](const auto& a, const auto& b) {
        return a.first > b.first || (a.first == b.first && a.second < b.second);
      });
      for (int64_t j = 0; j < std::min<int64_t>(k, merged.size()); ++j) {
        results.doc_rows[q * k + j] = merged[j].second;
        results.scores[q * k + j] = static_cast<float>(merged[j].first);
      }
    }
    return absl::OkStatus();
  }

  sparse::SparseSearchOptions options_;
};
TRAWL_REGISTER_STAGE(SparseSearchStage);

// Writes a sparse index to one checksummed file (inverted_index.h), atomically.
//
//   stage { type: "sparse_index_write"  input: "index:splade"
//           options { [type.googleapis.com/trawl.sparse.SparseIndexWriteOptions] { path: "s.idx" }
//           } }
class SparseIndexWriteStage : public Stage<sparse::SparseIndexWriteOptions> {
 public:
  static constexpr char kType[] = "sparse_index_write";
  static StageContract Contract() {
    return {StageKind::kSink, {SlotSpec::Of<SparseIndex>("index")}, {}};
  }

  absl::Status Open(const sparse::SparseIndexWriteOptions& options) override {
    if (options.path().empty()) return absl::InvalidArgumentError("path is required");
    path_ = options.path();
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const SparseIndex* index, ctx.Input<SparseIndex>("index"));
    RETURN_IF_ERROR(index->Write(path_));
    (*ctx.report().mutable_notes())["written"] = path_;
    return absl::OkStatus();
  }

  std::vector<FileUse> Files() const override {
    return {{FileUse::kOutputFile, ResolveUserPath(path_)}};
  }

 private:
  std::string path_;
};
TRAWL_REGISTER_STAGE(SparseIndexWriteStage);

// Reads a sparse index file, verified before use (checksum, then every list and posting).
//
//   stage { type: "sparse_index_read"  output: "index:splade"
//           options { [type.googleapis.com/trawl.sparse.SparseIndexReadOptions] { path: "s.idx" } }
//           }
class SparseIndexReadStage : public Stage<sparse::SparseIndexReadOptions> {
 public:
  static constexpr char kType[] = "sparse_index_read";
  static StageContract Contract() {
    return {StageKind::kSource, {}, {SlotSpec::Of<SparseIndex>("index")}};
  }

  absl::Status Open(const sparse::SparseIndexReadOptions& options) override {
    if (options.path().empty()) return absl::InvalidArgumentError("path is required");
    path_ = options.path();
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(SparseIndex index, SparseIndex::Read(path_));
    return ctx.SetOutput("index", std::move(index));
  }

  std::vector<FileUse> Files() const override {
    return {{FileUse::kInputFile, ResolveUserPath(path_)}};
  }

 private:
  std::string path_;
};
TRAWL_REGISTER_STAGE(SparseIndexReadStage);

}  // namespace trawl
