#include "pipelines/stage.h"

#include <exception>
#include <new>

#include "pipelines/status_util.h"

namespace trawl {

absl::string_view StageKindName(StageKind kind) {
  switch (kind) {
    case StageKind::kSource:
      return "SOURCE";
    case StageKind::kIndexBuild:
      return "INDEX_BUILD";
    case StageKind::kSearch:
      return "SEARCH";
    case StageKind::kTransform:
      return "TRANSFORM";
    case StageKind::kEval:
      return "EVAL";
    case StageKind::kSink:
      return "SINK";
  }
  return "UNKNOWN";
}

bool UsesMemoryStage(const StageContract& contract) {
  return contract.kind == StageKind::kIndexBuild || contract.kind == StageKind::kSearch ||
         contract.plans_device_memory;
}

namespace {

// Nothing a stage throws crosses its boundary: a std::bad_alloc from an allocation no estimate
// foresaw is the ResourceExhausted the ladder and the report know; anything else an Internal
// error naming what was thrown.
template <typename Call>
auto Catching(Call&& call) -> decltype(call()) {
  try {
    return call();
  } catch (const std::bad_alloc& e) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "host allocation failed (", e.what(),
        "): the stage's data needs more memory than the host has; make it smaller (fewer rows, "
        "queries or results per query)"));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("uncaught exception: ", e.what()));
  }
}

absl::Status RunCatching(StageBase& stage, StageContext& ctx) {
  return Catching([&] { return stage.Run(ctx); });
}

}  // namespace

absl::Status RunStage(StageBase& stage, const StageContract& contract, StageContext& ctx,
                      MemoryEstimate* estimate) {
  if (!UsesMemoryStage(contract)) return RunCatching(stage, ctx);
  absl::StatusOr<MemoryEstimate> estimated =
      Catching([&]() -> absl::StatusOr<MemoryEstimate> { return stage.EstimateMemory(ctx); });
  if (!estimated.ok()) return estimated.status();
  auto& notes = *ctx.report().mutable_notes();
  notes["estimate_host_bytes"] = absl::StrCat(estimated->host_bytes);
  notes["estimate_device_bytes"] = absl::StrCat(estimated->device_bytes);
  ctx.report().set_estimate_host_bytes(estimated->host_bytes);
  ctx.report().set_estimate_device_bytes(estimated->device_bytes);
  if (estimate != nullptr) *estimate = *estimated;
  MemoryManager* memory = ctx.env().memory;
  if (memory == nullptr) return RunCatching(stage, ctx);
  if (!contract.plans_device_memory || !ctx.env().UseGpu()) {
    // Host work only: the memory stage still checks that the host can hold the stage's data.
    RETURN_IF_ERROR(memory->ValidateHost(*estimated, *ctx.report().mutable_memory()));
    return RunCatching(stage, ctx);
  }
  const int device = estimated->resident_device >= 0 ? estimated->resident_device : 0;
  ctx.report().set_gpu_free_before_bytes(memory->FreeDeviceBytes(device));
  absl::Status status = memory->Prepare(*estimated, *ctx.report().mutable_memory());
  ctx.set_memory_prepared(status.ok());
  if (status.ok()) status = RunCatching(stage, ctx);
  ctx.report().set_gpu_free_after_bytes(memory->FreeDeviceBytes(device));
  return status;
}

absl::Status StageContext::RunPlaced(const PlacedWork& work) {
  // Only on this stage's own plan: a stage that did not plan device memory runs on the CPU.
  if (memory_prepared_ && env_->memory != nullptr && env_->UseGpu()) {
    return env_->memory->RunPlaced(work, *report_->mutable_memory());
  }
  DeviceLease cpu;  // rung kCpu
  report_->mutable_memory()->set_final_rung(RungName(Rung::kCpu));
  return work(cpu);
}

absl::StatusOr<std::vector<SlotValue*>> StageContext::Lookup(absl::string_view slot) const {
  auto binding = inputs_.find(slot);
  if (binding == inputs_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("stage '", stage_name_, "' has no input slot '", slot, "' bound"));
  }
  std::vector<SlotValue*> values;
  for (const std::string& name : binding->second) {
    auto value = slots_->find(name);
    if (value == slots_->end() || value->second.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("stage '", stage_name_, "': input '", slot,
                                                        "' (pipeline slot '", name,
                                                        "') holds no value"));
    }
    values.push_back(&value->second);
  }
  return values;
}

}  // namespace trawl
