#include "tools/sweep/sweep_runner.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "pipelines/config_loader.h"

namespace trawl {
namespace {

using ::testing::HasSubstr;

// A small IVF pipeline: each sweep point takes a fraction of a second.
constexpr char kBase[] = R"cfg(
  name: "small_ivf"
  memory { device: CPU }
  stage {
    type: "synth_dense" name: "generate" output: "corpus:corpus" output: "queries:queries"
    options { [type.googleapis.com/trawl.synth.SynthDenseOptions] { num_vectors: 20000 num_queries: 200 dim: 32 num_clusters: 100 } }
  }
  stage {
    type: "faiss_index_build" name: "index" input: "corpus:corpus" output: "index:index"
    options { [type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { index_type: IVF_FLAT nlist: 64 } }
  }
  stage {
    type: "faiss_search" name: "search" input: "index:index" input: "queries:queries" output: "results:results"
    options { [type.googleapis.com/trawl.dense.FaissSearchOptions] { k: 10 } }
  }
  stage {
    type: "exact_knn" name: "truth" input: "corpus:corpus" input: "queries:queries" output: "ground_truth:truth"
    options { [type.googleapis.com/trawl.dense.ExactKnnOptions] { k: 10 } }
  }
  stage {
    type: "knn_recall" name: "eval" input: "results:results" input: "ground_truth:truth" output: "metrics:m"
    options { [type.googleapis.com/trawl.eval.KnnRecallOptions] { at: 10 } }
  }
)cfg";

std::string Dir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string Trawl() { return std::string(std::getenv("TEST_SRCDIR")) + "/trawl/tools/trawl"; }

std::string WriteSweep(const std::string& dir, const std::string& axes) {
  std::ofstream(dir + "/base.pbtxt") << kBase;
  std::ofstream(dir + "/sweep.pbtxt")
      << "name: \"t\" base_config: \"base.pbtxt\" " << axes
      << " recall_metric: \"eval/recall@10\" throughput_stage: \"search\""
      << " output_dir: \"" << dir << "/out\"";
  return dir + "/sweep.pbtxt";
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(SweepRunnerTest, GridIsTheCartesianProductFirstAxisOutermost) {
  const std::string dir = Dir("grid");
  WriteSweep(dir, "");
  sweep::SweepConfig sweep;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "base_config: \"base.pbtxt\" axis { stage: \"index\" field: \"nlist\" values: \"16\" values: "
      "\"32\" }"
      " axis { stage: \"search\" field: \"nprobe\" values: \"1\" values: \"4\" }",
      &sweep));
  absl::StatusOr<std::vector<SweepPoint>> points = ExpandSweep(sweep, dir);
  ASSERT_TRUE(points.ok()) << points.status();
  std::vector<std::string> ids;
  for (const SweepPoint& p : *points) ids.push_back(p.id);
  EXPECT_THAT(ids, ::testing::ElementsAre(
                       "index.nlist=16,search.nprobe=1", "index.nlist=16,search.nprobe=4",
                       "index.nlist=32,search.nprobe=1", "index.nlist=32,search.nprobe=4"));
  EXPECT_EQ((*points)[3].params.at("index.nlist"), "32");
  const std::string text = PipelineConfigText((*points)[3].config);
  EXPECT_THAT(text, HasSubstr("nlist: 32"));
  EXPECT_THAT(text, HasSubstr("nprobe: 4"));
}

TEST(SweepRunnerTest, ListedConfigsAreOnePointEach) {
  const std::string dir = Dir("list");
  WriteSweep(dir, "");
  std::string other = kBase;
  other.replace(other.find("name: \"small_ivf\""), 17, "name: \"other\"");
  std::ofstream(dir + "/other.pbtxt") << other;
  sweep::SweepConfig sweep;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "config: \"base.pbtxt\" config: \"other.pbtxt\"", &sweep));
  absl::StatusOr<std::vector<SweepPoint>> points = ExpandSweep(sweep, dir);
  ASSERT_TRUE(points.ok()) << points.status();
  ASSERT_EQ(points->size(), 2);
  EXPECT_EQ((*points)[1].id, "other.pbtxt");
  EXPECT_EQ((*points)[1].config.name(), "other");
  sweep.add_config("missing.pbtxt");
  EXPECT_EQ(ExpandSweep(sweep, dir).status().code(), absl::StatusCode::kNotFound);
}

TEST(SweepRunnerTest, BadAxesFailBeforeAnythingRuns) {
  PipelineConfig config;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(kBase, &config));
  EXPECT_EQ(SetStageOption(config, "serch", "nprobe", "1").message(),
            "the base config has no stage named 'serch'");
  EXPECT_EQ(
      SetStageOption(config, "search", "nprob", "1").message(),
      "stage 'search' (faiss_search) has no single option 'nprob'; its options: k, nprobe, params, "
      "query_batch");
  EXPECT_EQ(SetStageOption(config, "search", "nprobe", "many").message(),
            "stage 'search': 'many' is not a valid value for nprobe (int32)");
}

