#include "tools/sweep/sweep_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "pipelines/config_loader.h"
#include "pipelines/files.h"
#include "pipelines/hashing.h"
#include "pipelines/paths.h"
#include "pipelines/progress.h"
#include "pipelines/registry.h"
#include "pipelines/report.pb.h"
#include "pipelines/runner.h"
#include "pipelines/status_util.h"
#include "pipelines/text_proto.h"
#include "tools/sweep/pareto_plot.h"

namespace trawl {
namespace {

using google::protobuf::FieldDescriptor;

// Sweep configs and the reports they read back are small text files.
constexpr int64_t kMaxTextBytes = int64_t{64} << 20;

absl::StatusOr<std::string> ReadText(const std::string& path) {
  return ReadWholeFile(path, kMaxTextBytes);
}

std::string Resolve(const std::string& dir, const std::string& path) {
  return path.empty() || path[0] == '/' ? path : (std::filesystem::path(dir) / path).string();
}

// The last non-empty line of a log: the "trawl: ..." error line of a failed point.
std::string LastLine(const std::string& path) {
  absl::StatusOr<std::string> text = ReadText(path);
  if (!text.ok()) return "";
  std::vector<std::string> lines = absl::StrSplit(*text, '\n', absl::SkipWhitespace());
  return lines.empty() ? "" : lines.back();
}

}  // namespace

std::string RunInChildProcess(const std::vector<std::string>& argv, const std::string& log_path,
                              int timeout_seconds) {
  const std::chrono::seconds timeout(timeout_seconds);
  // Everything the child needs is made before fork: with other threads running (--parallel), the
  // child may only make async-signal-safe calls until execv.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return absl::StrCat("fork failed: ", std::strerror(errno));
  if (pid == 0) {
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    execv(args[0], args.data());
    static const char kExecFailed[] = "exec of the trawl binary failed\n";
    (void)!write(STDERR_FILENO, kExecFailed, sizeof(kExecFailed) - 1);
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0) return absl::StrCat("waitpid failed: ", std::strerror(errno));
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return absl::StrCat("killed after the ", timeout.count(), " s timeout");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFSIGNALED(status)) {
    return absl::StrCat("crashed: signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)),
                        "); last output: ", LastLine(log_path));
  }
  if (WEXITSTATUS(status) != 0) {
    std::string line = LastLine(log_path);
    return line.empty() ? absl::StrCat("exit status ", WEXITSTATUS(status)) : line;
  }
  return "";
}

namespace {

// Fills a point's result from its report.
void ReadReport(const std::string& report_path, const sweep::SweepConfig& sweep,
                sweep::PointResult& result) {
  absl::StatusOr<std::string> json = ReadText(report_path);
  RunReport report;
  if (!json.ok() || !google::protobuf::util::JsonStringToMessage(*json, &report).ok()) {
    result.set_ok(false);
    result.set_error(absl::StrCat("no readable report at ", report_path));
    return;
  }
  result.set_wall_seconds(report.wall_seconds());
  result.set_device(report.device().kind() == "gpu" ? report.device().gpu_name() : "cpu");
  for (const auto& [name, value] : report.metrics()) (*result.mutable_metrics())[name] = value;
  if (!report.ok()) return;  // the point's error says why; no figures to read
  if (!sweep.recall_metric().empty()) {
    auto recall = report.metrics().find(sweep.recall_metric());
    if (recall == report.metrics().end()) {
      std::vector<std::string> names;
      for (const auto& [name, value] : report.metrics()) names.push_back(name);
      std::sort(names.begin(), names.end());
      result.set_ok(false);
      result.set_error(absl::StrCat("recall_metric '", sweep.recall_metric(),
                                    "' is not in the point's report; its metrics: ",
                                    names.empty() ? "none" : absl::StrJoin(names, ", ")));
      return;
    }
    result.set_recall(recall->second);
  }
  for (const StageReport& stage : report.stage()) {
    if (stage.name() != sweep.throughput_stage()) continue;
    // The searches alone when the stage times them (after its GPU warm-up), else the stage.
    const double seconds =
        stage.search_seconds() > 0 ? stage.search_seconds() : stage.wall_seconds();
    if (stage.queries() > 0 && seconds > 0) {
      result.set_queries_per_second(static_cast<double>(stage.queries()) / seconds);
    }
  }
}

}  // namespace

