// The stage interface: one small class per pipeline step, MediaPipe-calculator style.
//
// Lifecycle, driven by the runner (pipelines/runner.h):
//   1. Contract()  static; the stage's kind, its named, typed input and output slots and whether
//                  the memory stage plans it. The loader checks every config against it before
//                  anything runs. A stage whose slots depend on its options (an input used only
//                  when an option is set) defines `static StageContract Contract(const Options&)`
//                  instead; `trawl stages` shows it for the default options.
//   2. Open(options)  once, before any stage of the pipeline runs; reads the options into members
//                  and rejects bad values (InvalidArgument naming the field). A failure here stops
//                  the pipeline before any work.
//   3. EstimateMemory(ctx)  INDEX_BUILD and SEARCH stages (and any that plans device memory),
//                  right before Run, with the inputs available; the memory-management stage
//                  validates the host and plans the device from it (RunStage below).
//   4. Run(ctx)    does the work: reads inputs, sets every declared output. Stages that plan
//                  device memory hand their device work to ctx.RunPlaced(), which runs it on the
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
//       return {StageKind::kTransform, {SlotSpec::Of<DenseMatrix>("in")},
//               {SlotSpec::Of<DenseMatrix>("out")}};
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
#include "absl/container/flat_hash_set.h"
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

// One named, typed slot of a contract. Inputs may be optional (unbound unless the config binds
// them) or lists (bound to one or more values, in order, by repeating the binding:
// `input: "runs:dense" input: "runs:sparse"`).
struct SlotSpec {
  std::string name;
  SlotType type;
  bool optional = false;  // inputs only: may be left unbound
  bool list = false;      // inputs only: takes one or more values

  template <typename T>
  static SlotSpec Of(std::string name) {
    return SlotSpec{std::move(name), SlotType::Of<T>()};
  }
  template <typename T>
  static SlotSpec OptionalOf(std::string name) {
    return SlotSpec{std::move(name), SlotType::Of<T>(), /*optional=*/true};
  }
  template <typename T>
  static SlotSpec ListOf(std::string name) {
    return SlotSpec{std::move(name), SlotType::Of<T>(), /*optional=*/false, /*list=*/true};
  }
};

// A stage's slot -> the pipeline slots bound to it, in binding order (one, except list inputs).
using SlotBindings = absl::flat_hash_map<std::string, std::vector<std::string>>;

struct StageContract {
  StageKind kind = StageKind::kTransform;
  std::vector<SlotSpec> inputs;
  std::vector<SlotSpec> outputs;
  // Whether the stage has device work for the memory-management stage to plan and place: its
  // Prepare runs before the stage (RunStage below) from the stage's EstimateMemory, and
  // ctx.RunPlaced() runs the work down its ladder. (Every INDEX_BUILD and SEARCH stage gets the
  // memory stage's host validation, device work or not.)
  bool plans_device_memory = false;
};

// What the whole run knows about the machine; shared by all stages. The memory policy lives in
// the memory-management stage alone.
struct RunEnvironment {
  GpuEnvironment gpu;
  // The memory-management stage; null runs device work on the CPU without planning.
  MemoryManager* memory = nullptr;  // not owned

  // Whether stages that plan device memory place their work on the GPU.
  bool UseGpu() const { return memory != nullptr && gpu.usable(); }
};

// A stage's view of the pipeline while it runs: its bound inputs and outputs, the environment,
// and its own report entry.
class StageContext {
 public:
  // `slots` (the pipeline's values by pipeline-wide name) and `report` must outlive the context.
  StageContext(std::string stage_name, SlotBindings inputs, SlotBindings outputs,
               absl::flat_hash_map<std::string, SlotValue>* slots, const RunEnvironment* env,
               StageReport* report)
      : stage_name_(std::move(stage_name)),
        inputs_(std::move(inputs)),
        outputs_(std::move(outputs)),
        slots_(slots),
        env_(env),
        report_(report) {}

  // The value bound to input `slot` (the first, for a list), read-only: other stages may read the
  // same value (MediaPipe's packets; ConsumableInput below is the one way to change one).
  // FailedPrecondition when the slot is unbound or empty, InvalidArgument when it holds another
  // type. The pipeline owns the value.
  template <typename T>
  absl::StatusOr<const T*> Input(absl::string_view slot) const {
    absl::StatusOr<std::vector<SlotValue*>> values = Lookup(slot);
    if (!values.ok()) return values.status();
    absl::StatusOr<T*> typed = Typed<T>(slot, *values->front());
    if (!typed.ok()) return typed.status();
    return *typed;
  }

  // Every value bound to list input `slot`, in binding order, read-only.
  template <typename T>
  absl::StatusOr<std::vector<const T*>> Inputs(absl::string_view slot) const {
    absl::StatusOr<std::vector<SlotValue*>> values = Lookup(slot);
    if (!values.ok()) return values.status();
    std::vector<const T*> typed;
    for (SlotValue* value : *values) {
      absl::StatusOr<T*> one = Typed<T>(slot, *value);
      if (!one.ok()) return one.status();
      typed.push_back(*one);
    }
    return typed;
  }

  // Whether input `slot` is bound in the config (optional inputs may be left unbound).
  bool HasInput(absl::string_view slot) const { return inputs_.contains(slot); }

