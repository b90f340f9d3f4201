#include "pipelines/runner.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "pipelines/files.h"
#include "pipelines/paths.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"

namespace trawl {
namespace {

DeviceReport MakeDeviceReport(const RunEnvironment& env) {
  DeviceReport device;
  device.set_kind(env.UseGpu() ? "gpu" : "cpu");
  device.set_gpu_count(static_cast<int>(env.gpu.devices.size()));
  if (env.gpu.usable()) {
    device.set_gpu_name(env.gpu.devices[0].name);
    device.set_gpu_total_bytes(env.gpu.devices[0].total_bytes);
  }
  if (!env.UseGpu()) device.set_cuda_runtime_note(env.gpu.unavailable_reason);
  return device;
}

}  // namespace

// Every stage is opened before any runs, so bad options fail before any work.
absl::StatusOr<std::vector<std::unique_ptr<StageBase>>> OpenStages(const Pipeline& pipeline) {
  std::vector<std::unique_ptr<StageBase>> stages;
  for (const StageNode& node : pipeline.stages) {
    std::unique_ptr<StageBase> stage = node.registration->create();
    absl::Status opened = stage->OpenWithOptions(*node.options);
    if (!opened.ok()) {
      return absl::Status(opened.code(),
                          absl::StrCat(pipeline.source, ":", node.line, ": stage '", node.name,
                                       "' (", node.registration->type, "): ", opened.message()));
    }
    stages.push_back(std::move(stage));
  }
  return stages;
}

namespace {

// A path as comparisons see it: symlinks at the path followed, then made absolute and normal.
std::string ComparablePath(const std::string& path) {
  absl::StatusOr<std::string> target = FinalTarget(path);
  std::error_code error;
  std::filesystem::path canonical =
      std::filesystem::weakly_canonical(target.ok() ? *target : path, error);
  return error ? path : canonical.string();
}

bool SamePath(const std::string& a, const std::string& b) {
  return ComparablePath(a) == ComparablePath(b) || SameFile(a, b);
}

std::string StageLabel(const Pipeline& pipeline, size_t i) {
  const StageNode& node = pipeline.stages[i];
  return absl::StrCat("stage '", node.name, "' (", pipeline.source, ":", node.line, ")");
}

}  // namespace

absl::Status CheckReportPath(const std::string& report_path, const std::string& config_path) {
  const std::string report = ResolveUserPath(report_path);
  RETURN_IF_ERROR(CheckOutputFile(report, "report"));
  if (!config_path.empty() && SamePath(report, ResolveUserPath(config_path))) {
    return absl::InvalidArgumentError(
        absl::StrCat("report '", report,
                     "' is the pipeline config itself; choose another --report (nothing was "
                     "written)"));
  }
  return absl::OkStatus();
}

namespace {

// Whether the report may go to `report_path`: CheckReportPath, and no stage of `stages` (when
// they opened) reads or writes that path.
bool ReportMayBeWritten(const Pipeline& pipeline,
                        const std::vector<std::unique_ptr<StageBase>>* stages,
                        const std::string& report_path) {
  if (!CheckReportPath(report_path, pipeline.source).ok()) return false;
  if (stages == nullptr) return true;
  const std::string report = ResolveUserPath(report_path);
  for (const auto& stage : *stages) {
    for (const FileUse& use : stage->Files()) {
      if (SamePath(use.path, report)) return false;
    }
  }
  return true;
}

}  // namespace

absl::Status CheckFileUses(const Pipeline& pipeline,
                           const std::vector<std::unique_ptr<StageBase>>& stages,
                           const std::string& report_path) {
  std::vector<std::vector<FileUse>> uses;
  for (const auto& stage : stages) uses.push_back(stage->Files());
  const std::string report = report_path.empty() ? "" : ResolveUserPath(report_path);
  // Every output: the report (written last, after every stage) and each stage's.
  struct Output {
    size_t stage;  // stages.size() for the report
    FileUse use;
  };
  std::vector<Output> outputs;
  for (size_t i = 0; i < uses.size(); ++i) {
    for (const FileUse& use : uses[i]) {
      if (use.output()) outputs.push_back({i, use});
    }
  }
  if (!report.empty()) {
    RETURN_IF_ERROR(CheckReportPath(report, pipeline.source));
    outputs.push_back({stages.size(), {FileUse::kOutputFile, report}});
  }
  auto label = [&](size_t i) {
    return i == stages.size() ? std::string("the report") : StageLabel(pipeline, i);
  };
  auto written_before = [&](size_t j, const std::string& path) {
    for (size_t w = 0; w < j; ++w) {
      for (const FileUse& earlier : uses[w]) {
        if (earlier.output() && SamePath(earlier.path, path)) return true;
      }
    }
    return false;
  };
  // Every input that no earlier stage writes is there and readable now: a typo in a path fails
  // before the first hour, not when its stage comes.
  for (size_t j = 0; j < uses.size(); ++j) {
    for (const FileUse& in : uses[j]) {
      if (in.output() || written_before(j, in.path)) continue;
      if (in.kind == FileUse::kInputFile) {
        absl::Status readable = OpenRegularFile(in.path).status();
        if (!readable.ok()) {
          return absl::Status(readable.code(),
                              absl::StrCat(StageLabel(pipeline, j), ": ", readable.message()));
        }
      } else {
        std::error_code error;
        if (!std::filesystem::is_directory(in.path, error)) {
          return absl::NotFoundError(absl::StrCat(
              StageLabel(pipeline, j), ": cannot read folder '", in.path,
              "': ", std::filesystem::exists(in.path, error) ? "not a folder" : "nothing there"));
        }
        if (::access(in.path.c_str(), R_OK | X_OK) != 0) {
          return absl::PermissionDeniedError(
              absl::StrCat(StageLabel(pipeline, j), ": cannot read folder '", in.path, "'"));
        }
      }
    }
  }
  for (size_t o = 0; o < outputs.size(); ++o) {
    const Output& out = outputs[o];
    if (out.use.kind == FileUse::kOutputFile) {
      RETURN_IF_ERROR(CheckOutputFile(out.use.path, absl::StrCat(label(out.stage), ": output")));
      // The file is written beside its target: that folder must exist and take new files.
      absl::StatusOr<std::string> target = FinalTarget(out.use.path);
      const std::string folder =
          std::filesystem::path(target.ok() ? *target : out.use.path).parent_path().string();
      if (::access(folder.empty() ? "." : folder.c_str(), W_OK) != 0) {
        return absl::PermissionDeniedError(
            absl::StrCat(label(out.stage), ": cannot write '", out.use.path, "': the folder '",
                         folder.empty() ? "." : folder, "' is missing or not writable"));
      }
    }
    if (!pipeline.source.empty() && SamePath(out.use.path, pipeline.source)) {
      return absl::InvalidArgumentError(
          absl::StrCat(label(out.stage), " writes '", out.use.path,
                       "', the pipeline config itself; choose another path (nothing was written)"));
    }
    for (size_t p = 0; p < o; ++p) {
      if (SamePath(outputs[p].use.path, out.use.path)) {
        return absl::InvalidArgumentError(absl::StrCat(label(outputs[p].stage), " and ",
                                                       label(out.stage), " both write '",
                                                       out.use.path, "'"));
      }
    }
    // A stage reading this path before any stage writes it reads the user's file: writing it
    // would destroy an input of this very run.
    for (size_t j = 0; j < uses.size(); ++j) {
      for (const FileUse& in : uses[j]) {
        if (in.output() || !SamePath(in.path, out.use.path) || written_before(j, in.path)) continue;
        return absl::InvalidArgumentError(absl::StrCat(
            label(out.stage), " writes '", out.use.path, "', which ", StageLabel(pipeline, j),
            " reads as an input of this run; writing it would destroy it: choose another path "
            "(nothing was written)"));
      }
    }
  }
  return absl::OkStatus();
}

namespace {

// The pipeline's slot values while it runs; each is released after the last stage reading it,
// unless the caller keeps it.
class SlotStore {
 public:
  SlotStore(const Pipeline& pipeline, const std::vector<std::string>& keep) : keep_(keep) {
    for (size_t i = 0; i < pipeline.stages.size(); ++i) {
      for (const auto& [slot, names] : pipeline.stages[i].inputs) {
        for (const std::string& name : names) last_reader_[name] = i;
      }
    }
  }

