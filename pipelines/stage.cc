#include "pipelines/stage.h"

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

absl::Status RunStage(StageBase& stage, const StageContract& contract, StageContext& ctx,
                      MemoryEstimate* estimate) {
  if (contract.plans_device_memory) {
    absl::StatusOr<MemoryEstimate> estimated = stage.EstimateMemory(ctx);
    if (!estimated.ok()) return estimated.status();
    auto& notes = *ctx.report().mutable_notes();
    notes["estimate_host_bytes"] = absl::StrCat(estimated->host_bytes);
    notes["estimate_device_bytes"] = absl::StrCat(estimated->device_bytes);
    if (estimate != nullptr) *estimate = *estimated;
    MemoryManager* memory = ctx.env().UseGpu() ? ctx.env().memory : nullptr;
    if (memory != nullptr) {
      const int device = estimated->resident_device >= 0 ? estimated->resident_device : 0;
      ctx.report().set_gpu_free_before_bytes(memory->FreeDeviceBytes(device));
      absl::Status status = memory->Prepare(*estimated, *ctx.report().mutable_memory());
      ctx.set_memory_prepared(status.ok());
      if (status.ok()) status = stage.Run(ctx);
      ctx.report().set_gpu_free_after_bytes(memory->FreeDeviceBytes(device));
      return status;
    }
  }
  return stage.Run(ctx);
}

absl::Status StageContext::RunPlaced(const PlacedWork& work) {
  // Only on this stage's own plan: a stage that did not plan device memory runs on the CPU.
  if (memory_prepared_ && env_->memory != nullptr && env_->UseGpu()) {
    return env_->memory->RunPlaced(work, *report_->mutable_memory());
  }
  DevicePlacement cpu;  // rung kCpu
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
