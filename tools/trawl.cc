// The trawl command line: run and validate pipeline configs, evaluate run files, sweeps, list the
// registered stages.
//
//   trawl run CONFIG [--report=trawl_report.json] [--device=auto|gpu|cpu] [--verbose]
//   trawl validate CONFIG [--explain [--simulate_gpu_mb=N]]
//   trawl stages
//
//   trawl eval [trec_eval's options] QRELS RUN
//   trawl sweep SWEEP [--output_dir=DIR] [--keep_failed] [--parallel=N]
//
// Paths resolve against the directory the user ran from (BUILD_WORKING_DIRECTORY under
// `bazel run`). On error: exit status 1 and one line on stderr (validate prints every problem,
// one per line); 2 for a usage error.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/stubs/logging.h"
#include "memory/host_memory.h"
#include "memory/run_environment.h"
#include "pipelines/config_loader.h"
#include "pipelines/paths.h"
#include "pipelines/registry.h"
#include "pipelines/runner.h"
#include "pipelines/status_util.h"
#include "tools/eval_command.h"
#include "tools/sweep/sweep_runner.h"

ABSL_FLAG(
    std::string, report, "trawl_report.json",
    "run: where to write the JSON report, relative to the directory you ran from; empty for none");
ABSL_FLAG(std::string, device, "",
          "run: override the config's memory policy device: auto, gpu or cpu");
ABSL_FLAG(std::string, output_dir, "",
          "sweep: where points, results.jsonl, summary.csv and plot.svg go (default: the sweep's "
          "output_dir, else sweep_<name>)");
ABSL_FLAG(bool, verbose, false,
          "log what the framework and the memory stage do (glog lines on stderr); quiet otherwise");
ABSL_FLAG(int32_t, parallel, 1,
          "sweep: points run side by side (each its own process; on one GPU they share it "
          "through the memory ledger, waiting for each other's memory)");
ABSL_FLAG(bool, keep_failed, false,
          "sweep: keep the results of points that failed, crashed or timed out instead of "
          "running them again");
ABSL_FLAG(bool, explain, false,
          "validate: also print where the memory-management stage runs and what it would decide "
          "on this machine");
ABSL_FLAG(int64_t, simulate_gpu_mb, 0,
          "run, validate --explain: plan for a simulated card of this many MiB (all free) instead "
          "of this machine's GPU; device work is emulated on the CPU");