TEST(SweepRunnerTest, TornLastLineIsDroppedAndCorruptMiddleLineIsAnError) {
  const std::string dir = Dir("results");
  const std::string path = dir + "/results.jsonl";
  sweep::PointResult a;
  a.set_id("a");
  a.set_ok(true);
  ASSERT_TRUE(AppendResult(path, a).ok());
  std::ofstream(path, std::ios::app) << "{\"id\": \"b\", \"o";  // killed mid-write
  absl::StatusOr<std::vector<sweep::PointResult>> loaded = LoadResults(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 1);
  EXPECT_EQ(Lines(path).size(), 1);  // the torn tail is cut, the next append starts clean

  std::ofstream(path, std::ios::app) << "garbage\n{\"id\": \"c\"}\n";
  absl::Status corrupt = LoadResults(path).status();
  EXPECT_EQ(corrupt.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(corrupt.message(), path + ":2: not a result line: garbage");
}

TEST(SweepRunnerTest, ChildProcessFailuresAreDescribed) {
  const std::string log = ::testing::TempDir() + "/child.log";
  EXPECT_EQ(RunInChildProcess({"/bin/sh", "-c", "echo fine"}, log, 10), "");
  EXPECT_EQ(RunInChildProcess({"/bin/sh", "-c", "echo 'trawl: no GPU' >&2; exit 1"}, log, 10),
            "trawl: no GPU");
  EXPECT_EQ(RunInChildProcess({"/bin/sh", "-c", "echo partial; kill -ABRT $$"}, log, 10),
            "crashed: signal 6 (Aborted); last output: partial");
  EXPECT_EQ(RunInChildProcess({"/bin/sleep", "5"}, log, 1), "killed after the 1 s timeout");
}

TEST(SweepRunnerTest, FailedPointIsRecordedAndTheSweepGoesOn) {
  const std::string dir = Dir("failing");
  const std::string path = WriteSweep(
      dir, "axis { stage: \"index\" field: \"train_size\" values: \"10\" values: \"0\" }");
  SweepRunOptions options{path, Trawl(), ""};
  absl::StatusOr<std::vector<sweep::PointResult>> results = RunSweep(options);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 2);
  EXPECT_FALSE((*results)[0].ok());  // 64 lists cannot be trained on 10 vectors: FAISS throws
  EXPECT_THAT((*results)[0].error(),
              HasSubstr("stage 'index' (faiss_index_build): building IVF64,Flat"));
  EXPECT_TRUE((*results)[1].ok()) << (*results)[1].error();
  EXPECT_GT((*results)[1].recall(), 0.3);
  EXPECT_GT((*results)[1].queries_per_second(), 0);
  EXPECT_TRUE(std::filesystem::exists(dir + "/out/plot.svg"));
  EXPECT_EQ(Lines(dir + "/out/summary.csv").size(), 3);
}

TEST(SweepRunnerTest, ParallelPointsGiveTheSerialResultsInPointOrder) {
  const std::string axes =
      "axis { stage: \"search\" field: \"nprobe\" values: \"1\" values: \"4\" values: \"16\" "
      "values: \"64\" }";
  const std::string serial_dir = Dir("serial"), parallel_dir = Dir("parallel");
  SweepRunOptions serial{WriteSweep(serial_dir, axes), Trawl(), ""};
  SweepRunOptions parallel{WriteSweep(parallel_dir, axes), Trawl(), ""};
  parallel.parallel = 3;
  absl::StatusOr<std::vector<sweep::PointResult>> a = RunSweep(serial);
  absl::StatusOr<std::vector<sweep::PointResult>> b = RunSweep(parallel);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(a->size(), 4);
  ASSERT_EQ(b->size(), 4);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE((*b)[i].ok()) << (*b)[i].error();
    EXPECT_EQ((*a)[i].id(), (*b)[i].id());
    EXPECT_EQ((*a)[i].recall(), (*b)[i].recall());  // the same computation, side by side
  }
  EXPECT_EQ(Lines(parallel_dir + "/out/results.jsonl").size(), 4);
}

TEST(SweepRunnerTest, FailedPointsRunAgainUnlessKeptAndStaleConfigsRerun) {
  const std::string dir = Dir("rerun");
  const std::string path = WriteSweep(
      dir, "axis { stage: \"index\" field: \"train_size\" values: \"10\" values: \"0\" }");
  SweepRunOptions options{path, Trawl(), ""};
  ASSERT_TRUE(RunSweep(options).ok());
  const std::string results = dir + "/out/results.jsonl";
  ASSERT_EQ(Lines(results).size(), 2);

  // Kept: nothing runs.
  options.keep_failed = true;
  ASSERT_TRUE(RunSweep(options).ok());
  EXPECT_EQ(Lines(results).size(), 2);
  // Default: the failed point runs again (and fails again), the good one is reused.
  options.keep_failed = false;
  ASSERT_TRUE(RunSweep(options).ok());
  std::vector<std::string> lines = Lines(results);
  ASSERT_EQ(lines.size(), 3);
  EXPECT_THAT(lines[2], HasSubstr("{\"id\":\"index.train_size=10\""));

  // An edited base config changes every point's hash: both run again.
  std::string base = kBase;
  base.replace(base.find("k: 10 }"), 7, "k: 20 }");
  std::ofstream(dir + "/base.pbtxt") << base;
  absl::StatusOr<std::vector<sweep::PointResult>> rerun = RunSweep(options);
  ASSERT_TRUE(rerun.ok()) << rerun.status();
  EXPECT_EQ(Lines(results).size(), 5);
  EXPECT_NE((*rerun)[1].config_sha256(), "");
}

