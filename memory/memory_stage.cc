#include "memory/memory_stage.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "google/protobuf/text_format.h"
#include "memory/budgeted_allocator.h"
#include "memory/temp_memory.h"
#include "pipelines/status_util.h"

namespace trawl {

MemoryStage::MemoryStage(MemoryPolicy policy, GpuDevice* device, HostMemorySources host_sources)
    : policy_(std::move(policy)), device_(device), host_sources_(std::move(host_sources)) {
  if (!policy_.no_ledger() && policy_.device() != MemoryPolicy::CPU &&
      (!device_->emulated() || !policy_.ledger_path().empty())) {
    ledger_ = std::make_unique<DeviceLedger>(
        policy_.ledger_path().empty() ? DeviceLedger::kDefaultPath : policy_.ledger_path());
  }
}

int64_t MemoryStage::ReservedByOthers(int device) {
  if (ledger_ == nullptr) return 0;
  absl::StatusOr<std::vector<DeviceLedger::Reservation>> others = ledger_->Others(device);
  if (!others.ok()) {
    LOG(WARNING) << others.status().message() << "; planning without the ledger";
    ledger_.reset();
    return 0;
  }
  int64_t bytes = 0;
  for (const DeviceLedger::Reservation& r : *others) bytes += r.bytes;
  return bytes;
}

absl::Status MemoryStage::ReserveInLedger(int device, MemoryDecision& decision) {
  const int wait_seconds = policy_.ledger_wait_seconds() == 0 ? 600 : policy_.ledger_wait_seconds();
  const absl::Time start = absl::Now();
  absl::Time last_line = start;
  while (ledger_ != nullptr && !ladder_.empty()) {
    const PlannedRung& planned = ladder_.front();
    if (planned.placement.rung == Rung::kCpu || planned.placement.rung == Rung::kResident) {
      return absl::OkStatus();  // nothing new on the device
    }
    const int64_t need = planned.device_bytes + planned.placement.temp_bytes;
    ASSIGN_OR_RETURN(GpuMemoryInfo info, device_->MemoryInfo(device));
    const int64_t others = ReservedByOthers(device);
    absl::StatusOr<int64_t> mine = ledger_ != nullptr ? ledger_->Mine(device) : int64_t{0};
    if (!mine.ok()) mine = int64_t{0};
    // In use and reserved by no run: other programs' memory. What runs reserved but have not
    // allocated yet is spoken for; what other runs hold comes back when they end.
    const int64_t unexplained =
        std::max<int64_t>(0, info.total_bytes - info.free_bytes - others - *mine);
    const int64_t margin = info.total_bytes / 50;
    const int64_t capacity = info.total_bytes - unexplained - margin;
    const std::string rung = RungName(planned.placement.rung);
    bool reserved = false;
    if (ledger_ != nullptr) {
      absl::StatusOr<int64_t> got =
          ledger_->TryReserve(device, need, capacity, absl::StrCat(rung, " rung"));
      if (!got.ok()) {
        LOG(WARNING) << got.status().message() << "; planning without the ledger";
        ledger_.reset();
        return absl::OkStatus();
      }
      stage_reservation_ = *got;
      reserved = *got != 0;
    }
    if (reserved) {
      decision.set_ledger(absl::StrCat(
          "reserved ", FormatBytes(need), " on GPU ", device, " for the ", rung,
          " rung; others held ", FormatBytes(others),
          absl::Now() - start > absl::Milliseconds(100)
              ? absl::StrCat(" after waiting ", absl::FormatDuration(absl::Now() - start))
              : ""));
      return absl::OkStatus();
    }
    const bool waiting_helps = *mine + need <= capacity;  // once the others' are gone
    const bool timed_out = wait_seconds < 0 || absl::Now() - start >= absl::Seconds(wait_seconds);
    if (!waiting_helps || timed_out) {
      decision.add_skipped_rungs(absl::StrCat(
          rung, ": the ledger ", timed_out && waiting_helps ? "still " : "", "has ",
          FormatBytes(others), " reserved by other runs on GPU ", device, ", ", FormatBytes(need),
          " needed of ", FormatBytes(capacity),
          waiting_helps ? absl::StrCat(" (waited ", absl::FormatDuration(absl::Now() - start), ")")
                        : " even when they end"));
      ladder_.erase(ladder_.begin());
      continue;
    }
    if (absl::Now() - last_line >= absl::Seconds(10)) {
      last_line = absl::Now();
      std::fprintf(stderr, "waiting for %s on GPU %d: other runs hold %s (%s so far)\n",
                   FormatBytes(need).c_str(), device, FormatBytes(others).c_str(),
                   absl::FormatDuration(absl::Now() - start).c_str());
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  return absl::OkStatus();
}

int64_t MemoryStage::MinHostBytes() const {
  return policy_.min_host_memory_mb() > 0 ? policy_.min_host_memory_mb() << 20
                                          : kDefaultMinHostBytes;
}

absl::Status MemoryStage::CheckHostMinimum(const HostMemoryInfo& host,
                                           absl::string_view consequence) const {
  if (host.available_bytes() >= MinHostBytes()) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat("host memory: ", host.Describe(), ", below the minimum of ",
                   FormatBytes(MinHostBytes()), " (memory.min_host_memory_mb)", consequence));
}

absl::Status MemoryStage::Preflight() {
  ASSIGN_OR_RETURN(HostMemoryInfo host, ReadHostMemory(host_sources_));
  return CheckHostMinimum(host, "; nothing was run. Free memory or lower the minimum");
}

absl::Status MemoryStage::ValidateHost(const MemoryEstimate& estimate, MemoryDecision& decision) {
  ASSIGN_OR_RETURN(HostMemoryInfo host, ReadHostMemory(host_sources_));
  decision.set_host_available_bytes(host.available_bytes());
  decision.set_host_required_bytes(std::max(MinHostBytes(), estimate.host_bytes));
  decision.set_memlock_limit_bytes(host.memlock_limit_bytes);
  RETURN_IF_ERROR(CheckHostMinimum(host, ""));
  if (host.available_bytes() < estimate.host_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "host memory: ", host.Describe(), ", but the stage's data needs ",
        FormatBytes(estimate.host_bytes),
        estimate.host_detail.empty() ? "" : absl::StrCat(" (", estimate.host_detail, ")")));
  }
  return absl::OkStatus();
}

