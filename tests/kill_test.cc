// Nothing torn: `trawl run` killed with SIGKILL at random moments (until 20 kills have landed while
// it runs) leaves each output file (the run file and the JSON report) absent, as it was before, or
// complete — never half written. Outputs are written to a temporary file and renamed into place.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "pipelines/report.pb.h"

namespace trawl {
namespace {

// Big enough that the run takes a noticeable time, small enough for 20 runs in a test.
constexpr char kConfig[] = R"cfg(name: "kill"
memory { device: CPU }
stage {
  type: "synth_dense" name: "generate" output: "corpus:corpus" output: "queries:queries"
  options { [type.googleapis.com/trawl.synth.SynthDenseOptions] {
    num_vectors: 20000 num_queries: 300 dim: 64 num_clusters: 100 seed: 7 } }
}
stage {
  type: "faiss_index_build" name: "index" input: "corpus:corpus" output: "index:index"
}
stage {
  type: "faiss_search" name: "search" input: "index:index" input: "queries:queries"
  output: "results:results"
  options { [type.googleapis.com/trawl.dense.FaissSearchOptions] { k: 100 } }
}
stage {
  type: "trec_run_writer" name: "write" input: "results:results"
  options { [type.googleapis.com/trawl.io.TrecRunWriterOptions] { path: "kill.run" } }
}
)cfg";

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Starts `trawl run` in `dir`; returns its pid.
pid_t StartRun(const std::string& dir) {
  const std::string trawl = std::string(std::getenv("TEST_SRCDIR")) + "/trawl/tools/trawl";
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) _exit(126);
    if (freopen("/dev/null", "w", stdout) == nullptr) _exit(126);
    if (freopen("/dev/null", "w", stderr) == nullptr) _exit(126);
    unsetenv("BUILD_WORKING_DIRECTORY");
    execl(trawl.c_str(), trawl.c_str(), "run", "--report=report.json", "kill.pbtxt", nullptr);
    _exit(127);
  }
  return pid;
}

bool CompleteReport(const std::string& json) {
  RunReport report;
  return google::protobuf::util::JsonStringToMessage(json, &report).ok() && report.ok() &&
         report.stage_size() == 4;
}

TEST(KillTest, OutputsAreAbsentPreviousOrComplete) {
  const std::string dir = ::testing::TempDir() + "/kill";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/kill.pbtxt") << kConfig;

  // Two full runs: their outputs are the "previous" versions, and the second (warm) one's time
  // bounds the kill delays.
  int status = 0;
  double seconds = 0;
  for (int warm = 0; warm < 2; ++warm) {
    const auto start = std::chrono::steady_clock::now();
    waitpid(StartRun(dir), &status, 0);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const std::string previous_run = Read(dir + "/kill.run");
  ASSERT_GT(previous_run.size(), 1000u);
  ASSERT_TRUE(CompleteReport(Read(dir + "/report.json")));

  std::mt19937 rng(11);
  std::uniform_real_distribution<double> delay(0.0, seconds * 0.9);
  int killed_mid_run = 0;
  // At least 20 kills that land while the run is going (a few runs may finish first).
  for (int i = 0; i < 60 && killed_mid_run < 20; ++i) {
    SCOPED_TRACE(absl::StrCat("kill ", i));
    // Every third round starts from no outputs at all, so "absent" is exercised too.
    if (i % 3 == 2) {
      std::filesystem::remove(dir + "/kill.run");
      std::filesystem::remove(dir + "/report.json");
    }
    const pid_t pid = StartRun(dir);
    std::this_thread::sleep_for(std::chrono::duration<double>(delay(rng)));
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    killed_mid_run += WIFSIGNALED(status);
    // The run is deterministic: a complete run file is the previous one, byte for byte.
    if (std::filesystem::exists(dir + "/kill.run")) {
      EXPECT_EQ(Read(dir + "/kill.run"), previous_run);
    }
    if (std::filesystem::exists(dir + "/report.json")) {
      EXPECT_TRUE(CompleteReport(Read(dir + "/report.json")));
    }
  }
  EXPECT_GE(killed_mid_run, 20);
}

}  // namespace
}  // namespace trawl
