#include "stages/dense/search_parameters.h"

#include <utility>

#include "absl/status/status.h"
#include "faiss/AutoTune.h"
#include "faiss/IndexHNSW.h"
#include "faiss/IndexIDMap.h"
#include "faiss/IndexIVF.h"
#include "faiss/IndexIVFPQ.h"
#include "faiss/IndexIVFPQR.h"
#include "faiss/IndexPQ.h"
#include "faiss/IndexPreTransform.h"
#include "faiss/IndexRefine.h"
#include "faiss/gpu/GpuAutoTune.h"
#include "faiss/gpu/GpuIndexIVF.h"
#include "faiss/gpu/GpuIndexIVFPQ.h"
#include "faiss/impl/ThreadedIndex.h"
#include "pipelines/status_util.h"

namespace trawl {
namespace {

// Keeps the current value of `*field` and a way to put it back.
template <typename T>
void Keep(T* field, std::vector<std::function<void()>>& restore) {
  restore.push_back([field, value = *field] { *field = value; });
}

// Records every search-time field of `index` and the indexes inside it.
void Record(faiss::Index* index, std::vector<std::function<void()>>& restore) {
  if (index == nullptr) return;
  Keep(&index->verbose, restore);
  if (auto* id_map = dynamic_cast<faiss::IndexIDMap*>(index)) return Record(id_map->index, restore);
  if (auto* transform = dynamic_cast<faiss::IndexPreTransform*>(index)) {
    return Record(transform->index, restore);
  }
  if (auto* threaded = dynamic_cast<faiss::ThreadedIndex<faiss::Index>*>(index)) {
    for (int i = 0; i < threaded->count(); ++i) Record(threaded->at(i), restore);
    return;
  }
  if (auto* refine = dynamic_cast<faiss::IndexRefine*>(index)) {
    Keep(&refine->k_factor, restore);
    return Record(refine->base_index, restore);
  }
  if (auto* gpu_ivf = dynamic_cast<faiss::gpu::GpuIndexIVF*>(index)) {
    const int nprobe = gpu_ivf->getNumProbes();
    restore.push_back([gpu_ivf, nprobe] { gpu_ivf->setNumProbes(nprobe); });
    if (auto* gpu_pq = dynamic_cast<faiss::gpu::GpuIndexIVFPQ*>(index)) {
      const bool precomputed = gpu_pq->getPrecomputedCodes();
      restore.push_back([gpu_pq, precomputed] { gpu_pq->setPrecomputedCodes(precomputed); });
    }
    return;
  }
  if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(index)) {
    Keep(&ivf->nprobe, restore);
    Keep(&ivf->max_codes, restore);
    if (auto* ivfpq = dynamic_cast<faiss::IndexIVFPQ*>(index)) Keep(&ivfpq->polysemous_ht, restore);
    if (auto* ivfpqr = dynamic_cast<faiss::IndexIVFPQR*>(index)) Keep(&ivfpqr->k_factor, restore);
    return Record(ivf->quantizer, restore);
  }
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index)) {
    Keep(&hnsw->hnsw.efSearch, restore);
    Keep(&hnsw->hnsw.efConstruction, restore);
    return;
  }
  if (auto* pq = dynamic_cast<faiss::IndexPQ*>(index)) {
    Keep(&pq->search_type, restore);
    Keep(&pq->polysemous_ht, restore);
  }
}

// nprobe on every IVF index of the tree, GPU or CPU, also inside shards, replicas, pre-transforms
// ("OPQ16,IVF256,PQ16") and id maps; other indexes have none.
void SetNprobe(faiss::Index* index, int nprobe) {
  if (index == nullptr) return;
  if (auto* gpu_ivf = dynamic_cast<faiss::gpu::GpuIndexIVF*>(index)) {
    gpu_ivf->setNumProbes(nprobe);
  } else if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(index)) {
    ivf->nprobe = nprobe;
  } else if (auto* threaded = dynamic_cast<faiss::ThreadedIndex<faiss::Index>*>(index)) {
    for (int i = 0; i < threaded->count(); ++i) SetNprobe(threaded->at(i), nprobe);
  } else if (auto* id_map = dynamic_cast<faiss::IndexIDMap*>(index)) {
    SetNprobe(id_map->index, nprobe);
  } else if (auto* transform = dynamic_cast<faiss::IndexPreTransform*>(index)) {
    SetNprobe(transform->index, nprobe);
  } else if (auto* refine = dynamic_cast<faiss::IndexRefine*>(index)) {
    SetNprobe(refine->base_index, nprobe);
  }
}

}  // namespace

absl::StatusOr<ScopedSearchParameters> ScopedSearchParameters::Apply(faiss::Index* index,
                                                                     int nprobe,
                                                                     const std::string& params,
                                                                     bool gpu) {
  ScopedSearchParameters scoped;
  Record(index, scoped.restore_);
  if (nprobe > 0) SetNprobe(index, nprobe);
  if (!params.empty()) {
    absl::Status set = StatusFromCall("setting search parameters '" + params + "'", [&] {
      if (gpu) {
        faiss::gpu::GpuParameterSpace().set_index_parameters(index, params.c_str());
      } else {
        faiss::ParameterSpace().set_index_parameters(index, params.c_str());
      }
    });
    if (!set.ok()) return absl::InvalidArgumentError(set.message());  // scoped restores
  }
  return scoped;
}

ScopedSearchParameters::ScopedSearchParameters(ScopedSearchParameters&& other) noexcept
    : restore_(std::move(other.restore_)) {
  other.restore_.clear();
}

ScopedSearchParameters::~ScopedSearchParameters() { Restore(); }

void ScopedSearchParameters::Restore() {
  for (auto it = restore_.rbegin(); it != restore_.rend(); ++it) (*it)();
  restore_.clear();
}

}  // namespace trawl