  absl::flat_hash_map<std::string, SlotValue>* values() { return &values_; }

  // The slots stage `index` (reading `inputs`) is the last to read and nobody keeps: after it
  // they go, and it may consume them (StageContext::ConsumableInput).
  absl::flat_hash_set<std::string> LastReads(size_t index, const SlotBindings& inputs) const {
    absl::flat_hash_set<std::string> last;
    for (const auto& [slot, names] : inputs) {
      for (const std::string& name : names) {
        if (last_reader_.at(name) == index &&
            std::find(keep_.begin(), keep_.end(), name) == keep_.end()) {
          last.insert(name);
        }
      }
    }
    return last;
  }

  // After stage `index` (reading `inputs`) finished: drops what no later stage reads.
  // Outputs no stage reads and nobody keeps go too: a thousand generators in one config must not
  // hold a thousand corpora.
  void ReleaseAfter(size_t index, const SlotBindings& inputs, const SlotBindings& outputs) {
    for (const std::string& name : LastReads(index, inputs)) values_.erase(name);
    for (const auto& [slot, names] : outputs) {
      for (const std::string& name : names) {
        if (!last_reader_.contains(name) &&
            std::find(keep_.begin(), keep_.end(), name) == keep_.end()) {
          values_.erase(name);
        }
      }
    }
  }

