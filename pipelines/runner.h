// Runs a validated pipeline: opens every stage (so bad options fail before any work), then runs the
// stages in config order, timing each, and writes the JSON report (pipelines/report.proto).
//
//   PipelineRun run = RunPipeline(pipeline, env, {.report_path = "trawl_report.json"});
//   if (!run.status.ok()) ...  // run.report still holds every stage that finished
//
// A value is released after the last stage that reads it, unless named in keep_slots.
// Thread-compatible: one pipeline per call; separate calls may run concurrently.
#ifndef TRAWL_PIPELINES_RUNNER_H_
#define TRAWL_PIPELINES_RUNNER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pipelines/pipeline.h"
#include "pipelines/report.pb.h"
#include "pipelines/slot.h"
#include "pipelines/stage.h"

namespace trawl {

struct RunOptions {
  // Where to write the JSON report (resolved as a user path); empty writes none.
  std::string report_path;
  // Pipeline slots to hand back in PipelineRun::slots after the run.
  std::vector<std::string> keep_slots;
};

struct PipelineRun {
  absl::Status status;  // OK, or the error that stopped the run, prefixed with the stage
  RunReport report;     // always filled, also on failure
  absl::flat_hash_map<std::string, SlotValue> slots;  // the kept slots that hold a value
  // Whether the report was written to RunOptions::report_path: never over the config, a device
  // or a file a stage reads or writes (CheckFileUses says which), also when the run failed.
  bool report_written = false;
};

PipelineRun RunPipeline(const Pipeline& pipeline, const RunEnvironment& env,
                        const RunOptions& options = {});

// Checks, before any stage runs, the files and folders of the opened `stages` (FileUse) and the
// report at `report_path` (may be empty): every input no earlier stage writes is there and
// readable (a regular file, or a folder); an output file must be absent or a regular file, in a
// folder that exists and is writable; no output may be the config or a file or folder a stage
// reads, unless an earlier stage writes it (an index written, then read back); two stages may not
// write one path. An error names the stage, its config line and the path. `trawl run` and
// `trawl validate` both call it.
absl::Status CheckFileUses(const Pipeline& pipeline,
                           const std::vector<std::unique_ptr<StageBase>>& stages,
                           const std::string& report_path);

// OK when the report may be written to `report_path` (resolved as a user path): absent or a
// regular file, and not the config at `config_path` (may be empty). Checked before any stage runs
// and before any report is written, also for a run whose config did not load.
absl::Status CheckReportPath(const std::string& report_path, const std::string& config_path);

// Opens every stage of `pipeline` (its options checked, nothing run); errors name the config
// line and the stage.
absl::StatusOr<std::vector<std::unique_ptr<StageBase>>> OpenStages(const Pipeline& pipeline);

// Fills the report's closing fields: wall time, ok, and the error when `status` is not OK. Also
// for runs that stop before RunPipeline (a config that does not load still gets its report).
void FinishReport(const absl::Status& status, absl::Duration wall, RunReport& report);

// Writes `report` as indented JSON to `path` (resolved as a user path). The file is replaced
// atomically, so a reader never sees half a report.
absl::Status WriteReportJson(const RunReport& report, const std::string& path);

}  // namespace trawl

#endif  // TRAWL_PIPELINES_RUNNER_H_