  // The value of input `slot` for this stage to consume — change or destroy in place — or null
  // when anything else may still see it: a later stage reads it, the caller keeps it, or another
  // handle shares it. Stages use it to save memory (an index build releasing the corpus while
  // it copies it), never to change what another stage sees.
  template <typename T>
  T* ConsumableInput(absl::string_view slot) const {
    auto it = inputs_.find(slot);
    if (it == inputs_.end() || it->second.size() != 1 || !last_reads_.contains(it->second[0])) {
      return nullptr;
    }
    auto value = slots_->find(it->second[0]);
    if (value == slots_->end() || !value->second.sole_owner()) return nullptr;
    return value->second.As<T>();
  }

  // The pipeline slots this stage is the last to read (and nobody keeps): ConsumableInput's.
  void set_last_reads(absl::flat_hash_set<std::string> slots) { last_reads_ = std::move(slots); }

  // Moves `value` into output `slot`. An output the config leaves unbound is dropped: nothing
  // downstream can read it. Always OK; the status leaves room for checks without changing callers.
  template <typename T>
  absl::Status SetOutput(absl::string_view slot, T value) {
    auto it = outputs_.find(slot);
    if (it == outputs_.end()) return absl::OkStatus();
    (*slots_)[it->second.front()] = SlotValue::Of(std::move(value));
    return absl::OkStatus();
  }

  // Runs the stage's device work where the memory-management stage places it (see
  // pipelines/placement.h): on the ladder's rungs in order, or on the CPU when the run uses no GPU.
  // Returns the work's own status; attempts and the final rung go into the stage's report.
  absl::Status RunPlaced(const PlacedWork& work);

  // Set by RunStage once the memory stage has prepared this stage's ladder.
  void set_memory_prepared(bool prepared) { memory_prepared_ = prepared; }

  // Whether output `slot` is bound in the config (optional outputs may be skipped when not).
  bool HasOutput(absl::string_view slot) const { return outputs_.contains(slot); }

  const std::string& stage_name() const { return stage_name_; }
  const RunEnvironment& env() const { return *env_; }
  StageReport& report() { return *report_; }

 private:
  // The values bound to `slot`, at least one.
  absl::StatusOr<std::vector<SlotValue*>> Lookup(absl::string_view slot) const;

  template <typename T>
  absl::StatusOr<T*> Typed(absl::string_view slot, const SlotValue& value) const {
    T* typed = value.As<T>();
    if (typed == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("stage '", stage_name_, "': input '", slot,
                                                     "' expected ", SlotType::Of<T>().name(),
                                                     ", found ", value.type().name()));
    }
    return typed;
  }

  std::string stage_name_;
  SlotBindings inputs_;
  SlotBindings outputs_;
  bool memory_prepared_ = false;
  absl::flat_hash_set<std::string> last_reads_;
  absl::flat_hash_map<std::string, SlotValue>* slots_;  // not owned
  const RunEnvironment* env_;                           // not owned
  StageReport* report_;                                 // not owned
};

// A file or folder a stage reads or writes, named by its options. The runner checks every output
// against every input, the config and what is at the path before any stage runs, and the report
// lists each output once its stage has written it.
struct FileUse {
  enum Kind { kInputFile, kInputFolder, kOutputFile, kOutputFolder };
  Kind kind;
  std::string path;  // resolved as a user path (ResolveUserPath)

  bool output() const { return kind == kOutputFile || kind == kOutputFolder; }
};

// The untyped base the registry and runner hold. Stages derive from Stage<Options> below.
class StageBase {
 public:
  virtual ~StageBase() = default;

  // `options` is the stage's own options message (already unpacked from the config's Any).
  virtual absl::Status OpenWithOptions(const google::protobuf::Message& options) = 0;

  // INDEX_BUILD and SEARCH stages (and any that plans device memory) override this: host_bytes
  // for the memory stage's host validation, device bytes per rung for its ladder. The default says
  // "none".
  virtual absl::StatusOr<MemoryEstimate> EstimateMemory(StageContext& ctx) {
    (void)ctx;
    return MemoryEstimate{};
  }

  virtual absl::Status Run(StageContext& ctx) = 0;

  // After a successful Open: the files and folders its options name. Readers and writers
  // override it; the default is none.
  virtual std::vector<FileUse> Files() const { return {}; }
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

// Whether the memory-management stage runs before a stage of this contract: every INDEX_BUILD and
// SEARCH stage (host validation at least), and any stage that plans device memory.
bool UsesMemoryStage(const StageContract& contract);

// Runs one opened stage the way every pipeline does. For stages UsesMemoryStage names: first
// EstimateMemory, then the memory-management stage — its Prepare (host validation, pinned buffer,
// cleanup, temp tier, ladder) when the stage plans device memory and the run uses a GPU, its host
// validation alone otherwise — with its decisions in ctx.report().memory(); then Run. Nothing Run
// throws escapes: std::bad_alloc becomes ResourceExhausted. `estimate` (optional) receives the
// estimate.
absl::Status RunStage(StageBase& stage, const StageContract& contract, StageContext& ctx,
                      MemoryEstimate* estimate = nullptr);

}  // namespace trawl

#endif  // TRAWL_PIPELINES_STAGE_H_
