#include "memory/faiss_resources.h"

#include <memory>

#include "faiss/gpu/StandardGpuResources.h"

namespace trawl {

ResourcesFactory FaissResourcesFactory() {
  return [](int device, int64_t temp_bytes, int64_t pinned_bytes) {
    (void)device;  // FAISS sizes per device at initialisation; one object serves any device
    auto resources = std::make_shared<faiss::gpu::StandardGpuResources>();
    // setPinnedMemory only works before initialisation: this object is fresh.
    resources->setPinnedMemory(static_cast<size_t>(pinned_bytes));
    resources->setTempMemory(static_cast<size_t>(temp_bytes));
    return resources;
  };
}

}  // namespace trawl
