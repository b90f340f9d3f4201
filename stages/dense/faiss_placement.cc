#include "stages/dense/faiss_placement.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "faiss/IndexFlat.h"
#include "faiss/IndexIDMap.h"
#include "faiss/IndexIVFFlat.h"
#include "faiss/IndexIVFPQ.h"
#include "faiss/IndexPreTransform.h"
#include "faiss/IndexReplicas.h"
#include "faiss/IndexScalarQuantizer.h"
#include "faiss/IndexShards.h"
#include "faiss/gpu/GpuCloner.h"
#include "faiss/gpu/GpuClonerOptions.h"
#include "faiss/gpu/GpuIndexIVFFlat.h"
#include "faiss/gpu/GpuIndexIVFPQ.h"
#include "faiss/gpu/GpuIndexIVFScalarQuantizer.h"
#include "faiss/gpu/StandardGpuResources.h"
#include "pipelines/status_util.h"
#include "stages/dense/trawl_exact_index.h"

namespace trawl {

bool HasGpuForm(const faiss::Index* index) {
  if (const auto* transformed = dynamic_cast<const faiss::IndexPreTransform*>(index)) {
    return HasGpuForm(transformed->index);
  }
  if (const auto* mapped = dynamic_cast<const faiss::IndexIDMap*>(index)) {
    return HasGpuForm(mapped->index);
  }
  return dynamic_cast<const faiss::IndexFlat*>(index) != nullptr ||
         dynamic_cast<const faiss::IndexIVFFlat*>(index) != nullptr ||
         dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(index) != nullptr ||
         dynamic_cast<const faiss::IndexIVFPQ*>(index) != nullptr;
}

FaissLease::FaissLease(const DeviceLease& lease) {
  if (!lease.on_gpu()) return;
  streams_ = lease.stream_owners;
  for (size_t i = 0; i < lease.devices.size(); ++i) {
    auto resources = std::make_shared<faiss::gpu::StandardGpuResources>();
    // setPinnedMemory only works before initialisation: this object is fresh.
    resources->setPinnedMemory(static_cast<size_t>(lease.pinned_bytes));
    resources->setTempMemory(static_cast<size_t>(lease.temp_bytes));
    if (i < lease.streams.size() && lease.streams[i] != nullptr) {
      resources->setDefaultStream(lease.devices[i], lease.streams[i]);
    }
    resources_.push_back(std::move(resources));
  }
}

std::unique_ptr<faiss::Index> CloneToGpu(const faiss::Index& cpu, const DeviceLease& placement,
                                         const FaissLease& faiss, const std::string& description,
                                         std::string* cpu_only) {
  if (!placement.on_gpu()) return nullptr;
  // Asked first, not tried: FAISS 1.7.3's cloner can throw midway through a type it does not
  // support and leave the resources' temp-memory stack unbalanced (a FAISS_ASSERT abort later).
  if (!HasGpuForm(&cpu)) {
    *cpu_only = absl::StrCat(description, " has no GPU form in FAISS 1.7.3's cloner; on the CPU");
    return nullptr;
  }
  try {
    if (placement.rung == Rung::kSharded) {
      faiss::gpu::GpuMultipleClonerOptions cloner;
      cloner.shard = !placement.replicate;
      cloner.useFloat16 = placement.lossy;
      std::vector<faiss::gpu::GpuResourcesProvider*> resources;
      for (const auto& r : faiss.resources()) resources.push_back(r.get());
      std::vector<int> devices = placement.devices;
      return std::unique_ptr<faiss::Index>(
          faiss::gpu::index_cpu_to_gpu_multiple(resources, devices, &cpu, &cloner));
    }
    faiss::gpu::GpuClonerOptions cloner;
    cloner.useFloat16 = placement.lossy;
    return std::unique_ptr<faiss::Index>(
        faiss::gpu::index_cpu_to_gpu(faiss.at(0), placement.devices[0], &cpu, &cloner));
  } catch (const std::exception& e) {
    if (IsAllocationFailureMessage(e.what())) throw;  // the ladder's business
    *cpu_only =
        absl::StrCat(description, " could not be placed on the GPU (", e.what(), "); on the CPU");
    return nullptr;
  }
}

void ReclaimGpuListMemory(faiss::Index* index) {
  if (auto* shards = dynamic_cast<faiss::IndexShards*>(index)) {
    for (int i = 0; i < shards->count(); ++i) ReclaimGpuListMemory(shards->at(i));
  } else if (auto* replicas = dynamic_cast<faiss::IndexReplicas*>(index)) {
    for (int i = 0; i < replicas->count(); ++i) ReclaimGpuListMemory(replicas->at(i));
  } else if (auto* transformed = dynamic_cast<faiss::IndexPreTransform*>(index)) {
    ReclaimGpuListMemory(transformed->index);
  } else if (auto* mapped = dynamic_cast<faiss::IndexIDMap*>(index)) {
    ReclaimGpuListMemory(mapped->index);
  } else if (auto* flat = dynamic_cast<faiss::gpu::GpuIndexIVFFlat*>(index)) {
    flat->reclaimMemory();
  } else if (auto* pq = dynamic_cast<faiss::gpu::GpuIndexIVFPQ*>(index)) {
    pq->reclaimMemory();
  } else if (auto* sq = dynamic_cast<faiss::gpu::GpuIndexIVFScalarQuantizer*>(index)) {
    sq->reclaimMemory();
  }
}

std::unique_ptr<faiss::Index> IndexToCpu(const faiss::Index& index) {
  if (const auto* trawl = dynamic_cast<const TrawlExactIndex*>(&index)) return trawl->ToCpu();
  return std::unique_ptr<faiss::Index>(faiss::gpu::index_gpu_to_cpu(&index));
}

std::string RecordPlacement(std::unique_ptr<faiss::Index> index, const DeviceLease& placement,
                            const FaissLease* faiss, const std::string& cpu_only,
                            DenseIndex* placed) {
  // Only a complete index leaves the attempt; its resources go with it.
  const bool on_gpu = placement.on_gpu() && cpu_only.empty();
  placed->index = std::move(index);
  if (on_gpu && faiss != nullptr) {
    placed->streams = faiss->streams();  // before the resources: they run on these streams
    placed->faiss_resources = faiss->resources();
  }
  placed->device = on_gpu ? placement.devices[0] : -1;
  placed->rung = on_gpu || placement.emulated ? RungName(placement.rung) : "cpu";
  if (on_gpu) return absl::StrCat("gpu:", placed->device);
  if (placement.emulated && cpu_only.empty()) {  // a simulated GPU: the CPU stands in for the rung
    return absl::StrCat("cpu (emulating ", placed->rung, ")");
  }
  return "cpu";
}

}  // namespace trawl
