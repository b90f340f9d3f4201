// The stage interface: one small class per pipeline step, MediaPipe-calculator style.
//
// Lifecycle, driven by the runner (pipelines/runner.h):
//   1. Contract()  static; the stage's kind and its named, typed input and output slots. The loader
//                  checks every config against it before anything runs.
//   2. Open(options)  once, before any stage of the pipeline runs; reads the options into members
//                  and rejects bad values (InvalidArgument naming the field). A failure here stops
//                  the pipeline before any work.
//   3. EstimateMemory(ctx)  INDEX_BUILD and SEARCH stages only, right before Run, with the inputs
//                  available; the memory-management stage plans from it (RunStage below).
//   4. Run(ctx)    does the work: reads inputs, sets every declared output. INDEX_BUILD and
//                  SEARCH stages hand their device work to ctx.RunPlaced(), which runs it on the
//                  memory stage's ladder. A failure stops the pipeline; the report keeps what
//                  earlier stages computed.
//
// A stage never lets an exception escape: FAISS's faiss::FaissException and CUDA error codes are
// converted to absl::Status at the stage boundary (pipelines/status_util.h), keeping the original
// message. Stage objects are used from one thread.
//
// Defining a stage (see README.md, "Adding a stage"):
//
//   class CopyStage : public Stage<CopyOptions> {
//    public:
//     static constexpr char kType[] = "copy";
//     static StageContract Contract() {
//       return {StageKind::kTransform, {{"in", SlotType::kDenseMatrix}},
//               {{"out", SlotType::kDenseMatrix}}};
//     }
//     absl::Status Run(StageContext& ctx) override;
//   };
//   TRAWL_REGISTER_STAGE(CopyStage);  // in the .cc; its cc_library has alwayslink = 1
#ifndef TRAWL_PIPELINES_STAGE_H_
#define TRAWL_PIPELINES_STAGE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "pipelines/gpu_environment.h"
#include "pipelines/pipeline.pb.h"
#include "pipelines/placement.h"
#include "pipelines/report.pb.h"
#include "pipelines/slot.h"

namespace trawl {

enum class StageKind { kSource, kIndexBuild, kSearch, kTransform, kEval, kSink };

// "SOURCE", "INDEX_BUILD", ...
absl::string_view StageKindName(StageKind kind);

struct SlotSpec {
  std::string name;
  SlotType type;
};

struct StageContract {
  StageKind kind = StageKind::kTransform;
  std::vector<SlotSpec> inputs;
  std::vector<SlotSpec> outputs;

  // Whether the memory-management stage runs before this stage (INDEX_BUILD and SEARCH).
  bool NeedsMemoryPlanning() const {
    return kind == StageKind::kIndexBuild || kind == StageKind::kSearch;
  }
};

// What the whole run knows about the machine and policy; shared by all stages.
struct RunEnvironment {
  MemoryPolicy policy;
  GpuEnvironment gpu;
  // The memory-management stage; null runs device work on the CPU without planning.
  MemoryManager* memory = nullptr;  // not owned

  // Whether GPU-capable stages should place their work on the GPU.
  bool UseGpu() const { return policy.device() != MemoryPolicy::CPU && gpu.usable(); }
};

// A stage's view of the pipeline while it runs: its bound inputs and outputs, the environment,
// and its own report entry.
class StageContext {
 public:
  // `slots` (the pipeline's values by pipeline-wide name) and `report` must outlive the context.
  StageContext(std::string stage_name, absl::flat_hash_map<std::string, std::string> inputs,
               absl::flat_hash_map<std::string, std::string> outputs,
               absl::flat_hash_map<std::string, SlotValue>* slots, const RunEnvironment* env,
               StageReport* report)
      : stage_name_(std::move(stage_name)),
        inputs_(std::move(inputs)),
        outputs_(std::move(outputs)),
        slots_(slots),
        env_(env),
        report_(report) {}