  // The kept slots that hold a value.
  absl::flat_hash_map<std::string, SlotValue> Kept() const {
    absl::flat_hash_map<std::string, SlotValue> kept;
    for (const std::string& name : keep_) {
      auto value = values_.find(name);
      if (value != values_.end()) kept[name] = value->second;
    }
    return kept;
  }

 private:
  const std::vector<std::string>& keep_;
  absl::flat_hash_map<std::string, size_t> last_reader_;  // pipeline slot -> stage index
  absl::flat_hash_map<std::string, SlotValue> values_;
};

// Copies the Metrics a stage output into the report as "stage/metric".
void ReportMetrics(const StageNode& node, SlotStore& slots, RunReport& report) {
  for (const auto& [slot, names] : node.outputs) {
    auto value = slots.values()->find(names.front());
    if (value == slots.values()->end()) continue;
    if (const Metrics* metrics = value->second.As<Metrics>()) {
      for (const auto& [metric, number] : metrics->values) {
        (*report.mutable_metrics())[absl::StrCat(node.name, "/", metric)] = number;
      }
    }
  }
}

// Runs the opened stages in order; stops at the first failure, prefixed with the stage.
absl::Status RunStages(const Pipeline& pipeline,
                       const std::vector<std::unique_ptr<StageBase>>& stages,
                       const RunEnvironment& env, SlotStore& slots, RunReport& report) {
  for (size_t i = 0; i < stages.size(); ++i) {
    const StageNode& node = pipeline.stages[i];
    StageReport* stage_report = report.add_stage();
    stage_report->set_name(node.name);
    stage_report->set_type(node.registration->type);
    stage_report->set_kind(std::string(StageKindName(node.contract.kind)));
    StageContext ctx(node.name, node.inputs, node.outputs, slots.values(), &env, stage_report);
    ctx.set_last_reads(slots.LastReads(i, node.inputs));

    const absl::Time start = absl::Now();
    absl::Status status = RunStage(*stages[i], node.contract, ctx);
    stage_report->set_wall_seconds(absl::ToDoubleSeconds(absl::Now() - start));
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat("stage '", node.name, "' (", node.registration->type,
                                       "): ", status.message()));
    }
    VLOG(1) << "stage '" << node.name << "' (" << node.registration->type << ") finished in "
            << stage_report->wall_seconds() << " s";
    for (const FileUse& use : stages[i]->Files()) {
      if (!use.output()) continue;
      std::error_code error;
      const std::string absolute = std::filesystem::absolute(use.path, error).string();
      stage_report->add_outputs_written(error ? use.path : absolute);
      report.add_outputs_written(error ? use.path : absolute);
    }
    ReportMetrics(node, slots, report);
    slots.ReleaseAfter(i, node.inputs, node.outputs);
  }
  return absl::OkStatus();
}

}  // namespace