absl::Status SetStageOption(PipelineConfig& config, const std::string& stage,
                            const std::string& field, const std::string& value) {
  for (StageConfig& node : *config.mutable_stage()) {
    const std::string name = node.name().empty() ? node.type() : node.name();
    if (name != stage) continue;
    absl::StatusOr<const StageRegistration*> registration =
        StageRegistry::Global().Get(node.type());
    if (!registration.ok()) return registration.status();
    std::unique_ptr<google::protobuf::Message> options((*registration)->options_prototype->New());
    if (node.has_options() && !node.options().UnpackTo(options.get())) {
      return absl::InvalidArgumentError(
          absl::StrCat("stage '", stage, "': options are not ", options->GetTypeName()));
    }
    const FieldDescriptor* descriptor = options->GetDescriptor()->FindFieldByName(field);
    if (descriptor == nullptr || descriptor->is_repeated()) {
      std::vector<std::string> fields;
      for (int i = 0; i < options->GetDescriptor()->field_count(); ++i) {
        if (!options->GetDescriptor()->field(i)->is_repeated())
          fields.push_back(options->GetDescriptor()->field(i)->name());
      }
      return absl::InvalidArgumentError(
          absl::StrCat("stage '", stage, "' (", node.type(), ") has no single option '", field,
                       "'; its options: ", absl::StrJoin(fields, ", ")));
    }
    if (!google::protobuf::TextFormat::ParseFieldValueFromString(value, descriptor,
                                                                 options.get())) {
      return absl::InvalidArgumentError(absl::StrCat("stage '", stage, "': '", value,
                                                     "' is not a valid value for ", field, " (",
                                                     descriptor->type_name(), ")"));
    }
    node.mutable_options()->PackFrom(*options);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("the base config has no stage named '", stage, "'"));
}

absl::StatusOr<std::vector<SweepPoint>> ExpandSweep(const sweep::SweepConfig& sweep,
                                                    const std::string& sweep_dir) {
  std::vector<SweepPoint> points;
  if (!sweep.base_config().empty()) {
    absl::StatusOr<Pipeline> base = LoadPipelineFile(Resolve(sweep_dir, sweep.base_config()));
    if (!base.ok()) return base.status();
    std::vector<SweepPoint> grid(1);
    grid[0].config = base->config;
    for (const sweep::Axis& axis : sweep.axis()) {
      if (axis.values().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("axis ", axis.stage(), ".", axis.field(), " has no values"));
      }
      std::vector<SweepPoint> next;
      for (const SweepPoint& point : grid) {
        for (const std::string& value : axis.values()) {
          SweepPoint extended = point;
          const std::string key = absl::StrCat(axis.stage(), ".", axis.field());
          absl::Status set = SetStageOption(extended.config, axis.stage(), axis.field(), value);
          if (!set.ok()) return set;
          extended.params[key] = value;
          extended.id = extended.id.empty() ? absl::StrCat(key, "=", value)
                                            : absl::StrCat(extended.id, ",", key, "=", value);
          next.push_back(std::move(extended));
        }
      }
      grid = std::move(next);
    }
    if (grid.size() == 1 && grid[0].id.empty()) grid[0].id = "base";
    points = std::move(grid);
  }
  for (const std::string& path : sweep.config()) {
    absl::StatusOr<Pipeline> pipeline = LoadPipelineFile(Resolve(sweep_dir, path));
    if (!pipeline.ok()) return pipeline.status();
    SweepPoint point;
    point.id = path;
    point.params["config"] = path;
    point.config = pipeline->config;
    points.push_back(std::move(point));
  }
  if (points.empty())
    return absl::InvalidArgumentError("the sweep has neither base_config nor config");
  // Validate every point now, so a typo fails the sweep before its first hour: the config, every
  // stage's options (Open), and the stages the sweep reads its figures from.
  for (const SweepPoint& point : points) {
    absl::StatusOr<Pipeline> checked =
        ParsePipelineText(PipelineConfigText(point.config), point.id);
    if (!checked.ok()) return checked.status();
    RETURN_IF_ERROR(OpenStages(*checked).status());
    auto has_stage = [&](const std::string& name) {
      for (const StageNode& node : checked->stages) {
        if (node.name == name) return true;
      }
      return false;
    };
    if (!sweep.throughput_stage().empty() && !has_stage(sweep.throughput_stage())) {
      return absl::InvalidArgumentError(absl::StrCat("throughput_stage '", sweep.throughput_stage(),
                                                     "' names no stage of point ", point.id));
    }
    const std::string recall_stage =
        sweep.recall_metric().substr(0, sweep.recall_metric().find('/'));
    if (!sweep.recall_metric().empty() && !has_stage(recall_stage)) {
      return absl::InvalidArgumentError(
          absl::StrCat("recall_metric '", sweep.recall_metric(), "': no stage '", recall_stage,
                       "' in point ", point.id, " (metrics are named STAGE/METRIC)"));
    }
  }
  return points;
}