namespace trawl {

// One line on stderr and exit status 1: the first line of a multi-line status, with a count of
// the rest, then `note`.
int Fail(absl::string_view message, absl::string_view note = "");

namespace {

constexpr char kUsage[] =
    "trawl: GPU retrieval pipelines.\n"
    "  trawl run CONFIG [--report=PATH] [--device=auto|gpu|cpu] [--verbose]   run a pipeline\n"
    "  trawl validate CONFIG [--explain [--simulate_gpu_mb=N]]    check a config, run nothing\n"
    "  trawl eval [-q] [-c] [-n] [-J] [-M N] [-l N] [-N N] [-m MEASURE]... QRELS RUN   as "
    "trec_eval\n"
    "  trawl sweep SWEEP [--output_dir=DIR] [--device=...] [--keep_failed] [--parallel=N]   a grid "
    "of isolated, "
    "resumable runs\n"
    "  trawl stages                                               list registered stages";

}  // namespace

int Fail(absl::string_view message, absl::string_view note) {
  std::vector<std::string> lines = absl::StrSplit(message, '\n');
  std::string line = lines.front();
  if (lines.size() > 1)
    absl::StrAppend(&line, " (and ", lines.size() - 1, " more; see trawl validate)");
  absl::StrAppend(&line, note);
  std::fprintf(stderr, "trawl: %s\n", PrintableMessage(line).c_str());
  return 1;
}

namespace {

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
  for (const SlotSpec& s : slots) {
    parts.push_back(absl::StrCat(s.name, ":", s.type.name(), s.list ? " (list)" : "",
                                 s.optional ? " (optional)" : ""));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, " ");
}

int ListStages() {
  // The memory-management stage is not configured as a stage: it runs before every INDEX_BUILD and
  // SEARCH stage, from the pipeline's `memory { }` policy.
  const google::protobuf::Descriptor* policy = MemoryPolicy::descriptor();
  std::printf(
      "memory  [runs before every INDEX_BUILD and SEARCH stage]\n  host validation; for device "
      "work also the pinned buffer, cleanup, temp-memory tier and the placement ladder\n  options: "
      "the pipeline's memory { } (%s)\n",
      policy->full_name().c_str());
  for (int i = 0; i < policy->field_count(); ++i) {
    std::printf("    %-14s %s\n", policy->field(i)->name().c_str(),
                FieldTypeName(policy->field(i)).c_str());
  }
  for (const std::string& type : StageRegistry::Global().Types()) {
    const StageRegistration* r = *StageRegistry::Global().Get(type);
    const google::protobuf::Descriptor* options = r->options_prototype->GetDescriptor();
    std::printf("%s  [%s]\n  inputs:  %s\n  outputs: %s\n  options: [type.googleapis.com/%s]\n",
                type.c_str(), std::string(StageKindName(r->contract.kind)).c_str(),
                Slots(r->contract.inputs).c_str(), Slots(r->contract.outputs).c_str(),
                options->full_name().c_str());
    if (UsesMemoryStage(r->contract)) {
      std::printf("  preceded by: memory stage (%s)\n", r->contract.plans_device_memory
                                                            ? "host validation and device ladder"
                                                            : "host validation");
    }
    for (int i = 0; i < options->field_count(); ++i) {
      std::printf("    %-14s %s\n", options->field(i)->name().c_str(),
                  FieldTypeName(options->field(i)).c_str());
    }
  }
  return 0;
}

// The run's environment for `config`, with --device and --simulate_gpu_mb applied.
absl::StatusOr<std::unique_ptr<ManagedEnvironment>> MakeEnvironment(const PipelineConfig& config) {
  MemoryPolicy policy = config.memory();
  const std::string device = absl::AsciiStrToLower(absl::GetFlag(FLAGS_device));
  if (device == "cpu") {
    policy.set_device(MemoryPolicy::CPU);
  } else if (device == "gpu") {
    policy.set_device(MemoryPolicy::GPU);
  } else if (device == "auto") {
    policy.set_device(MemoryPolicy::AUTO);
  } else if (!device.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--device=", device, ": expected auto, gpu or cpu"));
  }
  return MakeRunEnvironment(policy, absl::GetFlag(FLAGS_simulate_gpu_mb));
}

void Explain(const Pipeline& pipeline) {
  absl::StatusOr<std::unique_ptr<ManagedEnvironment>> environment =
      MakeEnvironment(pipeline.config);
  if (!environment.ok()) {
    std::printf("memory stage: %s\n", std::string(environment.status().message()).c_str());
    return;
  }
  const RunEnvironment& env = (*environment)->env;
  bool any = false;
  for (const StageNode& node : pipeline.stages) {
    if (!UsesMemoryStage(node.contract)) continue;
    any = true;
    std::printf("memory stage before '%s' (%s, %s): %s\n", node.name.c_str(),
                node.registration->type.c_str(),
                std::string(StageKindName(node.contract.kind)).c_str(),
                node.contract.plans_device_memory && env.UseGpu()
                    ? "host validation, pinned buffer, cleanup, temp tier, device ladder"
                    : "host validation (no device work)");
  }
  if (!any) std::printf("memory stage: no index build or search in this pipeline\n");
  if (!env.UseGpu()) {
    std::printf("device: CPU (%s); no GPU placement is planned\n",
                env.gpu.unavailable_reason.c_str());
    return;
  }
  std::printf("device: %s, %s\n", env.gpu.devices[0].name.c_str(),
              FormatBytes(env.gpu.devices[0].total_bytes).c_str());
  // Plan for a placeholder workload: the data size is only known from each stage's inputs at run
  // time; tiers, pinned buffer and the ladder's shape are decided here.
  MemoryEstimate placeholder;
  placeholder.device_bytes = 1;
  placeholder.lossy_device_bytes = 1;
  placeholder.shardable = true;
  MemoryDecision decision;
  absl::Status planned = env.memory->Prepare(placeholder, decision);
  std::printf("host: %s available, minimum %s, memlock limit %s\n",
              FormatBytes(decision.host_available_bytes()).c_str(),
              FormatBytes(decision.host_required_bytes()).c_str(),
              decision.memlock_limit_bytes() < 0
                  ? "unlimited"
                  : FormatBytes(decision.memlock_limit_bytes()).c_str());
  std::printf(
      "free VRAM: %s\ntemp memory: requested %s, effective %s\npinned buffer: requested %s, "
      "effective %s\n",
      FormatBytes(decision.gpu_free_after_cleanup_bytes()).c_str(),
      FormatBytes(decision.temp_requested_bytes()).c_str(),
      FormatBytes(decision.temp_effective_bytes()).c_str(),
      FormatBytes(decision.pinned_requested_bytes()).c_str(),
      FormatBytes(decision.pinned_effective_bytes()).c_str());
  std::printf("ladder (data sizes come from each stage's inputs at run time):\n");
  for (const PlannedRungReport& rung : decision.planned()) {
    std::printf("  try  %s (temp %s, pinned %s)\n", rung.rung().c_str(),
                FormatBytes(rung.temp_bytes()).c_str(), FormatBytes(rung.pinned_bytes()).c_str());
  }
  for (const std::string& rung : decision.skipped_rungs()) std::printf("  skip %s\n", rung.c_str());
  for (const std::string& pinned : decision.pinned_outcomes()) {
    std::printf("  pinned buffer refused: %s\n", pinned.c_str());
  }
  if (!planned.ok()) std::printf("plan: %s\n", std::string(planned.message()).c_str());
}

int Validate(const std::string& path) {
  absl::StatusOr<Pipeline> pipeline = LoadPipelineFile(path);
  if (!pipeline.ok()) {
    std::fprintf(stderr, "%s\n", PrintableMessage(pipeline.status().message()).c_str());
    return 1;
  }
  // Every stage's Open checks its options without data (factory strings, sizes, paths), and the
  // outputs are checked against the inputs, the config and what is at their paths, as `run` does.
  absl::StatusOr<std::vector<std::unique_ptr<StageBase>>> stages = OpenStages(*pipeline);
  absl::Status checked = stages.status();
  if (checked.ok()) checked = CheckFileUses(*pipeline, *stages, absl::GetFlag(FLAGS_report));
  if (!checked.ok()) {
    std::fprintf(stderr, "%s\n", PrintableMessage(checked.message()).c_str());
    return 1;
  }
  std::printf("%s: OK, %zu stages\n", pipeline->source.c_str(), pipeline->stages.size());
  if (absl::GetFlag(FLAGS_explain)) Explain(*pipeline);
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
    std::string rung;
    if (!stage.memory().final_rung().empty()) {
      rung = absl::StrCat("rung ", stage.memory().final_rung());
      if (stage.memory().attempt_size() > 1)
        absl::StrAppend(&rung, " after ", stage.memory().attempt_size() - 1, " failed");
    }
    const std::string line =
        absl::StrFormat("  %-18s %-20s %-8s %10.3f  %s", stage.name(), stage.type(),
                        stage.device().empty() ? "-" : stage.device(), stage.wall_seconds(), rung);
    std::printf("%s\n", std::string(absl::StripTrailingAsciiWhitespace(line)).c_str());
  }
  std::vector<std::pair<std::string, double>> metrics(report.metrics().begin(),
                                                      report.metrics().end());
  std::sort(metrics.begin(), metrics.end());
  for (const auto& [name, value] : metrics) std::printf("  %-30s %.4f\n", name.c_str(), value);
  std::printf("  total %.3f s", report.wall_seconds());
  if (!report_path.empty()) std::printf("; report: %s", ResolveUserPath(report_path).c_str());
  std::printf("\n");
}