int64_t MemoryStage::ChoosePinnedBytes(MemoryDecision& decision) {
  const int64_t requested =
      policy_.pinned_memory_mb() > 0 ? policy_.pinned_memory_mb() << 20 : kDefaultPinnedBytes;
  decision.set_pinned_requested_bytes(requested);
  // Try the request, then FAISS's reduced size, then no pinned buffer at all.
  for (int64_t bytes : {requested, std::min(requested, kReducedPinnedBytes)}) {
    absl::Status pinned = device_->PinTest(bytes);
    if (pinned.ok()) {
      decision.set_pinned_effective_bytes(bytes);
      return bytes;
    }
    decision.add_pinned_outcomes(
        absl::StrCat("pinned ", FormatBytes(bytes), ": ", pinned.message()));
  }
  decision.set_pinned_effective_bytes(0);
  return 0;
}

void MemoryStage::PlanLadder(const MemoryEstimate& estimate, int device, int64_t free_bytes,
                             int64_t temp_bytes, int64_t pinned_bytes, MemoryDecision& decision) {
  ladder_.clear();
  auto consider = [&](Rung rung, int64_t device_bytes, int64_t temp, int64_t pinned, bool lossy,
                      std::vector<int> devices, const std::string& forbidden) {
    const std::string name = RungName(rung);
    if (!forbidden.empty()) {
      decision.add_skipped_rungs(absl::StrCat(name, ": ", forbidden));
      return;
    }
    if (rung != Rung::kCpu && rung != Rung::kResident && device_bytes + temp > free_bytes) {
      decision.add_skipped_rungs(absl::StrCat(name, ": needs ", FormatBytes(device_bytes + temp),
                                              " per device (data ", FormatBytes(device_bytes),
                                              " + temp ", FormatBytes(temp), "), ",
                                              FormatBytes(free_bytes), " free"));
      return;
    }
    PlannedRung planned;
    planned.placement.rung = rung;
    planned.placement.devices = std::move(devices);
    planned.placement.temp_bytes = temp;
    planned.placement.pinned_bytes = pinned;
    planned.placement.budget_bytes = device_bytes + temp;
    planned.placement.lossy = lossy;
    planned.placement.emulated = device_->emulated();
    planned.device_bytes = device_bytes;
    decision.add_planned_rungs(absl::StrCat(name, " (data ", FormatBytes(device_bytes), ", temp ",
                                            FormatBytes(temp), ", pinned ", FormatBytes(pinned),
                                            ")"));
    PlannedRungReport* typed = decision.add_planned();
    typed->set_rung(name);
    typed->set_data_bytes(device_bytes);
    typed->set_temp_bytes(temp);
    typed->set_pinned_bytes(pinned);
    typed->set_devices(static_cast<int32_t>(planned.placement.devices.size()));
    ladder_.push_back(std::move(planned));
  };
  const std::string cpu_forbidden =
      policy_.allow_cpu_fallback() ? "" : "the policy does not allow the CPU (allow_cpu_fallback)";

  if (estimate.resident_device >= 0) {
    consider(Rung::kResident, 0, 0, 0, false, {estimate.resident_device}, "");
    consider(Rung::kCpu, 0, 0, 0, false, {}, cpu_forbidden);
    return;
  }
  if (estimate.device_bytes == 0) {  // no device work: the stage runs where its data lives
    consider(Rung::kCpu, 0, 0, 0, false, {}, "");
    return;
  }
  const int64_t data = estimate.device_bytes;
  const int64_t reduced =
      estimate.reduced_device_bytes > 0 ? estimate.reduced_device_bytes : estimate.device_bytes;
  std::vector<int> all;
  for (int d = 0; d < device_->device_count(); ++d) all.push_back(d);
  // Asked for by the stage's options: spread over several GPUs before anything else.
  bool spread_planned = false;
  if (estimate.spread_over >= 2 && all.size() >= 2 && (estimate.replicate || estimate.shardable)) {
    std::vector<int> spread(all.begin(),
                            all.begin() + std::min<size_t>(all.size(), estimate.spread_over));
    const int64_t each = estimate.replicate ? data : (data + spread.size() - 1) / spread.size();
    const size_t before = ladder_.size();
    consider(Rung::kSharded, each, temp_bytes, pinned_bytes, false, spread, "");
    if (ladder_.size() > before) {
      ladder_.back().placement.replicate = estimate.replicate;
      spread_planned = true;
    }
  }
  consider(Rung::kFull, data, temp_bytes, pinned_bytes, false, {device}, "");
  consider(Rung::kReduced, reduced, temp_bytes / 2, std::min(pinned_bytes, kReducedPinnedBytes),
           false, {device}, "");
  consider(Rung::kMinimal, reduced, kMinimalTempBytes, 0, false, {device}, "");
  consider(Rung::kLossy, estimate.lossy_device_bytes, kMinimalTempBytes, 0, true, {device},
           !policy_.allow_lossy_storage()
               ? "the policy does not allow lossy storage (allow_lossy_storage)"
           : estimate.lossy_device_bytes == 0 ? "this stage has no lossy (float16) storage"
                                              : "");
  const int64_t per_device = all.empty() ? data : (data + all.size() - 1) / all.size();
  if (!spread_planned) {
    consider(Rung::kSharded, per_device, kMinimalTempBytes, 0, false, all,
             all.size() < 2        ? absl::StrCat(all.size(), " GPU visible")
             : !estimate.shardable ? "this stage's data is not shardable"
                                   : "");
  }
  consider(Rung::kCpu, 0, 0, 0, false, {}, cpu_forbidden);
}

