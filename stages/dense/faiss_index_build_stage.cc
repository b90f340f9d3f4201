#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "faiss/IVFlib.h"
#include "faiss/IndexFlat.h"
#include "faiss/IndexIVFFlat.h"
#include "faiss/IndexIVFPQ.h"
#include "faiss/index_factory.h"
#include "pipelines/hashing.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/dense/dense_index.h"
#include "stages/dense/dense_metric.h"
#include "stages/dense/factory_string.h"
#include "stages/dense/faiss_index_build_stage.pb.h"
#include "stages/dense/faiss_placement.h"
#include "stages/dense/index_folder.h"
#include "stages/dense/trawl_exact_index.h"

namespace trawl {

// Builds a FAISS index over a corpus: any type faiss::index_factory makes (or Flat / IVF-Flat by
// index_type), L2 / inner product / cosine, where the memory-management stage places it: on the
// GPU when the run uses one (fresh resources per rung, float16 storage or sharding across GPUs on
// lower rungs; shards or replicas over `gpus` first when the options ask), on the CPU otherwise.
// With cache_dir, a verified index folder (index_folder.h) for the same description, metric and
// data is placed instead of built, and a build fills it.
//
//   stage {
//     type: "faiss_index_build"  input: "corpus:corpus"  output: "index:flat"
//     options { [type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { index_type: FLAT } }
//   }
//
// Related: faiss_index_build_stage.proto, faiss_search, dense_index.h.
class FaissIndexBuildStage : public Stage<dense::FaissIndexBuildOptions> {
 public:
  static constexpr char kType[] = "faiss_index_build";
  static StageContract Contract() {
    return {StageKind::kIndexBuild,
            {SlotSpec::Of<DenseMatrix>("corpus")},
            {SlotSpec::Of<DenseIndex>("index")},
            /*plans_device_memory=*/true};
  }

