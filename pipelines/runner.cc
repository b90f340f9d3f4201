#include "pipelines/runner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "pipelines/paths.h"
#include "pipelines/values.h"

namespace trawl {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

DeviceReport MakeDeviceReport(const RunEnvironment& env) {
  DeviceReport device;
  const bool gpu = env.UseGpu();
  device.set_kind(gpu ? "gpu" : "cpu");
  device.set_gpu_count(static_cast<int>(env.gpu.devices.size()));
  if (env.gpu.usable()) {
    device.set_gpu_name(env.gpu.devices[0].name);
    device.set_gpu_total_bytes(env.gpu.devices[0].total_bytes);
  }
  if (!gpu) {
    device.set_cuda_runtime_note(env.policy.device() == MemoryPolicy::CPU
                                     ? "memory policy selects the CPU"
                                     : env.gpu.unavailable_reason);
  }
  return device;
}

// Index of the last stage reading each pipeline slot.
absl::flat_hash_map<std::string, size_t> LastReaders(const Pipeline& pipeline) {
  absl::flat_hash_map<std::string, size_t> last;
  for (size_t i = 0; i < pipeline.stages.size(); ++i) {
    for (const auto& [slot, name] : pipeline.stages[i].inputs) last[name] = i;
  }
  return last;
}

}  // namespace

PipelineRun RunPipeline(const Pipeline& pipeline, const RunEnvironment& env,
                        const RunOptions& options) {
  PipelineRun run;
  RunReport& report = run.report;
  report.set_pipeline(pipeline.config.name());
  report.set_config_path(pipeline.source);
  report.set_config_sha256(pipeline.config_sha256);
  report.set_started_at(absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()));
  *report.mutable_device() = MakeDeviceReport(env);
  const Clock::time_point run_start = Clock::now();

  auto finish = [&](absl::Status status) -> PipelineRun {
    report.set_wall_seconds(SecondsSince(run_start));
    report.set_ok(status.ok());
    if (!status.ok()) report.set_error(std::string(status.message()));
    if (!options.report_path.empty()) {
      absl::Status written = WriteReportJson(report, options.report_path);
      if (!written.ok()) {
        LOG(ERROR) << written.message();
        if (status.ok()) status = written;
      }
    }
    run.status = std::move(status);
    return std::move(run);
  };

  // Open every stage first: bad options fail before any work.
  std::vector<std::unique_ptr<StageBase>> stages;
  for (const StageNode& node : pipeline.stages) {
    std::unique_ptr<StageBase> stage = node.registration->create();
    absl::Status opened = stage->OpenWithOptions(*node.options);
    if (!opened.ok()) {
      return finish(absl::Status(
          opened.code(), absl::StrCat(pipeline.source, ":", node.line, ": stage '", node.name,
                                      "' (", node.registration->type, "): ", opened.message())));
    }
    stages.push_back(std::move(stage));
  }

  if (env.memory != nullptr) {
    absl::Status preflight = env.memory->Preflight();
    if (!preflight.ok()) return finish(preflight);
  }

  const absl::flat_hash_map<std::string, size_t> last_reader = LastReaders(pipeline);
  absl::flat_hash_map<std::string, SlotValue> slots;
  for (size_t i = 0; i < stages.size(); ++i) {
    const StageNode& node = pipeline.stages[i];
    StageReport* stage_report = report.add_stage();
    stage_report->set_name(node.name);
    stage_report->set_type(node.registration->type);
    stage_report->set_kind(std::string(StageKindName(node.registration->contract.kind)));
    StageContext ctx(node.name, node.inputs, node.outputs, &slots, &env, stage_report);

    const Clock::time_point start = Clock::now();
    absl::Status status = RunStage(*stages[i], node.registration->contract, ctx);
    stage_report->set_wall_seconds(SecondsSince(start));
    if (!status.ok()) {
      return finish(absl::Status(
          status.code(), absl::StrCat("stage '", node.name, "' (", node.registration->type,
                                      "): ", status.message())));
    }
    LOG(INFO) << "stage '" << node.name << "' (" << node.registration->type << ") finished in "
              << stage_report->wall_seconds() << " s";

    for (const auto& [slot, name] : node.outputs) {
      auto value = slots.find(name);
      if (value == slots.end()) continue;
      if (const Metrics* metrics = value->second.As<Metrics>()) {
        for (const auto& [metric, number] : metrics->values) {
          (*report.mutable_metrics())[absl::StrCat(node.name, "/", metric)] = number;
        }
      }
    }
    // Release values no later stage reads, unless the caller keeps them.
    for (const auto& [slot, name] : node.inputs) {
      if (last_reader.at(name) == i &&
          std::find(options.keep_slots.begin(), options.keep_slots.end(), name) ==
              options.keep_slots.end()) {
        slots.erase(name);
      }
    }
  }
  for (const std::string& name : options.keep_slots) {
    auto value = slots.find(name);
    if (value != slots.end()) run.slots[name] = value->second;
  }
  return finish(absl::OkStatus());
}

absl::Status WriteReportJson(const RunReport& report, const std::string& path) {
  google::protobuf::util::JsonPrintOptions json_options;
  json_options.add_whitespace = true;
  json_options.always_print_primitive_fields = true;
  std::string json;
  auto converted = google::protobuf::util::MessageToJsonString(report, &json, json_options);
  if (!converted.ok()) {
    return absl::InternalError(absl::StrCat("cannot print the report as JSON: ", converted.ToString()));
  }
  const std::string resolved = ResolveUserPath(path);
  const std::string temp = resolved + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << json;
    if (!out.good()) {
      return absl::PermissionDeniedError(absl::StrCat("cannot write report '", temp, "'"));
    }
  }
  if (std::rename(temp.c_str(), resolved.c_str()) != 0) {
    return absl::PermissionDeniedError(absl::StrCat("cannot move report into place at '", resolved, "'"));
  }
  return absl::OkStatus();
}

}  // namespace trawl