TEST(SweepRunnerTest, SyntaxErrorsNameTheLine) {
  const std::string dir = Dir("syntax");
  std::ofstream(dir + "/sweep.pbtxt")
      << "name: \"t\"\nbase_config: \"b.pbtxt\"\naxis { stage: \"s\" feild: \"x\" }\n";
  SweepRunOptions options{dir + "/sweep.pbtxt", Trawl(), ""};
  absl::Status status = RunSweep(options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr(dir + "/sweep.pbtxt:3:24: Message type \"trawl.sweep.Axis\" has no field "
                              "named \"feild\". Its fields are: stage, field, values."));
}

// A name climbing out of its folder, an output_dir that is a file, and figures read from a stage
// or metric the points do not have: each an error before any point runs.
TEST(SweepRunnerTest, NamesOutputFoldersAndFiguresAreCheckedBeforeAnyPoint) {
  const std::string dir = Dir("checked");
  WriteSweep(dir, "");
  auto run = [&](const std::string& name, const std::string& recall, const std::string& stage,
                 const std::string& output_dir) {
    std::ofstream(dir + "/changed.pbtxt")
        << "name: \"" << name << "\" base_config: \"base.pbtxt\" recall_metric: \"" << recall
        << "\" throughput_stage: \"" << stage << "\"";
    SweepRunOptions options{dir + "/changed.pbtxt", Trawl(), output_dir};
    return RunSweep(options).status();
  };
  const std::string out = dir + "/out";
  absl::Status status = run("../../escape", "eval/recall@10", "search", out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("must be letters, digits"));

  std::ofstream(dir + "/a_file") << "not a folder";
  status = run("t", "eval/recall@10", "search", dir + "/a_file");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("expected a folder this user can write"));
  EXPECT_EQ(run("t", "eval/recall@10", "search", "/proc/trawl_sweep").code(),
            absl::StatusCode::kInvalidArgument);

  status = run("t", "eval/recall@10", "no_such_stage", out);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("throughput_stage 'no_such_stage' names no stage of point"));
  status = run("t", "nowhere/recall@10", "search", out);
  EXPECT_THAT(std::string(status.message()), HasSubstr("no stage 'nowhere'"));
  EXPECT_FALSE(std::filesystem::exists(out + "/results.jsonl"));  // no point ran
}

TEST(SweepRunnerTest, KillNineMidwayThenRerunSkipsFinishedPoints) {
  const std::string dir = Dir("resume");
  const std::string path = WriteSweep(
      dir,
      "axis { stage: \"search\" field: \"nprobe\" values: \"1\" values: \"2\" values: \"4\" "
      "values: \"8\" values: \"16\" values: \"32\" }");
  const std::string results = dir + "/out/results.jsonl";
  const pid_t pid = fork();
  if (pid == 0) {
    if (freopen("/dev/null", "w", stdout) == nullptr ||
        freopen("/dev/null", "w", stderr) == nullptr)
      _exit(126);
    execl(Trawl().c_str(), Trawl().c_str(), "sweep", path.c_str(), nullptr);
    _exit(127);
  }
  // Kill the sweep as soon as two points have finished.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (Lines(results).size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  const size_t finished = Lines(results).size();
  ASSERT_GE(finished, 2u);
  ASSERT_LT(finished, 6u) << "the sweep finished before it could be killed";
  std::ofstream(results, std::ios::app) << "{\"id\": \"search.nprobe=";  // torn write
  // The first point's log (points/0-<sha of its config>.log).
  std::string log0;
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/out/points")) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("0-", 0) == 0 && entry.path().extension() == ".log") log0 = entry.path();
  }
  ASSERT_FALSE(log0.empty());
  struct stat first_log;
  ASSERT_EQ(stat(log0.c_str(), &first_log), 0);

  SweepRunOptions options{path, Trawl(), ""};
  absl::StatusOr<std::vector<sweep::PointResult>> all = RunSweep(options);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 6);
  std::vector<std::string> lines = Lines(results);
  EXPECT_EQ(lines.size(), 6);  // each point exactly once, no torn line left
  for (const sweep::PointResult& r : *all) EXPECT_TRUE(r.ok()) << r.id() << ": " << r.error();
  // Recall grows with nprobe; the finished points were not run again.
  EXPECT_LE((*all)[0].recall(), (*all)[5].recall());
  struct stat after;
  ASSERT_EQ(stat(log0.c_str(), &after), 0);
  EXPECT_EQ(after.st_mtim.tv_nsec, first_log.st_mtim.tv_nsec);
  EXPECT_EQ(after.st_mtim.tv_sec, first_log.st_mtim.tv_sec);
}

}  // namespace
}  // namespace trawl
