// Where a stage's device work runs — the lease the memory-management stage hands it — and the
// interface of that stage (implemented in memory/memory_stage.h). Any GPU stage uses it; nothing
// here knows FAISS (the dense family's adapter, stages/dense/faiss_placement.h, turns a lease into
// StandardGpuResources).
//
// Before every INDEX_BUILD and SEARCH stage RunStage asks the memory manager to validate the host
// (ValidateHost) or, for a stage whose contract sets plans_device_memory on a run with a GPU, to
// Prepare() from the stage's MemoryEstimate (its bytes per rung); the stage then hands its device
// work to StageContext::RunPlaced(), which calls the manager's RunPlaced(): the work runs on a
// DeviceLease — devices, one stream each, a byte budget, the rung — and, when it fails with an
// allocation error (ResourceExhausted), runs again on the next rung of the ladder. The work runs
// its kernels and copies on the lease's streams, and allocates the device memory of Trawl's own
// kernels through the lease's allocator, which enforces the budget. A lease is only valid during
// the call of the work function that received it: its allocations end with it, and its streams
// too unless an output keeps them (stream_owners: an index whose library remembers the stream it
// was built on, as FAISS's temp memory does, keeps it as long as it lives).
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

struct CUstream_st;  // cudaStream_t is CUstream_st*; declared here so no CUDA header is needed

namespace trawl {

// The rungs of the placement ladder, cheapest last. Persisted in reports by name.
enum class Rung {
  kFull,      // the stage's full plan: planned temp memory + 256 MiB pinned buffer
  kReduced,   // half the temp memory + 64 MiB pinned buffer, the stage's reduced working set
  kMinimal,   // 16 MiB temp memory, no pinned buffer
  kLossy,     // as kMinimal with reduced-precision (float16) storage (policy.allow_lossy_storage)
  kSharded,   // the data split across every visible GPU
  kCpu,       // the CPU (policy.allow_cpu_fallback, or no GPU in use)
  kResident,  // the data already lives on a GPU: reuse it
};

// "full", "reduced", "minimal", "lossy", "sharded", "cpu", "resident".
const char* RungName(Rung rung);

// Device memory for the kernels of Trawl's own GPU stages, within a lease's budget (FAISS
// allocates through its own resources, sized by the lease). One per attempt, shared by the threads
// of a sharded rung: implementations are thread-safe. (The sparse scorer allocates through it; the
// exact engine does not yet.)
class DeviceAllocator {
 public:
  virtual ~DeviceAllocator() = default;
  // `bytes` on `device` (one of the lease's). ResourceExhausted — the ladder's cue to try the
  // next rung — when the attempt's allocations on that device would exceed the lease's
  // budget_bytes, or when the device itself has no memory left (the runtime's message). The
  // caller frees what it allocates; what is still allocated when the attempt ends is freed then.
  virtual absl::StatusOr<void*> Allocate(int device, int64_t bytes) = 0;
  virtual void Free(int device, void* pointer) = 0;
  // Bytes the attempt holds on `device` now.
  virtual int64_t allocated_bytes(int device) const = 0;
};

struct DeviceLease {
  Rung rung = Rung::kCpu;
  // One entry per device the work may use (several only for kSharded); empty on the CPU.
  std::vector<int> devices;
  // One stream per device, created for this attempt; the work runs its kernels and copies on it.
  // Null entries (emulated devices) mean the default stream.
  std::vector<CUstream_st*> streams;
  // The same streams, shared: a value that outlives the attempt and keeps using its stream holds
  // its entry (the stream is destroyed when the last holder lets go, after a synchronize).
  std::vector<std::shared_ptr<CUstream_st>> stream_owners;
  // Device memory the work may allocate on each device, data and scratch together.
  int64_t budget_bytes = 0;
  int64_t temp_bytes = 0;    // of budget_bytes, scratch (FAISS temp memory, tile buffers)
  int64_t pinned_bytes = 0;  // pinned host staging buffer the work may use
  bool lossy = false;        // store data in reduced precision (float16)
  // kSharded only: every device holds all the data (replicas) instead of a part of it (shards).
  bool replicate = false;
  // A simulated device stands in for the GPU (CPU-only tests of the ladder): the work runs on the
  // CPU with the rung's storage (lossy where the rung says so) and reports the rung it emulates.
  bool emulated = false;
  // Device memory for Trawl's own kernels, within budget_bytes per device (also on an emulated
  // device, where it only counts). Null on the CPU rung.
  DeviceAllocator* allocator = nullptr;