absl::Status MemoryStage::Prepare(const MemoryEstimate& estimate, MemoryDecision& decision) {
  std::string policy_text;
  google::protobuf::TextFormat::PrintToString(policy_, &policy_text);
  decision.set_policy(policy_text);
  const int device = estimate.resident_device >= 0 ? estimate.resident_device : 0;

  // 1. Host validation, before anything is allocated.
  RETURN_IF_ERROR(ValidateHost(estimate, decision));

  // 2. Pinned buffer, for new device work only.
  const bool device_work = estimate.device_bytes > 0 && estimate.resident_device < 0;
  const int64_t pinned = device_work ? ChoosePinnedBytes(decision) : 0;

  // 3. Cleanup, measuring free memory around it.
  ASSIGN_OR_RETURN(GpuMemoryInfo before, device_->MemoryInfo(device));
  decision.set_gpu_free_before_cleanup_bytes(before.free_bytes);
  RETURN_IF_ERROR(device_->Cleanup(device));
  ASSIGN_OR_RETURN(GpuMemoryInfo after, device_->MemoryInfo(device));
  decision.set_gpu_free_after_cleanup_bytes(after.free_bytes);

  // 4. Temp memory from what is free after cleanup.
  const TempMemoryChoice temp =
      ChooseTempMemory(policy_, after.free_bytes, after.total_bytes, estimate.temp_bytes);
  decision.set_temp_requested_bytes(temp.requested_bytes);
  decision.set_temp_effective_bytes(temp.effective_bytes);

  // 5. The ladder, with what is known now; what other runs reserved comes back when they end.
  const int64_t reserved_by_others = device_work ? ReservedByOthers(device) : 0;
  const int64_t plan_free =
      after.free_bytes + std::min(reserved_by_others, after.total_bytes - after.free_bytes);
  PlanLadder(estimate, device, plan_free, temp.effective_bytes, pinned, decision);
  if (policy_.max_attempts() > 0 && static_cast<int>(ladder_.size()) > policy_.max_attempts()) {
    ladder_.resize(policy_.max_attempts());
  }
  if (ladder_.empty()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "no placement fits: the stage needs ", FormatBytes(estimate.device_bytes), " on the GPU (",
        FormatBytes(after.free_bytes), " free of ", FormatBytes(after.total_bytes), " on device ",
        device, "); skipped: ", absl::StrJoin(decision.skipped_rungs(), "; "),
        ". Allow allow_cpu_fallback or allow_lossy_storage, or use a smaller index"));
  }
  // 6. Reserve before allocating, with the other runs on this host.
  keeps_device_memory_ = estimate.keeps_device_memory;
  stage_reservation_ = 0;
  if (device_work) RETURN_IF_ERROR(ReserveInLedger(device, decision));
  if (ladder_.empty()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "no placement fits beside the other runs on this host: skipped: ",
        absl::StrJoin(decision.skipped_rungs(), "; "),
        ". Allow allow_cpu_fallback, raise memory.ledger_wait_seconds, or run fewer at once"));
  }
  return absl::OkStatus();
}

