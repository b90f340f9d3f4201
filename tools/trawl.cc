// The trawl command line: run and validate pipeline configs, list the registered stages.
//
//   trawl run CONFIG [--report=trawl_report.json] [--device=auto|gpu|cpu]
//   trawl validate CONFIG
//   trawl stages
//
// Paths resolve against the directory the user ran from (BUILD_WORKING_DIRECTORY under
// `bazel run`). On error: exit status 1 and one line on stderr (validate prints every problem,
// one per line).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "glog/logging.h"
#include "google/protobuf/descriptor.h"
#include "memory/gpu_probe.h"
#include "pipelines/config_loader.h"
#include "pipelines/paths.h"
#include "pipelines/registry.h"
#include "pipelines/runner.h"

ABSL_FLAG(std::string, report, "trawl_report.json",
          "run: where to write the JSON report, relative to the directory you ran from; empty for none");
ABSL_FLAG(std::string, device, "",
          "run: override the config's memory policy device: auto, gpu or cpu");

namespace trawl {
namespace {

constexpr char kUsage[] =
    "trawl: GPU retrieval pipelines.\n"
    "  trawl run CONFIG [--report=PATH] [--device=auto|gpu|cpu]   run a pipeline\n"
    "  trawl validate CONFIG                                      check a config, run nothing\n"
    "  trawl stages                                               list registered stages";

int Fail(absl::string_view message) {
  // One line: the first line of a multi-line status, with a count of the rest.
  std::vector<std::string> lines = absl::StrSplit(message, '\n');
  std::string line = lines.front();
  if (lines.size() > 1) absl::StrAppend(&line, " (and ", lines.size() - 1, " more; see trawl validate)");
  std::fprintf(stderr, "trawl: %s\n", line.c_str());
  return 1;
}

std::string FieldTypeName(const google::protobuf::FieldDescriptor* field) {
  std::string type;
  if (field->type() == google::protobuf::FieldDescriptor::TYPE_ENUM) {
    std::vector<std::string> values;
    for (int i = 0; i < field->enum_type()->value_count(); ++i) {
      values.push_back(field->enum_type()->value(i)->name());
    }
    type = absl::StrCat("enum {", absl::StrJoin(values, ", "), "}");
  } else if (field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
    type = field->message_type()->full_name();
  } else {
    type = field->type_name();
  }
  return field->is_repeated() ? absl::StrCat("repeated ", type) : type;
}

std::string Slots(const std::vector<SlotSpec>& slots) {
  std::vector<std::string> parts;
  for (const SlotSpec& s : slots) parts.push_back(absl::StrCat(s.name, ":", SlotTypeName(s.type)));
  return parts.empty() ? "-" : absl::StrJoin(parts, " ");
}

int ListStages() {
  for (const std::string& type : StageRegistry::Global().Types()) {
    const StageRegistration* r = *StageRegistry::Global().Get(type);
    const google::protobuf::Descriptor* options = r->options_prototype->GetDescriptor();
    std::printf("%s  [%s]\n  inputs:  %s\n  outputs: %s\n  options: [type.googleapis.com/%s]\n",
                type.c_str(), std::string(StageKindName(r->contract.kind)).c_str(),
                Slots(r->contract.inputs).c_str(), Slots(r->contract.outputs).c_str(),
                options->full_name().c_str());
    for (int i = 0; i < options->field_count(); ++i) {
      std::printf("    %-14s %s\n", options->field(i)->name().c_str(),
                  FieldTypeName(options->field(i)).c_str());
    }
  }
  return 0;
}

int Validate(const std::string& path) {
  absl::StatusOr<Pipeline> pipeline = LoadPipelineFile(path);
  if (!pipeline.ok()) {
    std::fprintf(stderr, "%s\n", std::string(pipeline.status().message()).c_str());
    return 1;
  }
  std::printf("%s: OK, %zu stages\n", pipeline->source.c_str(), pipeline->stages.size());
  return 0;
}

void PrintSummary(const PipelineRun& run, const std::string& report_path) {
  const RunReport& report = run.report;
  std::string device = report.device().kind();
  if (device == "gpu") absl::StrAppend(&device, " (", report.device().gpu_name(), ")");
  std::printf("pipeline %s on %s\n", report.pipeline().c_str(), device.c_str());
  if (report.device().kind() == "cpu" && !report.device().cuda_runtime_note().empty()) {
    std::printf("  (%s)\n", report.device().cuda_runtime_note().c_str());
  }
  std::printf("  %-18s %-20s %-8s %10s\n", "stage", "type", "device", "seconds");
  for (const StageReport& stage : report.stage()) {
    std::printf("  %-18s %-20s %-8s %10.3f\n", stage.name().c_str(), stage.type().c_str(),
                stage.device().empty() ? "-" : stage.device().c_str(), stage.wall_seconds());
  }
  std::vector<std::pair<std::string, double>> metrics(report.metrics().begin(), report.metrics().end());
  std::sort(metrics.begin(), metrics.end());
  for (const auto& [name, value] : metrics) std::printf("  %-30s %.4f\n", name.c_str(), value);
  std::printf("  total %.3f s", report.wall_seconds());
  if (!report_path.empty()) std::printf("; report: %s", ResolveUserPath(report_path).c_str());
  std::printf("\n");
}

int Run(const std::string& path) {
  absl::StatusOr<Pipeline> pipeline = LoadPipelineFile(path);
  if (!pipeline.ok()) return Fail(pipeline.status().message());

  RunEnvironment env;
  env.policy = pipeline->config.memory();
  const std::string device = absl::AsciiStrToLower(absl::GetFlag(FLAGS_device));
  if (device == "cpu") {
    env.policy.set_device(MemoryPolicy::CPU);
  } else if (device == "gpu") {
    env.policy.set_device(MemoryPolicy::GPU);
  } else if (device == "auto") {
    env.policy.set_device(MemoryPolicy::AUTO);
  } else if (!device.empty()) {
    return Fail(absl::StrCat("--device=", device, ": expected auto, gpu or cpu"));
  }
  if (env.policy.device() != MemoryPolicy::CPU) {
    env.gpu = ProbeGpus();
    if (env.policy.device() == MemoryPolicy::GPU && !env.gpu.usable()) {
      return Fail(absl::StrCat("the memory policy requires a GPU, but ", env.gpu.unavailable_reason));
    }
  }
  const std::string report_path = absl::GetFlag(FLAGS_report);
  PipelineRun run = RunPipeline(*pipeline, env, {.report_path = report_path});
  if (!run.status.ok()) {
    std::fprintf(stderr, "trawl: %s", std::string(run.status.message()).c_str());
    if (!report_path.empty()) std::fprintf(stderr, " (report: %s)", ResolveUserPath(report_path).c_str());
    std::fprintf(stderr, "\n");
    return 1;
  }
  PrintSummary(run, report_path);
  return 0;
}

}  // namespace
}  // namespace trawl

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(trawl::kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(args[0]);
  const std::string command = args.size() > 1 ? args[1] : "";
  if (command == "stages" && args.size() == 2) return trawl::ListStages();
  if ((command == "run" || command == "validate") && args.size() == 3) {
    return command == "run" ? trawl::Run(args[2]) : trawl::Validate(args[2]);
  }
  std::fprintf(stderr, "%s\n", trawl::kUsage);
  return 2;
}