void FinishReport(const absl::Status& status, absl::Duration wall, RunReport& report) {
  report.set_wall_seconds(absl::ToDoubleSeconds(wall));
  report.set_ok(status.ok());
  if (!status.ok()) report.set_error(std::string(status.message()));
}

PipelineRun RunPipeline(const Pipeline& pipeline, const RunEnvironment& env,
                        const RunOptions& options) {
  const absl::Time run_start = absl::Now();
  PipelineRun run;
  run.report.set_pipeline(pipeline.config.name());
  run.report.set_config_path(pipeline.source);
  run.report.set_config_sha256(pipeline.config_sha256);
  run.report.set_started_at(absl::FormatTime(absl::RFC3339_sec, run_start, absl::UTCTimeZone()));
  *run.report.mutable_device() = MakeDeviceReport(env);

  SlotStore slots(pipeline, options.keep_slots);
  absl::StatusOr<std::vector<std::unique_ptr<StageBase>>> stages = OpenStages(pipeline);
  run.status = stages.status();
  if (run.status.ok()) run.status = CheckFileUses(pipeline, *stages, options.report_path);
  if (run.status.ok() && env.memory != nullptr) run.status = env.memory->Preflight();
  if (run.status.ok()) run.status = RunStages(pipeline, *stages, env, slots, run.report);
  run.slots = slots.Kept();

  FinishReport(run.status, absl::Now() - run_start, run.report);
  // A report path that is itself the problem (the config, a device, a file a stage reads or
  // writes) is never written.
  if (!options.report_path.empty() &&
      ReportMayBeWritten(pipeline, stages.ok() ? &*stages : nullptr, options.report_path)) {
    absl::Status written = WriteReportJson(run.report, options.report_path);
    if (!written.ok()) {
      LOG(ERROR) << written.message();
      if (run.status.ok()) run.status = written;
    }
    run.report_written = written.ok();
  }
  return run;
}

namespace {

// Every string of `message` and the messages inside it made printable UTF-8 (PrintableMessage): a
// path or id with invalid bytes must not make protobuf log an error line or the JSON unreadable.
void MakeStringsPrintable(google::protobuf::Message& message) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->is_map()) continue;  // the notes: their values are made printable below
    if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          reflection->SetRepeatedString(
              &message, field, i,
              PrintableMessage(reflection->GetRepeatedString(message, field, i), 100000));
        }
      } else {
        reflection->SetString(&message, field,
                              PrintableMessage(reflection->GetString(message, field), 100000));
      }
    } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          MakeStringsPrintable(*reflection->MutableRepeatedMessage(&message, field, i));
        }
      } else {
        MakeStringsPrintable(*reflection->MutableMessage(&message, field));
      }
    }
  }
}

}  // namespace

absl::Status WriteReportJson(const RunReport& report_in, const std::string& path) {
  RunReport report = report_in;
  MakeStringsPrintable(report);
  for (StageReport& stage : *report.mutable_stage()) {
    for (auto& [name, value] : *stage.mutable_notes()) value = PrintableMessage(value, 100000);
  }
  google::protobuf::util::JsonPrintOptions json_options;
  json_options.add_whitespace = true;
  json_options.always_print_primitive_fields = true;
  std::string json;
  auto converted = google::protobuf::util::MessageToJsonString(report, &json, json_options);
  if (!converted.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print the report as JSON: ", converted.ToString()));
  }
  return WriteFileAtomically(ResolveUserPath(path), json, "report");
}

}  // namespace trawl