int64_t MemoryStage::FreeDeviceBytes(int device) {
  absl::StatusOr<GpuMemoryInfo> info = device_->MemoryInfo(device);
  return info.ok() ? info->free_bytes : -1;
}

absl::Status MemoryStage::RunOnRung(const PlannedRung& planned, const PlacedWork& work) {
  DeviceLease placement = planned.placement;
  if (placement.emulated && placement.rung != Rung::kCpu) {
    RETURN_IF_ERROR(device_->SimulateAllocation(placement, planned.device_bytes));
  }
  absl::Status status;
  if (placement.rung != Rung::kCpu) {
    for (int device : placement.devices) {
      absl::StatusOr<std::shared_ptr<CUstream_st>> stream = device_->CreateStream(device);
      if (!stream.ok()) {
        status = stream.status();
        break;
      }
      placement.streams.push_back(stream->get());
      placement.stream_owners.push_back(*std::move(stream));
    }
  }
  // Trawl's own kernels allocate within the rung's budget; the allocator frees what is left.
  std::unique_ptr<BudgetedAllocator> allocator;
  if (placement.rung != Rung::kCpu) {
    allocator = std::make_unique<BudgetedAllocator>(device_, placement.budget_bytes,
                                                    RungName(placement.rung));
    placement.allocator = allocator.get();
  }
  if (status.ok()) status = work(placement);
  // Release this attempt's allocations and streams (those no output keeps) before anything else
  // runs.
  allocator.reset();
  placement.stream_owners.clear();
  return status;
}

absl::Status MemoryStage::RunPlaced(const PlacedWork& work, MemoryDecision& decision) {
  if (ladder_.empty()) {
    return absl::FailedPreconditionError("RunPlaced() before a successful Prepare()");
  }
  // A stage whose output does not keep its device memory gives its reservation back when it ends.
  struct ReleaseReservation {
    MemoryStage* stage;
    ~ReleaseReservation() {
      if (stage->ledger_ != nullptr && stage->stage_reservation_ != 0 &&
          !stage->keeps_device_memory_) {
        stage->ledger_->Release(stage->stage_reservation_).IgnoreError();
      }
      stage->stage_reservation_ = 0;
    }
  } release{this};
  absl::Status last;
  for (const PlannedRung& planned : ladder_) {
    const char* rung = RungName(planned.placement.rung);
    const absl::Time start = absl::Now();
    absl::Status status = RunOnRung(planned, work);
    PlacementAttempt* attempt = decision.add_attempt();
    attempt->set_rung(rung);
    attempt->set_succeeded(status.ok());
    attempt->set_seconds(absl::ToDoubleSeconds(absl::Now() - start));
    if (status.ok()) {
      decision.set_final_rung(rung);
      return status;
    }
    attempt->set_error(std::string(status.message()));
    if (status.code() != absl::StatusCode::kResourceExhausted) return status;  // not memory
    VLOG(1) << "memory stage: rung '" << rung << "' failed, trying the next: " << status.message();
    for (int device : planned.placement.devices) device_->Cleanup(device).IgnoreError();
    last = status;
  }
  return absl::ResourceExhaustedError(absl::StrCat("every planned rung failed (",
                                                   decision.attempt_size(),
                                                   " attempts); last: ", last.message()));
}

}  // namespace trawl