int Sweep(const std::string& path) {
  SweepRunOptions options;
  options.sweep_path = path;
  options.output_dir = absl::GetFlag(FLAGS_output_dir);
  options.keep_failed = absl::GetFlag(FLAGS_keep_failed);
  options.parallel = absl::GetFlag(FLAGS_parallel);
  if (options.parallel < 1) {
    std::fprintf(stderr, "trawl: --parallel must be >= 1, got %d\n", options.parallel);
    return 2;
  }
  char self[4096];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (length <= 0) return Fail("cannot find this binary (/proc/self/exe) to run sweep points");
  options.trawl_binary.assign(self, length);
  if (!absl::GetFlag(FLAGS_device).empty()) {
    options.extra_run_args.push_back(absl::StrCat("--device=", absl::GetFlag(FLAGS_device)));
  }
  absl::StatusOr<std::vector<sweep::PointResult>> results = RunSweep(options);
  // A sweep file's parse errors are not a pipeline's: list them all on the one line.
  if (!results.ok()) return Fail(absl::StrReplaceAll(results.status().message(), {{"\n", "; "}}));
  return 0;
}

// A run that stops before any stage (the config does not load, no GPU where the policy wants
// one) still leaves its report, saying why.
PipelineRun EarlyFailure(const std::string& config_path, absl::Status status) {
  PipelineRun run;
  run.report.set_config_path(ResolveUserPath(config_path));
  run.report.set_started_at(absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()));
  FinishReport(status, absl::ZeroDuration(), run.report);
  run.status = std::move(status);
  return run;
}