  absl::Status Open(const dense::FaissIndexBuildOptions& options) override {
    if (options.index_type() == dense::FaissIndexBuildOptions::IVF_FLAT && options.nlist() <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("nlist must be > 0 for IVF_FLAT, got ", options.nlist()));
    }
    if (options.train_size() < 0) return absl::InvalidArgumentError("train_size must be >= 0");
    if (options.gpus() < -1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "gpus must be -1 (all), 0 (the plan decides) or a count, got ", options.gpus()));
    }
    if (!options.factory().empty() &&
        (options.index_type() != dense::FaissIndexBuildOptions::FLAT || options.nlist() != 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("factory \"", options.factory(),
                       "\" and index_type/nlist both describe the index; set only factory"));
    }
    options_ = options;
    if (!options.factory().empty()) {
      RETURN_IF_ERROR(CheckFactoryString(options.factory(), ToFaissMetric(options.metric())));
    }
    if (trawl_engine() && Description() != "Flat") {
      return absl::InvalidArgumentError(absl::StrCat(
          "engine TRAWL is exact search: it needs factory \"Flat\", got \"", Description(), "\""));
    }
    if (trawl_engine() && !options.cache_dir().empty()) {
      return absl::InvalidArgumentError(
          "engine TRAWL builds in a second from the corpus; cache_dir is for FAISS's indexes");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<MemoryEstimate> EstimateMemory(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const DenseMatrix* corpus, ctx.Input<DenseMatrix>("corpus"));
    MemoryEstimate estimate;
    if (trawl_engine()) {
      estimate = TrawlEstimate(*corpus);
    } else {
      ASSIGN_OR_RETURN(estimate, Estimate(*corpus, Description()));
      estimate.replicate = !options_.shard();
    }
    estimate.spread_over = options_.gpus() == -1 ? 1 << 20 : options_.gpus();
    estimate.keeps_device_memory = true;  // the index stays on the GPU for the searches
    return estimate;
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const DenseMatrix* corpus_in, ctx.Input<DenseMatrix>("corpus"));
    if (corpus_in->rows == 0) return absl::InvalidArgumentError("the corpus is empty");
    // When this stage is the corpus's last reader it may consume it: normalise in place, and let
    // a CPU Flat index take the vectors over piece by piece (AddReleasing).
    DenseMatrix* consumable = ctx.ConsumableInput<DenseMatrix>("corpus");
    std::string data_sha;  // before anything changes the corpus
    if (!options_.cache_dir().empty()) data_sha = DataSha256(*corpus_in);
    DenseMatrix normalized;
    if (consumable != nullptr && options_.metric() == dense::COSINE) {
      NormalizeRowsInPlace(*consumable);
    }
    const DenseMatrix& corpus = consumable != nullptr
                                    ? *consumable
                                    : PrepareForMetric(*corpus_in, options_.metric(), normalized);
    auto& notes = *ctx.report().mutable_notes();

    DenseIndex built;
    built.metric = options_.metric();
    built.ids = corpus.ids;
    built.description = Description();
    // The cache: a verified folder for this description, metric and data is placed, not built.
    std::string cache_folder;
    std::unique_ptr<faiss::Index> cached;
    bool cache_hit = false;  // the index came from the cache: nothing to write back
    dense::IndexManifest manifest;
    if (!options_.cache_dir().empty()) {
      manifest.set_description(built.description);
      manifest.set_metric(options_.metric());
      manifest.set_data_sha256(data_sha);
      cache_folder = CacheFolder(manifest);
      cached = ReadCache(cache_folder, manifest, notes["cache"]);
      cache_hit = cached != nullptr;
    }

    std::string device = "cpu";
    RETURN_IF_ERROR(ctx.RunPlaced([&](const DeviceLease& placement) -> absl::Status {
      if (trawl_engine() && placement.on_gpu() && !placement.emulated) {
        ASSIGN_OR_RETURN(std::unique_ptr<faiss::Index> index, BuildTrawl(corpus, placement));
        device = RecordPlacement(std::move(index), placement, nullptr, "", &built);
        notes["engine"] = placement.rung == Rung::kReduced || placement.rung == Rung::kMinimal
                              ? "TRAWL (corpus streamed from the host)"
                              : "TRAWL";
        return absl::OkStatus();
      }
      return StatusFromCall("building " + built.description, [&] {
        std::string cpu_only;               // why a GPU placement still built on the CPU
        const FaissLease faiss(placement);  // FAISS on the lease's streams, sized by it
        std::unique_ptr<faiss::Index> index;
        if (cached != nullptr) {
          index = CloneToGpu(*cached, placement, faiss, built.description, &cpu_only);
          if (index == nullptr) index = std::move(cached);
        } else {
          index = MakeIndex(placement, faiss, static_cast<int>(corpus.dim), cpu_only);
          if (!index->is_trained || ivf()) {
            const faiss::IndexIVF* inner = faiss::ivflib::try_extract_index_ivf(index.get());
            const int64_t lists =
                inner != nullptr ? inner->nlist : 1024;  // PQ, SQ: codebooks from up to 256k
            const int64_t train = options_.train_size() > 0
                                      ? std::min(options_.train_size(), corpus.rows)
                                      : std::min<int64_t>(corpus.rows, 256LL * lists);
            index->train(train, corpus.data.data());
          }
          auto* cpu_flat = dynamic_cast<faiss::IndexFlat*>(index.get());
          // Only on the real CPU: no rung comes after it that would need the corpus again.
          if (consumable != nullptr && cpu_flat != nullptr && !placement.on_gpu() &&
              !placement.emulated) {
            AddReleasing(cpu_flat, *consumable);
          } else {
            index->add(corpus.rows, corpus.data.data());
          }
          if (placement.on_gpu()) ReclaimGpuListMemory(index.get());
        }
        device = RecordPlacement(std::move(index), placement, &faiss, cpu_only, &built);
        if (!cpu_only.empty()) notes["cpu_only"] = cpu_only;
      });
    }));
    if (!cache_folder.empty() && !cache_hit) {
      RETURN_IF_ERROR(WriteCache(built, cache_folder, manifest));
    }
    ctx.report().set_device(device);
    notes["index"] = built.description;
    return ctx.SetOutput("index", std::move(built));
  }

 private:
  // FAISS's GPU allocations are rounded up to this.
  static constexpr int64_t kAllocationAlignment = 256;

  // Adds `corpus` to a CPU Flat index in 64 MiB pieces and hands each piece's pages back to the
  // system once copied, so host memory holds about one copy of the vectors instead of two (a
  // corpus this large is its own mmap'd allocation: the pages are the vector's, and nothing reads
  // them again). The corpus is left empty.
  static void AddReleasing(faiss::IndexFlat* index, DenseMatrix& corpus) {
    index->codes.reserve(static_cast<size_t>(corpus.bytes()));  // no regrowth copies
    const int64_t rows_per_piece = std::max<int64_t>(1, (int64_t{64} << 20) / (corpus.dim * 4));
    const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const bool release = corpus.bytes() >= (int64_t{256} << 20);
    uintptr_t released = reinterpret_cast<uintptr_t>(corpus.data.data());
    released = (released + page - 1) / page * page;
    for (int64_t begin = 0; begin < corpus.rows; begin += rows_per_piece) {
      const int64_t count = std::min(rows_per_piece, corpus.rows - begin);
      index->add(count, corpus.row(begin));
      const uintptr_t end = reinterpret_cast<uintptr_t>(corpus.row(begin + count)) / page * page;
      if (release && end > released) {
        madvise(reinterpret_cast<void*>(released), end - released, MADV_DONTNEED);
        released = end;
      }
    }
    corpus.data.clear();
    corpus.data.shrink_to_fit();
    corpus.rows = 0;
  }

  // The corpus as the index sees it, ids included: the part of the cache key that is data.
  static std::string DataSha256(const DenseMatrix& corpus) {
    Sha256 hash;
    hash.Update(absl::StrCat(corpus.rows, "x", corpus.dim, ";"));
    hash.Update(absl::string_view(reinterpret_cast<const char*>(corpus.data.data()),
                                  static_cast<size_t>(corpus.bytes())));
    if (!corpus.ids.row_numbers()) {
      for (int64_t i = 0; i < corpus.ids.size(); ++i) hash.Update(corpus.ids.Get(i) + "\n");
    }
    return hash.Hex();
  }

  // <cache_dir>/<description>-<metric>-<key>: readable, and keyed by everything that shapes the
  // index (description, metric, training size, data).
  std::string CacheFolder(const dense::IndexManifest& manifest) const {
    std::string name = manifest.description();
    for (char& c : name) {
      if (!absl::ascii_isalnum(c)) c = '_';
    }
    const std::string key =
        Sha256Hex(absl::StrCat(manifest.description(), "|", manifest.metric(), "|",
                               options_.train_size(), "|", manifest.data_sha256()));
    return absl::StrCat(options_.cache_dir(), "/", name, "-", dense::Metric_Name(manifest.metric()),
                        "-", key.substr(0, 16));
  }

  // The cached CPU index when the folder verifies and describes this build; else null, with
  // `status` saying why ("miss", or "rebuilt: <the error>").
  static std::unique_ptr<faiss::Index> ReadCache(const std::string& folder,
                                                 const dense::IndexManifest& expected,
                                                 std::string& status) {
    if (!IndexFileBytes(folder).ok()) {
      status = "miss";
      return nullptr;
    }
    absl::StatusOr<IndexFolder> read = ReadIndexFolder(folder);
    if (read.ok() && (read->manifest.description() != expected.description() ||
                      read->manifest.metric() != expected.metric() ||
                      read->manifest.data_sha256() != expected.data_sha256())) {
      read = absl::DataLossError(absl::StrCat(folder, ": the manifest describes another index"));
    }
    if (!read.ok()) {
      status = absl::StrCat("rebuilt: ", read.status().message());
      return nullptr;
    }
    status = "hit";
    return std::move(read->index);
  }

  static absl::Status WriteCache(const DenseIndex& built, const std::string& folder,
                                 const dense::IndexManifest& manifest) {
    std::unique_ptr<faiss::Index> cpu_copy;
    if (built.on_gpu()) {
      RETURN_IF_ERROR(StatusFromCall("copying the index to the host for the cache",
                                     [&] { cpu_copy = IndexToCpu(*built.index); }));
    }
    return WriteIndexFolder(folder, cpu_copy != nullptr ? *cpu_copy : *built.index, built.ids,
                            manifest);
  }

  // The index as a factory string: `factory`, or what index_type and nlist describe.
  std::string Description() const {
    if (!options_.factory().empty()) return options_.factory();
    return ivf() ? absl::StrCat("IVF", options_.nlist(), ",Flat") : "Flat";
  }

  bool ivf() const { return options_.index_type() == dense::FaissIndexBuildOptions::IVF_FLAT; }
  bool trawl_engine() const { return options_.engine() == dense::TRAWL; }

  // Trawl's exact engine where `placement` says (TrawlExactIndex::CreatePlaced).
  absl::StatusOr<std::unique_ptr<faiss::Index>> BuildTrawl(const DenseMatrix& corpus,
                                                           const DeviceLease& placement) const {
    ASSIGN_OR_RETURN(std::unique_ptr<TrawlExactIndex> index,
                     TrawlExactIndex::CreatePlaced(corpus, options_.metric(), placement));
    return std::unique_ptr<faiss::Index>(std::move(index));
  }

  // The engine's device memory: the rows in float16 and float32 and their norms, resident (full
  // and sharded rungs) or only statistics and tile buffers, streamed (reduced rungs); the scratch
  // of a k = 1 search (faiss_search adds its own k's). The host keeps a copy of the rows.
  MemoryEstimate TrawlEstimate(const DenseMatrix& corpus) const {
    MemoryEstimate estimate;
    const int dim = static_cast<int>(corpus.dim);
    estimate.host_bytes = corpus.bytes() * (options_.metric() == dense::COSINE ? 3 : 2);
    estimate.device_bytes =
        TrawlExactIndex::DeviceBytes(corpus.rows, dim, options_.metric(),
                                     /*resident=*/true, 1, TrawlExactIndex::Params(false));
    estimate.reduced_device_bytes = TrawlExactIndex::DeviceBytes(
        corpus.rows, dim, options_.metric(), /*resident=*/false, 1, TrawlExactIndex::Params(true));
    estimate.shardable = true;
    return estimate;
  }

  // A factory index's needs from an empty CPU index of that type, as FAISS 1.7.3's GPU indexes
  // store it (checked against FAISS's own accounting by faiss_stages_gpu_test): per vector its
  // code (full vectors for Flat, with a float norm each) plus, for IVF types, an 8-byte id in the
  // lists (shrunk to size after adding: ReclaimGpuListMemory) and up to 31 vectors of padding per
  // list (the interleaved layout stores lists in groups of 32); per index the coarse centroids
  // with their norms and list pointers, and the PQ codebooks (held twice: as trained and
  // transposed for the distance kernels); 256 bytes of alignment per allocation. Lossy storage is
  // offered where FAISS's cloner has it (float16 for Flat and IVF-Flat data).
  absl::StatusOr<MemoryEstimate> Estimate(const DenseMatrix& corpus,
                                          const std::string& factory) const {
    MemoryEstimate estimate;
    const int dim = static_cast<int>(corpus.dim);
    int64_t per_vector = corpus.dim * 4 + 4, fixed = 2 * kAllocationAlignment, nlist = 0;
    bool full_vectors = true;
    RETURN_IF_ERROR(StatusFromCall("reading factory \"" + factory + "\"", [&] {
      std::unique_ptr<faiss::Index> probe(
          faiss::index_factory(dim, factory.c_str(), ToFaissMetric(options_.metric())));
      if (const faiss::IndexIVF* ivf = faiss::ivflib::try_extract_index_ivf(probe.get())) {
        nlist = static_cast<int64_t>(ivf->nlist);
        const int64_t code = static_cast<int64_t>(ivf->code_size);
        per_vector = code + 8;
        full_vectors = code == static_cast<int64_t>(ivf->d) * 4;
        // Centroids with norms and list pointers; per list 31 vectors of padding and the
        // alignment of its two allocations.
        fixed = nlist * (ivf->d * 4 + 4 + 3 * 8 + 31 * code + 2 * kAllocationAlignment);
        if (const auto* pq = dynamic_cast<const faiss::IndexIVFPQ*>(ivf)) {
          fixed += 2 * static_cast<int64_t>(pq->pq.M * pq->pq.ksub * pq->pq.dsub) * 4;
        }
      } else {
        try {
          per_vector = static_cast<int64_t>(probe->sa_code_size());
          full_vectors = per_vector == corpus.dim * 4;
          if (full_vectors) per_vector += 4;  // GpuIndexFlat keeps each vector's norm
        } catch (const std::exception&) {
          // Types without standalone codes (HNSW): the full vectors, as the graph stores them.
        }
      }
    }));
    estimate.host_bytes = corpus.bytes() * (options_.metric() == dense::COSINE ? 2 : 1);
    estimate.device_bytes = corpus.rows * per_vector + fixed;
    estimate.lossy_device_bytes =
        full_vectors ? corpus.rows * (per_vector - corpus.dim * 2) + fixed : 0;
    estimate.shardable = nlist == 0;
    estimate.temp_bytes = 1024 * 4 * (nlist > 0 ? nlist : std::min<int64_t>(corpus.rows, 65536));
    return estimate;
  }

  // The factory string this rung builds: Description() (`factory`, or what index_type and nlist
  // describe), with float16 storage on the lossy rung where the options did not name the storage:
  // "IVFn,SQfp16" for IVF (FAISS 1.7.3's cloner keeps IVF-Flat lists in float32 even with
  // useFloat16), "SQfp16" for Flat on the CPU (on a GPU the cloner stores Flat in float16).
  std::string PlacedDescription(const DeviceLease& placement) const {
    if (!placement.lossy || !options_.factory().empty()) return Description();
    if (ivf()) return absl::StrCat("IVF", options_.nlist(), ",SQfp16");
    return placement.on_gpu() ? "Flat" : "SQfp16";
  }

  // An empty index of the rung's description where `placement` says: cloned to its GPU(s) (float16
  // and sharding as the rung asks) with `faiss`'s resources, or on the CPU (also when a simulated
  // device is emulated). A type the cloner cannot put on the GPU stays on the CPU and `cpu_only`
  // says why.
  std::unique_ptr<faiss::Index> MakeIndex(const DeviceLease& placement, const FaissLease& faiss,
                                          int dim, std::string& cpu_only) const {
    const std::string description = PlacedDescription(placement);
    std::unique_ptr<faiss::Index> cpu(
        faiss::index_factory(dim, description.c_str(), ToFaissMetric(options_.metric())));
    std::unique_ptr<faiss::Index> gpu = CloneToGpu(*cpu, placement, faiss, description, &cpu_only);
    return gpu != nullptr ? std::move(gpu) : std::move(cpu);
  }

  dense::FaissIndexBuildOptions options_;
};
TRAWL_REGISTER_STAGE(FaissIndexBuildStage);

}  // namespace trawl
