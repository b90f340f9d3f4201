// `trawl sweep`: expands a SweepConfig into points, runs each point in its own process (FAISS and
// CUDA failures can abort a process: a crash costs one point, not the sweep), and appends each
// result to results.jsonl as it finishes. A rerun skips the points that finished successfully
// with the same resolved config and run arguments (keyed by the config's SHA-256, so editing the
// base config reruns them) and runs failed, crashed or timed-out points again unless keep_failed
// is set; kill -9 in the middle loses only the point in flight, and a half-written last line is
// dropped on reload.
//
//   output_dir/points/<n>-<sha>.pbtxt  the point's pipeline (n: its position, sha: its config's)
//   output_dir/points/<n>-<sha>.json   its report; .log its output
//   output_dir/results.jsonl           one line per run
//   output_dir/summary.csv, plot.svg (+ plot.png when rsvg-convert is installed)
//
// Not thread-safe; one sweep per output directory at a time.
#ifndef TRAWL_TOOLS_SWEEP_SWEEP_RUNNER_H_
#define TRAWL_TOOLS_SWEEP_SWEEP_RUNNER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pipelines/pipeline.pb.h"
#include "tools/sweep/sweep.pb.h"

namespace trawl {

struct SweepPoint {
  std::string id;                             // "search.nprobe=16,index.nlist=1024"
  std::map<std::string, std::string> params;  // "search.nprobe" -> "16"
  PipelineConfig config;
};

// Sets option `field` of stage `stage` in `config` from its text form. InvalidArgument naming the
// stage, the field (with the valid ones) or the value.
absl::Status SetStageOption(PipelineConfig& config, const std::string& stage,
                            const std::string& field, const std::string& value);

// The grid's points (cartesian product, first axis outermost), then one per listed config.
// Paths resolve against `sweep_dir`. Each point's config is validated before anything runs.
absl::StatusOr<std::vector<SweepPoint>> ExpandSweep(const sweep::SweepConfig& sweep,
                                                    const std::string& sweep_dir);

// results.jsonl: every complete line; a torn last line (a kill mid-write) is cut off the file.
// DataLoss naming the line for a corrupt line that is not the last.
absl::StatusOr<std::vector<sweep::PointResult>> LoadResults(const std::string& path);
absl::Status AppendResult(const std::string& path, const sweep::PointResult& result);

// Runs `argv` (argv[0] a path) in a child process with stdout and stderr to `log_path`, killing
// it after `timeout_seconds`. Empty on exit status 0; otherwise how it ended: its last output
// line, "crashed: signal 6 (Aborted); last output: ...", or "killed after the N s timeout".
std::string RunInChildProcess(const std::vector<std::string>& argv, const std::string& log_path,
                              int timeout_seconds);

struct SweepRunOptions {
  std::string sweep_path;                   // the SweepConfig text file
  std::string trawl_binary;                 // runs each point: TRAWL_BINARY run POINT --report=...
  std::string output_dir;                   // overrides the config's
  std::vector<std::string> extra_run_args;  // e.g. --device=cpu
  bool keep_failed = false;  // reuse failed points' results instead of running them again
  // Points run side by side, each its own process; on one GPU they share it through the memory
  // stage's ledger (memory/device_ledger.h), waiting for each other instead of failing.
  int parallel = 1;
};

// Runs the sweep; returns every point's result (finished earlier or now), in point order.
absl::StatusOr<std::vector<sweep::PointResult>> RunSweep(const SweepRunOptions& options);

}  // namespace trawl

#endif  // TRAWL_TOOLS_SWEEP_SWEEP_RUNNER_H_