absl::StatusOr<std::vector<sweep::PointResult>> LoadResults(const std::string& path) {
  std::vector<sweep::PointResult> results;
  absl::StatusOr<std::string> text = ReadText(path);
  if (!text.ok()) return results;  // no results yet
  size_t complete = 0;             // bytes up to the end of the last good line
  size_t start = 0;
  int line_number = 0;
  while (start < text->size()) {
    const size_t end = text->find('\n', start);
    ++line_number;
    const bool last = end == std::string::npos || end + 1 >= text->size();
    const std::string line =
        text->substr(start, end == std::string::npos ? std::string::npos : end - start);
    sweep::PointResult result;
    const bool parsed =
        !line.empty() && google::protobuf::util::JsonStringToMessage(line, &result).ok();
    if (!parsed || end == std::string::npos) {
      if (!last) {
        return absl::DataLossError(
            absl::StrCat(path, ":", line_number, ": not a result line: ", line));
      }
      break;  // a torn last line: the point in flight when the sweep was killed
    }
    results.push_back(std::move(result));
    complete = end + 1;
    start = end + 1;
  }
  if (complete < text->size()) {
    // Cut the torn tail so the next append starts on a fresh line.
    if (truncate(path.c_str(), static_cast<off_t>(complete)) != 0) {
      return absl::PermissionDeniedError(absl::StrCat("cannot truncate ", path));
    }
  }
  return results;
}

absl::Status AppendResult(const std::string& path, const sweep::PointResult& result) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(result, &json).ok()) {
    return absl::InternalError("cannot print a result as JSON");
  }
  json += "\n";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0)
    return absl::PermissionDeniedError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  const bool written = write(fd, json.data(), json.size()) == static_cast<ssize_t>(json.size());
  fsync(fd);
  close(fd);
  return written ? absl::OkStatus() : absl::DataLossError(absl::StrCat("short write to ", path));
}

