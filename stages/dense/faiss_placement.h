// Putting a FAISS index where the memory stage's placement says: FAISS's GPU cloner for the types
// it supports (float16 storage and sharding as the rung asks), the CPU otherwise. Shared by the
// stages that bring an index into a run (faiss_index_build, faiss_index_read). Thread-compatible.
#ifndef TRAWL_STAGES_DENSE_FAISS_PLACEMENT_H_
#define TRAWL_STAGES_DENSE_FAISS_PLACEMENT_H_

#include <memory>
#include <string>

#include "faiss/Index.h"
#include "pipelines/placement.h"
#include "stages/dense/dense_index.h"

namespace trawl {

// Whether FAISS 1.7.3's GPU cloner (ToGpuCloner) places this index type: flat and IVF-Flat,
// IVF-SQ and IVF-PQ indexes, also inside pre-transforms (PCA, OPQ) and id maps.
bool HasGpuForm(const faiss::Index* index);

// A copy of `cpu` (empty or filled) on the GPU(s) of `placement`, or null when the index stays on
// the CPU: a CPU rung, a type the cloner cannot place, or a non-allocation failure while cloning
// (then `cpu_only` says why: "HNSW32 has no GPU form ..."). Allocation failures are rethrown:
// they are the memory ladder's to handle.
std::unique_ptr<faiss::Index> CloneToGpu(const faiss::Index& cpu, const DevicePlacement& placement,
                                         const std::string& description, std::string* cpu_only);

// A CPU copy of `index` wherever it lives: FAISS's GPU-to-CPU cloner, or an IndexFlat of a
// TrawlExactIndex's rows. Throws as FAISS does.
std::unique_ptr<faiss::Index> IndexToCpu(const faiss::Index& index);

// Shrinks the inverted lists of GPU IVF indexes (also inside shards, pre-transforms and id maps)
// to their exact size: FAISS grows each list to the next power of two while adding, up to twice
// what the list holds, and keeps that capacity unless asked. Other indexes are left alone.
void ReclaimGpuListMemory(faiss::Index* index);

// Records where `index` ended up in `placed` (index, resources, device, rung) after an attempt on
// `placement`; `cpu_only` is CloneToGpu's reason, if any. Returns the report's device: "gpu:0",
// "cpu", or "cpu (emulating reduced)" on a simulated device.
std::string RecordPlacement(std::unique_ptr<faiss::Index> index, const DevicePlacement& placement,
                            const std::string& cpu_only, DenseIndex* placed);

}  // namespace trawl

#endif  // TRAWL_STAGES_DENSE_FAISS_PLACEMENT_H_
