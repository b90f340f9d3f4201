// The real ResourcesFactory: a fresh faiss::gpu::StandardGpuResources per device and attempt,
// with the rung's temp memory and pinned buffer. FAISS only allocates them when a device is first
// used (initializeForDevice), so errors surface in the stage's work, as FAISS exceptions.
#ifndef TRAWL_MEMORY_FAISS_RESOURCES_H_
#define TRAWL_MEMORY_FAISS_RESOURCES_H_

#include "memory/memory_stage.h"

namespace trawl {

ResourcesFactory FaissResourcesFactory();

}  // namespace trawl

#endif  // TRAWL_MEMORY_FAISS_RESOURCES_H_
