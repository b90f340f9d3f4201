// The dense family's adapter from the memory stage's lease (pipelines/placement.h) to FAISS:
// FaissLease turns a lease into StandardGpuResources bound to the lease's streams, and the
// functions below put an index where the lease says — FAISS's GPU cloner for the types it supports
// (float16 storage and sharding as the rung asks), the CPU otherwise. Shared by the stages that
// bring an index into a run (faiss_index_build, faiss_index_read) and those that search one on
// the GPU (faiss_search, exact_knn). Thread-compatible.
#ifndef TRAWL_STAGES_DENSE_FAISS_PLACEMENT_H_
#define TRAWL_STAGES_DENSE_FAISS_PLACEMENT_H_

#include <memory>
#include <string>
#include <vector>

#include "faiss/Index.h"
#include "pipelines/placement.h"
#include "stages/dense/dense_index.h"

namespace faiss {
namespace gpu {
class StandardGpuResources;
}  // namespace gpu
}  // namespace faiss

namespace trawl {

// FAISS's resources for one lease: per device of the lease a StandardGpuResources sized by the
// lease (setTempMemory, setPinnedMemory) whose default stream is the lease's stream for that device
// (setDefaultStream), so FAISS's kernels and copies run on it. FAISS 1.7.3's temp memory remembers
// the stream of every allocation, so the resources must never outlive that stream: FaissLease
// holds the lease's streams, and an index that keeps the resources keeps the streams with them
// (RecordPlacement puts both in DenseIndex). A later search of that index runs on the stream the
// index was placed on. Empty on the CPU rung and on an emulated device.
//
//   FaissLease faiss(lease);  // fresh resources, sized by the lease, on its streams
//   auto index = std::make_unique<faiss::gpu::GpuIndexFlat>(faiss.at(0), dim, metric, config);
class FaissLease {
 public:
  // FAISS allocates the temp memory and pinned buffer when a device is first used, so allocation
  // failures surface in the work, as FAISS exceptions.
  explicit FaissLease(const DeviceLease& lease);
  FaissLease(const FaissLease&) = delete;
  FaissLease& operator=(const FaissLease&) = delete;

  bool empty() const { return resources_.empty(); }
  // The resources of the lease's i-th device; not owned.
  faiss::gpu::StandardGpuResources* at(size_t i) const { return resources_.at(i).get(); }
  // All of them, for an index that keeps its resources (DenseIndex::faiss_resources), and the
  // streams they run on, which must outlive them (DenseIndex::streams).
  const std::vector<std::shared_ptr<faiss::gpu::StandardGpuResources>>& resources() const {
    return resources_;
  }
  const std::vector<std::shared_ptr<CUstream_st>>& streams() const { return streams_; }

 private:
  std::vector<std::shared_ptr<CUstream_st>> streams_;  // first: destroyed after the resources
  std::vector<std::shared_ptr<faiss::gpu::StandardGpuResources>> resources_;
};

// Whether FAISS 1.7.3's GPU cloner (ToGpuCloner) places this index type: flat and IVF-Flat,
// IVF-SQ and IVF-PQ indexes, also inside pre-transforms (PCA, OPQ) and id maps.
bool HasGpuForm(const faiss::Index* index);

// A copy of `cpu` (empty or filled) on the GPU(s) of `lease`, with `faiss`'s resources, or null
// when the index stays on the CPU: a CPU rung, a type the cloner cannot place, or a non-allocation
// failure while cloning (then `cpu_only` says why: "HNSW32 has no GPU form ..."). Allocation
// failures are rethrown: they are the memory ladder's to handle.
std::unique_ptr<faiss::Index> CloneToGpu(const faiss::Index& cpu, const DeviceLease& lease,
                                         const FaissLease& faiss, const std::string& description,
                                         std::string* cpu_only);

// A CPU copy of `index` wherever it lives: FAISS's GPU-to-CPU cloner, or an IndexFlat of a
// TrawlExactIndex's rows. Throws as FAISS does.
std::unique_ptr<faiss::Index> IndexToCpu(const faiss::Index& index);

// Shrinks the inverted lists of GPU IVF indexes (also inside shards, pre-transforms and id maps)
// to their exact size: FAISS grows each list to the next power of two while adding, up to twice
// what the list holds, and keeps that capacity unless asked. Other indexes are left alone.
void ReclaimGpuListMemory(faiss::Index* index);

// Records where `index` ended up in `placed` (index, resources, device, rung) after an attempt on
// `lease`; `faiss` holds the resources a GPU index keeps (may be null for an index with its own:
// engine TRAWL); `cpu_only` is CloneToGpu's reason, if any. Returns the report's device: "gpu:0",
// "cpu", or "cpu (emulating reduced)" on a simulated device.
std::string RecordPlacement(std::unique_ptr<faiss::Index> index, const DeviceLease& lease,
                            const FaissLease* faiss, const std::string& cpu_only,
                            DenseIndex* placed);

}  // namespace trawl

#endif  // TRAWL_STAGES_DENSE_FAISS_PLACEMENT_H_