  bool on_gpu() const { return rung != Rung::kCpu && !emulated; }
};

// A stage's memory needs, from its options and input shapes (bytes), per rung of the ladder.
struct MemoryEstimate {
  int64_t host_bytes = 0;  // host memory for its data (inputs it copies, outputs)
  // What host_bytes is made of, for the message when the host cannot hold it ("results: 10,000
  // queries x k 2,000,000,000 x 12 bytes").
  std::string host_detail;
  // Device memory per device on the full rung (0: no device work).
  int64_t device_bytes = 0;
  // On the reduced and minimal rungs (a stage that tiles its work states its smaller working set
  // here); 0: the same as device_bytes.
  int64_t reduced_device_bytes = 0;
  // With lossy (float16) storage; 0: the stage has no lossy form.
  int64_t lossy_device_bytes = 0;
  // Whether the data can be split across GPUs (device_bytes / GPUs each, rounded up).
  bool shardable = false;
  int64_t temp_bytes = 0;    // scratch it would use, for sizing temp memory in AUTO_SIZE mode
  int resident_device = -1;  // >= 0 when the stage works on data already on that GPU
  // Devices the stage's options ask it to spread over (FAISS's `gpus`): 0 leaves it to the plan
  // (one GPU; shards across all when one cannot hold the data); N >= 2 puts the sharded rung,
  // over the first N GPUs (all visible when fewer), first — as shards only when `shardable`.
  // `replicate`: copies, not shards.
  int spread_over = 0;
  bool replicate = false;
  // The stage's output holds its device memory after the stage ends (a built or read index): the
  // host's ledger keeps its reservation until the run ends instead of releasing it with the stage.
  bool keeps_device_memory = false;
};

using PlacedWork = std::function<absl::Status(const DeviceLease&)>;

class MemoryManager {
 public:
  virtual ~MemoryManager() = default;

  // Before any stage runs: fails (ResourceExhausted, with the numbers) when the host has less
  // memory available than the policy's minimum.
  virtual absl::Status Preflight() = 0;

  // Host validation alone, for a stage with no device work (or a run without a GPU):
  // ResourceExhausted, with the numbers and the estimate's host_detail, when the host cannot hold
  // the stage's data. Records the host figures in `decision`.
  virtual absl::Status ValidateHost(const MemoryEstimate& estimate, MemoryDecision& decision) = 0;

  // Everything before the next stage runs: host validation, pinned buffer, cleanup, temp tier,
  // the planned ladder (memory/memory_stage.h says in which order). Records its decisions in
  // `decision`. ResourceExhausted (with the numbers) when the
  // stage cannot fit anywhere the policy allows; nothing has run then.
  virtual absl::Status Prepare(const MemoryEstimate& estimate, MemoryDecision& decision) = 0;

  // Free memory of `device` now, in bytes; -1 when it cannot be read. For the report's
  // before/after figures around every stage that plans device memory.
  virtual int64_t FreeDeviceBytes(int device) = 0;

  // Runs `work` on the prepared ladder's rungs in order until it succeeds or fails with
  // an error that is not an allocation failure. Every attempt is recorded in `decision`.
  virtual absl::Status RunPlaced(const PlacedWork& work, MemoryDecision& decision) = 0;
};

}  // namespace trawl

#endif  // TRAWL_PIPELINES_PLACEMENT_H_
