// Where an INDEX_BUILD or SEARCH stage's device work runs, and the interface of the
// memory-management stage that chooses it (implemented in memory/memory_stage.h).
//
// The runner asks the memory manager to Prepare() before every such stage (plan, host validation,
// temp-memory tier, cleanup); the stage then hands its device work to StageContext::RunPlaced(),
// which calls the manager's RunPlaced(): the work runs on a GpuPlacement and, when it fails with an
// allocation error, runs again on the next rung of the ladder, each on fresh FAISS resources.
// A placement is only valid during the call of the work function that received it.
#ifndef TRAWL_PIPELINES_PLACEMENT_H_
#define TRAWL_PIPELINES_PLACEMENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pipelines/report.pb.h"

namespace faiss {
namespace gpu {
class StandardGpuResources;
}  // namespace gpu
}  // namespace faiss

namespace trawl {

// The rungs of the placement ladder, cheapest last. Persisted in reports by name.
enum class Rung {
  kPlanned,   // planned temp memory + 256 MiB pinned buffer
  kReduced,   // half the temp memory + 64 MiB pinned buffer
  kMinimal,   // 16 MiB temp memory, no pinned buffer
  kFloat16,   // as kMinimal with float16 storage (policy.allow_lossy_storage)
  kSharded,   // split across every visible GPU
  kCpu,       // the CPU (policy.allow_cpu_fallback, or no GPU in use)
  kResident,  // the index already lives on a GPU: reuse its resources
};

// "planned", "reduced", "minimal", "float16", "sharded", "cpu", "resident".
const char* RungName(Rung rung);

struct GpuPlacement {
  Rung rung = Rung::kCpu;
  // One entry per device the work may use (several only for kSharded); empty on the CPU.
  std::vector<int> devices;
  // Fresh resources per device, configured with temp_bytes and pinned_bytes. Null when `emulated`.
  std::vector<std::shared_ptr<faiss::gpu::StandardGpuResources>> resources;
  int64_t temp_bytes = 0;
  int64_t pinned_bytes = 0;
  bool float16 = false;
  // A simulated device stands in for the GPU (CPU-only tests of the ladder): the work runs on the
  // CPU with the rung's storage (float16 where the rung says so) and reports the rung it emulates.
  bool emulated = false;

  bool on_gpu() const { return rung != Rung::kCpu && !emulated; }
};

// What an INDEX_BUILD or SEARCH stage needs, from its options and input shapes (bytes).
struct MemoryEstimate {
  int64_t host_bytes = 0;         // host memory for its data (inputs it copies, outputs)
  int64_t gpu_bytes = 0;          // device memory at full precision (0: no device work)
  int64_t gpu_bytes_float16 = 0;  // the same with float16 storage; 0 when not possible
  int64_t temp_bytes = 0;         // scratch it would use, for sizing temp memory in auto mode
  bool shardable = false;         // whether the data can be split across GPUs
  int resident_device = -1;       // >= 0 when the stage works on an index already on that GPU
};

using PlacedWork = std::function<absl::Status(const GpuPlacement&)>;

class MemoryManager {
 public:
  virtual ~MemoryManager() = default;

  // Before any stage runs: fails (ResourceExhausted, with the numbers) when the host has less
  // memory available than the policy's minimum.
  virtual absl::Status Preflight() = 0;

  // Steps 1-4 for the next stage: plan the ladder, validate host memory, choose the temp tier,
  // clean up. Records its decisions in `decision`. ResourceExhausted (with the numbers) when the
  // stage cannot fit anywhere the policy allows; nothing has run then.
  virtual absl::Status Prepare(const MemoryEstimate& estimate, MemoryDecision& decision) = 0;

  // Free memory of `device` now, in bytes; -1 when it cannot be read. For the report's
  // before/after figures around every INDEX_BUILD and SEARCH stage.
  virtual int64_t FreeDeviceBytes(int device) = 0;

  // Step 5: runs `work` on the prepared ladder's rungs in order until it succeeds or fails with
  // an error that is not an allocation failure. Every attempt is recorded in `decision`.
  virtual absl::Status RunPlaced(const PlacedWork& work, MemoryDecision& decision) = 0;
};

}  // namespace trawl

#endif  // TRAWL_PIPELINES_PLACEMENT_H_