  // The value bound to input `slot`. FailedPrecondition when the slot is unbound or empty,
  // InvalidArgument when it holds another type. The pipeline owns the value.
  template <typename T>
  absl::StatusOr<T*> Input(absl::string_view slot) const {
    absl::StatusOr<SlotValue*> value = Lookup(slot);
    if (!value.ok()) return value.status();
    T* typed = (*value)->As<T>();
    if (typed == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("stage '", stage_name_, "': input '", slot,
                                                     "' expected ", SlotTypeName(SlotTraits<T>::kType),
                                                     ", found ", SlotTypeName((*value)->type())));
    }
    return typed;
  }

  // Moves `value` into output `slot`. An output the config leaves unbound is dropped: nothing
  // downstream can read it. Always OK; the status leaves room for checks without changing callers.
  template <typename T>
  absl::Status SetOutput(absl::string_view slot, T value) {
    auto it = outputs_.find(slot);
    if (it == outputs_.end()) return absl::OkStatus();
    (*slots_)[it->second] = SlotValue::Of(std::move(value));
    return absl::OkStatus();
  }

  // Runs the stage's device work where the memory-management stage places it (see
  // pipelines/placement.h): on the ladder's rungs in order, or on the CPU when the run uses no GPU.
  // Returns the work's own status; attempts and the final rung go into the stage's report.
  absl::Status RunPlaced(const PlacedWork& work);

  // Whether output `slot` is bound in the config (optional outputs may be skipped when not).
  bool HasOutput(absl::string_view slot) const { return outputs_.contains(slot); }

  const std::string& stage_name() const { return stage_name_; }
  const RunEnvironment& env() const { return *env_; }
  StageReport& report() { return *report_; }

 private:
  absl::StatusOr<SlotValue*> Lookup(absl::string_view slot) const;

  std::string stage_name_;
  absl::flat_hash_map<std::string, std::string> inputs_;   // stage slot -> pipeline slot
  absl::flat_hash_map<std::string, std::string> outputs_;  // stage slot -> pipeline slot
  absl::flat_hash_map<std::string, SlotValue>* slots_;     // not owned
  const RunEnvironment* env_;                              // not owned
  StageReport* report_;                                    // not owned
};

// The untyped base the registry and runner hold. Stages derive from Stage<Options> below.
class StageBase {
 public:
  virtual ~StageBase() = default;

  // `options` is the stage's own options message (already unpacked from the config's Any).
  virtual absl::Status OpenWithOptions(const google::protobuf::Message& options) = 0;

  // INDEX_BUILD and SEARCH stages override this; the default says "no device memory".
  virtual absl::StatusOr<MemoryEstimate> EstimateMemory(StageContext& ctx) {
    (void)ctx;
    return MemoryEstimate{};
  }

  virtual absl::Status Run(StageContext& ctx) = 0;
};

// Base for a stage whose options message is OptionsT (a generated proto message).
template <typename OptionsT>
class Stage : public StageBase {
 public:
  using Options = OptionsT;

  // Reads and checks the options. The default accepts any value.
  virtual absl::Status Open(const Options& options) {
    (void)options;
    return absl::OkStatus();
  }

 private:
  absl::Status OpenWithOptions(const google::protobuf::Message& options) final {
    // The registry only hands a stage messages of its registered options type.
    return Open(static_cast<const Options&>(options));
  }
};

// Runs one opened stage the way every pipeline does: for INDEX_BUILD and SEARCH stages, first
// EstimateMemory and, when the run uses a GPU, the memory-management stage's Prepare (its
// decisions go into ctx.report().memory()); then Run. `estimate` (optional) receives the estimate.
absl::Status RunStage(StageBase& stage, const StageContract& contract, StageContext& ctx,
                      MemoryEstimate* estimate = nullptr);

}  // namespace trawl

#endif  // TRAWL_PIPELINES_STAGE_H_
