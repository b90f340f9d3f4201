// DenseIndex: a FAISS index in a pipeline slot, on the CPU or on a GPU, with the metric it was
// built for and the external ids of its rows.
//
// FAISS numbers rows 0..n-1 in insertion order; `ids` maps them back to the corpus's ids.
// An index on the GPU keeps its StandardGpuResources alive: the resources are declared before the
// index so they are destroyed after it. Not thread-safe (FAISS GPU resources are per-thread).
#ifndef TRAWL_STAGES_DENSE_DENSE_INDEX_H_
#define TRAWL_STAGES_DENSE_DENSE_INDEX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "faiss/Index.h"
#include "pipelines/id_table.h"
#include "pipelines/slot.h"
#include "stages/dense/dense_metric.pb.h"

namespace faiss {
namespace gpu {
class StandardGpuResources;
}  // namespace gpu
}  // namespace faiss

struct CUstream_st;

namespace trawl {

struct DenseIndex {
  // The streams of the lease the index was placed on, one per device: FAISS's resources run on
  // them (and their temp memory remembers them), so they live as long as the resources; declared
  // first, destroyed last.
  std::vector<std::shared_ptr<CUstream_st>> streams;
  // One per device the index lives on (several when sharded); empty on the CPU.
  std::vector<std::shared_ptr<faiss::gpu::StandardGpuResources>> faiss_resources;
  std::unique_ptr<faiss::Index> index;
  dense::Metric metric = dense::L2;
  int device = -1;          // first GPU ordinal, or -1 on the CPU
  std::string rung;         // the memory stage's rung that placed it ("full", "cpu", ...)
  IdTable ids;              // the corpus's ids, by FAISS row (empty: row numbers)
  std::string description;  // "Flat", "IVF1024,Flat"

  bool on_gpu() const { return device >= 0; }
};

template <>
struct SlotTraits<DenseIndex> {
  static constexpr char kName[] = "dense_index";
};

}  // namespace trawl

#endif  // TRAWL_STAGES_DENSE_DENSE_INDEX_H_