int Run(const std::string& path) {
  const std::string report_path = absl::GetFlag(FLAGS_report);
  PipelineRun run;
  absl::StatusOr<Pipeline> pipeline = LoadPipelineFile(path);
  absl::StatusOr<std::unique_ptr<ManagedEnvironment>> environment =
      pipeline.ok() ? MakeEnvironment(pipeline->config) : pipeline.status();
  bool report_written = !report_path.empty();
  if (!environment.ok()) {
    run = EarlyFailure(path, environment.status());
    if (report_written) {
      report_written =
          CheckReportPath(report_path, path).ok() && WriteReportJson(run.report, report_path).ok();
    }
  } else {
    run = RunPipeline(*pipeline, (*environment)->env, {.report_path = report_path});
  }
  if (!run.status.ok()) {
    std::string context;
    if (run.report.outputs_written_size() > 0) {
      // A later stage failed after these were replaced: say so, so nobody takes them for old.
      absl::StrAppend(&context, " (written before the failure: ",
                      absl::StrJoin(run.report.outputs_written(), ", "), ")");
    }
    if (environment.ok() ? run.report_written : report_written) {
      absl::StrAppend(&context, " (report: ", ResolveUserPath(report_path), ")");
    }
    return Fail(run.status.message(), context);
  }
  PrintSummary(run, report_path);
  return 0;
}

}  // namespace
}  // namespace trawl

int main(int argc, char** argv) {
  // `eval` takes trec_eval's own command line (-q -c -M N -m ...), which absl flags would reject.
  if (argc > 1 && std::string(argv[1]) == "eval") {
    absl::StatusOr<std::string> report =
        trawl::RunEvalCommand(std::vector<std::string>(argv + 2, argv + argc));
    if (!report.ok()) return trawl::Fail(report.status().message());
    std::fputs(report->c_str(), stdout);
    return 0;
  }
  absl::SetProgramUsageMessage(trawl::kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  FLAGS_logtostderr = true;
  // Quiet by default: the summary on stdout and one error line are the output. --verbose shows
  // the framework's log lines (VLOG 1: stage timings, ladder attempts).
  if (absl::GetFlag(FLAGS_verbose)) {
    FLAGS_minloglevel = google::GLOG_INFO;
    FLAGS_v = std::max(FLAGS_v, 1);
  } else {
    FLAGS_minloglevel = google::GLOG_FATAL;
  }
  google::InitGoogleLogging(args[0]);
  // Protobuf's own log lines (a string option that is not UTF-8, say) would print beside the one
  // error line that already says what is wrong; --verbose shows them.
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel level, const char* file, int line, const std::string& message) {
        VLOG(1) << "protobuf " << (level >= google::protobuf::LOGLEVEL_ERROR ? "error" : "note")
                << " (" << file << ":" << line << "): " << message;
      });
  const std::string command = args.size() > 1 ? args[1] : "";
  if (command == "stages" && args.size() == 2) return trawl::ListStages();
  if (command == "run" && args.size() == 3) return trawl::Run(args[2]);
  if (command == "validate" && args.size() == 3) return trawl::Validate(args[2]);
  if (command == "sweep" && args.size() == 3) return trawl::Sweep(args[2]);
  std::fprintf(stderr, "%s\n", trawl::kUsage);
  return 2;
}
