#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "faiss/gpu/GpuCloner.h"
#include "pipelines/files.h"
#include "pipelines/paths.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "stages/dense/dense_index.h"
#include "stages/dense/faiss_index_io_stages.pb.h"
#include "stages/dense/faiss_placement.h"
#include "stages/dense/index_folder.h"

namespace trawl {

// Writes an index to an index folder (index_folder.h): a GPU index is copied to the host first.
//
//   stage {
//     type: "faiss_index_write"  input: "index:ivf"
//     options { [type.googleapis.com/trawl.dense.FaissIndexWriteOptions] { path: "ivf.index" } }
//   }
//
// Related: faiss_index_io_stages.proto, faiss_index_read, faiss_index_build (cache_dir).
class FaissIndexWriteStage : public Stage<dense::FaissIndexWriteOptions> {
 public:
  static constexpr char kType[] = "faiss_index_write";
  static StageContract Contract() {
    return {StageKind::kSink, {SlotSpec::Of<DenseIndex>("index")}, {}};
  }

  absl::Status Open(const dense::FaissIndexWriteOptions& options) override {
    if (options.path().empty()) return absl::InvalidArgumentError("path is required");
    path_ = options.path();
    // Before any stage runs: a user's folder or file at the path is never replaced.
    ASSIGN_OR_RETURN(const std::string target, FinalTarget(ResolveUserPath(path_)));
    return CheckReplaceableFolder(target);
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const DenseIndex* index, ctx.Input<DenseIndex>("index"));
    std::unique_ptr<faiss::Index> cpu_copy;
    if (index->on_gpu()) {
      RETURN_IF_ERROR(StatusFromCall("copying the index to the host",
                                     [&] { cpu_copy = IndexToCpu(*index->index); }));
    }
    dense::IndexManifest manifest;
    manifest.set_description(index->description);
    manifest.set_metric(index->metric);
    RETURN_IF_ERROR(WriteIndexFolder(path_, cpu_copy != nullptr ? *cpu_copy : *index->index,
                                     index->ids, manifest));
    (*ctx.report().mutable_notes())["written"] = path_;
    return absl::OkStatus();
  }

  std::vector<FileUse> Files() const override {
    return {{FileUse::kOutputFolder, ResolveUserPath(path_)}};
  }

 private:
  std::string path_;
};
TRAWL_REGISTER_STAGE(FaissIndexWriteStage);

// Reads an index folder — one Trawl wrote, checked against its manifest, or a Pyserini prebuilt
// dense index as it is — and places it as faiss_index_build would a built one: on the GPU through
// FAISS's cloner when the run has one and the memory plan allows, else on the CPU.
//
//   stage {
//     type: "faiss_index_read"  output: "index:ivf"
//     options { [type.googleapis.com/trawl.dense.FaissIndexReadOptions] { path: "ivf.index" } }
//   }
//
// Related: faiss_index_io_stages.proto, faiss_index_write, faiss_search.
class FaissIndexReadStage : public Stage<dense::FaissIndexReadOptions> {
 public:
  static constexpr char kType[] = "faiss_index_read";
  static StageContract Contract() {
    return {StageKind::kIndexBuild,
            {},
            {SlotSpec::Of<DenseIndex>("index")},
            /*plans_device_memory=*/true};
  }

  absl::Status Open(const dense::FaissIndexReadOptions& options) override {
    if (options.path().empty()) return absl::InvalidArgumentError("path is required");
    path_ = options.path();
    return absl::OkStatus();
  }

  // The index file's size stands for the index's bytes on the card and on the host (codes, lists
  // and centroids are what the file holds).
  absl::StatusOr<MemoryEstimate> EstimateMemory(StageContext&) override {
    ASSIGN_OR_RETURN(const int64_t bytes, IndexFileBytes(path_));
    MemoryEstimate estimate;
    estimate.host_bytes = bytes;
    estimate.device_bytes = bytes;
    estimate.temp_bytes = 1024 * 4 * 65536;  // a search tile, as for a built Flat index
    estimate.keeps_device_memory = true;     // the index stays on the GPU for the searches
    return estimate;
  }

  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(IndexFolder folder, ReadIndexFolder(path_));
    DenseIndex placed;
    placed.metric = folder.manifest.metric();
    placed.ids = folder.ids;
    placed.description = folder.manifest.description().empty() ? absl::StrCat("read from ", path_)
                                                               : folder.manifest.description();
    auto& notes = *ctx.report().mutable_notes();
    std::string device = "cpu";
    RETURN_IF_ERROR(ctx.RunPlaced([&](const DeviceLease& placement) {
      return StatusFromCall("placing " + placed.description, [&] {
        std::string cpu_only;
        const FaissLease faiss(placement);
        std::unique_ptr<faiss::Index> index =
            CloneToGpu(*folder.index, placement, faiss, placed.description, &cpu_only);
        if (index == nullptr) index = std::move(folder.index);
        device = RecordPlacement(std::move(index), placement, &faiss, cpu_only, &placed);
        if (!cpu_only.empty()) notes["cpu_only"] = cpu_only;
      });
    }));
    ctx.report().set_device(device);
    notes["index"] =
        absl::StrCat(placed.description, ", ", placed.index->ntotal, " x ", placed.index->d,
                     folder.has_manifest ? ", verified" : ", no manifest (Pyserini)");
    return ctx.SetOutput("index", std::move(placed));
  }

  std::vector<FileUse> Files() const override {
    return {{FileUse::kInputFolder, ResolveUserPath(path_)}};
  }

 private:
  std::string path_;
};
TRAWL_REGISTER_STAGE(FaissIndexReadStage);

}  // namespace trawl