absl::StatusOr<std::vector<sweep::PointResult>> RunSweep(const SweepRunOptions& options) {
  const std::string sweep_path = ResolveUserPath(options.sweep_path);
  absl::StatusOr<std::string> text = ReadText(sweep_path);
  if (!text.ok()) return text.status();
  sweep::SweepConfig sweep;
  RETURN_IF_ERROR(ParseTextProto(*text, sweep_path, &sweep));
  // The name names files and the default folder: one path component, nothing that climbs out.
  if (sweep.name().empty() || sweep.name().front() == '.' ||
      sweep.name().find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789_.-") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        sweep_path, ": name '", absl::CHexEscape(sweep.name().substr(0, 100)),
        "' must be letters, digits, '_', '.' or '-' (not starting with '.'): it names files"));
  }
  const std::string sweep_dir = std::filesystem::path(sweep_path).parent_path().string();
  absl::StatusOr<std::vector<SweepPoint>> points = ExpandSweep(sweep, sweep_dir);
  if (!points.ok()) return points.status();

  std::string out_dir = !options.output_dir.empty()   ? options.output_dir
                        : !sweep.output_dir().empty() ? sweep.output_dir()
                                                      : absl::StrCat("sweep_", sweep.name());
  out_dir = ResolveUserPath(out_dir);
  {
    std::error_code error;
    std::filesystem::create_directories(out_dir + "/points", error);
    if (error || !std::filesystem::is_directory(out_dir + "/points", error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("sweep output_dir '", out_dir, "': cannot make the folder ", out_dir,
                       "/points there (", error ? error.message() : "a file is in the way",
                       "); expected a folder this user can write"));
    }
  }
  const std::string results_path = out_dir + "/results.jsonl";
  absl::StatusOr<std::vector<sweep::PointResult>> finished = LoadResults(results_path);
  if (!finished.ok()) return finished.status();
  // The latest result of each (point, resolved config, run arguments): a later line (a rerun)
  // replaces an earlier one; a result of another config or other arguments is never reused.
  // Points run side by side share the machine: their speed is not a serial run's, so --parallel
  // is part of what a result is reused for.
  std::vector<std::string> key_args = options.extra_run_args;
  if (options.parallel > 1) key_args.push_back(absl::StrCat("--parallel=", options.parallel));
  const std::string run_args = absl::StrJoin(key_args, " ");
  auto key = [](const std::string& id, const std::string& sha, const std::string& args) {
    return absl::StrCat(id, "\n", sha, "\n", args);
  };
  absl::flat_hash_map<std::string, sweep::PointResult> by_key;
  for (const sweep::PointResult& r : *finished) {
    by_key[key(r.id(), r.config_sha256(), r.run_args())] = r;
  }
  std::vector<sweep::PointResult> all;

  const int timeout = sweep.timeout_seconds() > 0 ? sweep.timeout_seconds() : 3600;
  Progress progress(absl::StrCat("sweep ", sweep.name()), static_cast<int64_t>(points->size()));
  int64_t done = 0;
  size_t skipped = 0;
  // Results by point; workers take the next point to run, one process each.
  std::vector<sweep::PointResult> by_point(points->size());
  std::atomic<size_t> next{0};
  std::mutex mu;  // guards results.jsonl, progress and the counters
  absl::Status failure;
  auto run_points = [&] {
    for (size_t i = next++; i < points->size(); i = next++) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!failure.ok()) return;  // results can no longer be saved: run nothing more
      }
      const SweepPoint& point = (*points)[i];
      const std::string config_sha256 = Sha256Hex(PipelineConfigText(point.config));
      auto earlier = by_key.find(key(point.id, config_sha256, run_args));
      // Unless asked to keep failures, only a successful result is reused.
      if (earlier != by_key.end() && (earlier->second.ok() || options.keep_failed)) {
        std::lock_guard<std::mutex> lock(mu);
        ++skipped;
        progress.Update(++done, absl::StrCat(point.id, " (finished earlier)"));
        by_point[i] = earlier->second;
        continue;
      }
      // Named by position and config: a point whose config changes gets new files, and a reused
      // result's report and log stay its own.
      const std::string base =
          absl::StrCat(out_dir, "/points/", i, "-", config_sha256.substr(0, 12));
      std::ofstream(base + ".pbtxt") << "# sweep " << sweep.name() << " point " << point.id << "\n"
                                     << PipelineConfigText(point.config);
      std::vector<std::string> argv = {options.trawl_binary, "run", base + ".pbtxt",
                                       absl::StrCat("--report=", base, ".json")};
      argv.insert(argv.end(), options.extra_run_args.begin(), options.extra_run_args.end());
      std::remove((base + ".json").c_str());
      const std::string error = RunInChildProcess(argv, base + ".log", timeout);

      sweep::PointResult result;
      result.set_id(point.id);
      result.set_config_sha256(config_sha256);
      result.set_run_args(run_args);
      for (const auto& [k, v] : point.params) (*result.mutable_params())[k] = v;
      result.set_report_path(base + ".json");
      result.set_ok(error.empty());
      if (!error.empty()) {
        result.set_error(error);
      } else {
        ReadReport(base + ".json", sweep, result);
      }
      std::lock_guard<std::mutex> lock(mu);
      absl::Status appended = AppendResult(results_path, result);
      if (!appended.ok() && failure.ok()) failure = appended;
      by_point[i] = result;
      progress.Update(++done,
                      absl::StrCat(point.id, result.ok() ? " ok" : " FAILED: " + result.error()));
    }
  };
  std::vector<std::thread> workers;
  for (int w = 1; w < std::max(1, options.parallel); ++w) workers.emplace_back(run_points);
  run_points();
  for (std::thread& worker : workers) worker.join();
  RETURN_IF_ERROR(failure);
  all = std::move(by_point);
  progress.Finish();
  if (skipped > 0) std::fprintf(stderr, "skipped %zu points finished earlier\n", skipped);

  absl::Status written = WriteSweepOutputs(all, sweep, out_dir);
  if (!written.ok()) return written;
  return all;
}

}  // namespace trawl
