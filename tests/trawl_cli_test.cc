// The trawl command line as users meet it: exit statuses, one clear error line, validate's full
// list, run's summary and report file.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trawl {
namespace {

using ::testing::HasSubstr;

struct Result {
  int status;
  std::string out;
  std::string err;
};

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Runfile(const std::string& path) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/trawl/" + path;
}

// Runs trawl with `args` from a scratch directory (as the user's working directory).
Result Trawl(const std::string& args) {
  const std::string dir = ::testing::TempDir();
  const std::string command = "cd " + dir + " && " + Runfile("tools/trawl") + " " + args + " >" +
                              dir + "/out.txt 2>" + dir + "/err.txt";
  const int raw = std::system(command.c_str());
  return Result{WEXITSTATUS(raw), Read(dir + "/out.txt"), Read(dir + "/err.txt")};
}

std::string WriteConfig(const std::string& name, std::string text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string BrokenQuickstart() {
  std::string text = Read(Runfile("configs/quickstart.pbtxt"));
  text.replace(text.find("type: \"faiss_search\""), 20, "type: \"faiss_serch\"");
  text.replace(text.find("input: \"queries:queries\"\n  output: \"ground_truth"), 24,
               "input: \"queries:qeries\"");
  return WriteConfig("broken.pbtxt", text);
}

TEST(TrawlCliTest, ValidateListsEveryProblemAndRunPrintsOneLine) {
  const std::string broken = BrokenQuickstart();
  Result validate = Trawl("validate " + broken);
  EXPECT_EQ(validate.status, 1);
  EXPECT_THAT(validate.err, HasSubstr("broken.pbtxt:39: unknown stage type 'faiss_serch'"));
  EXPECT_THAT(validate.err,
              HasSubstr("input 'queries' reads slot 'qeries', which no earlier stage outputs"));
  EXPECT_EQ(std::count(validate.err.begin(), validate.err.end(), '\n'), 2);

  Result run = Trawl("run " + broken);
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_THAT(run.err, HasSubstr("trawl: "));
  EXPECT_THAT(run.err, HasSubstr("(and 1 more; see trawl validate)"));
}

TEST(TrawlCliTest, ValidOkAndExplainOnASimulatedCard) {
  Result ok =
      Trawl("validate --explain --simulate_gpu_mb=24576 " + Runfile("configs/quickstart.pbtxt"));
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("OK, 8 stages"));
  EXPECT_THAT(ok.out,
              HasSubstr("memory stage before 'index' (faiss_index_build, INDEX_BUILD): "
                        "host validation, pinned buffer, cleanup, temp tier, device ladder"));
  EXPECT_THAT(ok.out, HasSubstr("memory stage before 'search' (faiss_search, SEARCH): "));
  // exact_knn runs on the GPU too; knn_recall and the writers get no memory stage.
  EXPECT_THAT(ok.out, HasSubstr("memory stage before 'ground_truth' (exact_knn, SEARCH)"));
  EXPECT_THAT(ok.out, ::testing::Not(HasSubstr("'eval' (knn_recall")));
  EXPECT_THAT(ok.out, HasSubstr("temp memory: requested 2.0 GiB, effective 1.5 GiB"));
  EXPECT_THAT(ok.out, HasSubstr("try  full (temp 1.5 GiB, pinned 256 MiB)"));
}

TEST(TrawlCliTest, RunWritesTheReportWhereTheUserIs) {
  Result run =
      Trawl("run --device=cpu --report=my_report.json " + Runfile("configs/quickstart.pbtxt"));
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.err, "");  // quiet: no log lines
  EXPECT_THAT(run.out, HasSubstr("pipeline quickstart on cpu"));
  EXPECT_THAT(run.out, HasSubstr("eval/recall@10                 1.0000"));
  EXPECT_THAT(Read(::testing::TempDir() + "/my_report.json"),
              HasSubstr("\"pipeline\": \"quickstart\""));
}

TEST(TrawlCliTest, RunDirectlyRelativePathsResolveAgainstTheCurrentDirectory) {
  // As a user runs bazel-bin/tools/trawl outside Bazel: no BUILD_WORKING_DIRECTORY, a relative
  // config path, relative outputs.
  const std::string dir = ::testing::TempDir() + "/elsewhere";
  ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
  std::ofstream(dir + "/quick.pbtxt") << Read(Runfile("configs/quickstart.pbtxt"));
  const std::string command = "cd " + dir + " && env -u BUILD_WORKING_DIRECTORY " +
                              Runfile("tools/trawl") + " run --device=cpu quick.pbtxt >" + dir +
                              "/out.txt 2>&1";
  ASSERT_EQ(WEXITSTATUS(std::system(command.c_str())), 0) << Read(dir + "/out.txt");
  EXPECT_THAT(Read(dir + "/trawl_report.json"), HasSubstr("\"pipeline\": \"quickstart\""));
  EXPECT_THAT(Read(dir + "/quickstart.run"), HasSubstr(" Q0 "));
}

TEST(TrawlCliTest, BadFlagsAndCommandsSayWhatIsExpected) {
  Result device = Trawl("run --report= --device=tpu " + Runfile("configs/quickstart.pbtxt"));
  EXPECT_EQ(device.status, 1);
  EXPECT_EQ(device.err, "trawl: --device=tpu: expected auto, gpu or cpu\n");
  // A run that fails before any stage still writes its report, saying why.
  const std::string report = ::testing::TempDir() + "/early.json";
  std::remove(report.c_str());
  Result missing = Trawl("run --report=early.json /nonexistent.pbtxt");
  EXPECT_EQ(missing.err,
            "trawl: cannot read pipeline config '/nonexistent.pbtxt' (report: early.json)\n");
  EXPECT_THAT(Read(report),
              HasSubstr("\"error\": \"cannot read pipeline config '/nonexistent.pbtxt'\""));
  EXPECT_THAT(Read(report), HasSubstr("\"ok\": false"));
  Result usage = Trawl("frobnicate");
  EXPECT_EQ(usage.status, 2);
  EXPECT_THAT(usage.err, HasSubstr("trawl run CONFIG"));
  Result eval = Trawl("eval -m P.5 " + Runfile("tests/testdata/tiny/qrels.txt") + " " +
                      Runfile("tests/testdata/tiny/bad_run.txt"));
  EXPECT_EQ(eval.status, 1);
  EXPECT_THAT(eval.err, HasSubstr("bad_run.txt:3: expected at least 6 columns"));
}

}  // namespace
}  // namespace trawl
