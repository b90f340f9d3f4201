// Nothing a user has is destroyed by a run, as a careless user would find out: outputs that are
// inputs, the config, a device or a user's folder are refused before any stage runs; two runs
// writing one output leave one complete file of one of them; a failed run says what it had
// already replaced. Through the real `trawl` binary, from a scratch directory.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "faiss/IndexFlat.h"
#include "faiss/IndexIVFFlat.h"
#include "faiss/index_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trawl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Dir() { return ::testing::TempDir(); }

std::string Trawl() { return std::string(std::getenv("TEST_SRCDIR")) + "/trawl/tools/trawl"; }

struct Result {
  int status;
  std::string err;
};

// `trawl ARGS` from the scratch directory; stderr kept.
Result RunTrawl(const std::string& args, const std::string& tag = "cmd") {
  const std::string err = Dir() + "/" + tag + ".err";
  const int raw = std::system(
      absl::StrCat("cd ", Dir(), " && ", Trawl(), " ", args, " 2>", err, " >/dev/null").c_str());
  return Result{WEXITSTATUS(raw), Read(err)};
}

void Write(const std::string& name, const std::string& text) {
  std::ofstream(Dir() + "/" + name, std::ios::trunc) << text;
}

// Generated vectors, exact search, a run file at RUN_PATH; SEED makes two runs' files differ.
std::string SearchConfig(const std::string& run_path, int seed, int queries = 50,
                         const std::string& extra = "") {
  return absl::StrCat(R"(name: "safety"
stage { type: "synth_dense" name: "generate" output: "corpus:corpus" output: "queries:queries"
  options { [type.googleapis.com/trawl.synth.SynthDenseOptions] {
    num_vectors: 2000 num_queries: )",
                      queries, R"( dim: 8 num_clusters: 10 seed: )", seed, R"( } } }
stage { type: "exact_knn" name: "search" input: "corpus:corpus" input: "queries:queries"
  output: "ground_truth:results"
  options { [type.googleapis.com/trawl.dense.ExactKnnOptions] { k: 100 cpu_only: true } } }
stage { type: "trec_run_writer" name: "write" input: "results:results"
  options { [type.googleapis.com/trawl.io.TrecRunWriterOptions] { path: ")",
                      run_path, R"(" } } }
)",
                      extra);
}

TEST(DataSafetyTest, AnOutputThatIsAnInputOfTheRunIsRefusedBeforeAnyStage) {
  Write("input.tsv", "q1\tsome text\n");
  const std::string config = absl::StrCat(R"(name: "clobber"
stage { type: "text_reader" name: "read" output: "texts:texts"
  options { [type.googleapis.com/trawl.io.TextReaderOptions] { path: "input.tsv" } } }
stage { type: "synth_dense" name: "generate" output: "corpus:corpus" output: "queries:queries"
  options { [type.googleapis.com/trawl.synth.SynthDenseOptions] {
    num_vectors: 100 num_queries: 5 dim: 4 num_clusters: 2 } } }
stage { type: "exact_knn" name: "search" input: "corpus:corpus" input: "queries:queries"
  output: "ground_truth:results"
  options { [type.googleapis.com/trawl.dense.ExactKnnOptions] { k: 3 cpu_only: true } } }
stage { type: "trec_run_writer" name: "write" input: "results:results"
  options { [type.googleapis.com/trawl.io.TrecRunWriterOptions] { path: "input.tsv" } } }
)");
  Write("clobber.pbtxt", config);
  for (const char* command : {"run", "validate"}) {
    Result result = RunTrawl(absl::StrCat(command, " clobber.pbtxt"));
    EXPECT_EQ(result.status, 1) << command;
    EXPECT_THAT(result.err, HasSubstr("stage 'write'")) << command;
    EXPECT_THAT(result.err, HasSubstr("which stage 'read'")) << command;
    EXPECT_THAT(result.err, HasSubstr("reads as an input of this run")) << command;
    EXPECT_EQ(Read(Dir() + "/input.tsv"), "q1\tsome text\n") << command;
  }
}

TEST(DataSafetyTest, TheReportMayNotReplaceTheConfigOrADevice) {
  Write("config.pbtxt", SearchConfig("config.run", 1));
  const std::string before = Read(Dir() + "/config.pbtxt");
  Result result = RunTrawl("run --report=config.pbtxt config.pbtxt");
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err, HasSubstr("the pipeline config itself"));
  EXPECT_EQ(Read(Dir() + "/config.pbtxt"), before);
  EXPECT_FALSE(fs::exists(Dir() + "/config.run"));  // refused before any stage ran
  // Also when the config does not load: the early-failure report is not written over it.
  Write("broken.pbtxt", "name: \"broken\" stage { type: \"no_such_stage\" }\n");
  result = RunTrawl("run --report=broken.pbtxt broken.pbtxt");
  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(Read(Dir() + "/broken.pbtxt"), "name: \"broken\" stage { type: \"no_such_stage\" }\n");

  // Nor over a file a stage reads: the run is refused and the input stays as it was.
  Write("topics.tsv", "q1\toil spills\n");
  Write("reads_topics.pbtxt", R"(name: "reads_topics"
stage { type: "text_reader" name: "read" output: "texts:texts"
  options { [type.googleapis.com/trawl.io.TextReaderOptions] { path: "topics.tsv" } } }
)");
  result = RunTrawl("run --report=topics.tsv reads_topics.pbtxt");
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err, HasSubstr("reads as an input of this run"));
  EXPECT_THAT(result.err, ::testing::Not(HasSubstr("(report: ")));
  EXPECT_EQ(Read(Dir() + "/topics.tsv"), "q1\toil spills\n");

  // As root a write to /dev/null would otherwise make it a regular file.
  result = RunTrawl("run --report=/dev/null config.pbtxt");
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err, HasSubstr("is a character device"));
  struct stat info;
  ASSERT_EQ(stat("/dev/null", &info), 0);
  EXPECT_TRUE(S_ISCHR(info.st_mode));
  Write("to_device.pbtxt", SearchConfig("/dev/null", 1));
  result = RunTrawl("validate to_device.pbtxt");
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err, HasSubstr("'/dev/null' is a character device"));
}

TEST(DataSafetyTest, AUsersFolderIsNeverReplacedByAnIndexFolder) {
  fs::create_directories(Dir() + "/keep");
  Write("keep/thesis.tex", "years of work");
  Write("index_keep.pbtxt", R"(name: "index_keep"
stage { type: "synth_dense" name: "generate" output: "corpus:corpus" output: "queries:queries"
  options { [type.googleapis.com/trawl.synth.SynthDenseOptions] {
    num_vectors: 100 num_queries: 5 dim: 4 num_clusters: 2 } } }
stage { type: "faiss_index_build" name: "index" input: "corpus:corpus" output: "index:index" }
stage { type: "faiss_index_write" name: "write" input: "index:index"
  options { [type.googleapis.com/trawl.dense.FaissIndexWriteOptions] { path: "keep" } } }
)");
  for (const char* command : {"validate", "run"}) {
    Result result = RunTrawl(absl::StrCat(command, " index_keep.pbtxt"));
    EXPECT_EQ(result.status, 1) << command;
    EXPECT_THAT(result.err, HasSubstr("holds 'thesis.tex', which Trawl did not write")) << command;
    EXPECT_EQ(Read(Dir() + "/keep/thesis.tex"), "years of work") << command;
  }
}

TEST(DataSafetyTest, AnIndexWrittenThenReadBackInOneRunIsValid) {
  Write("round_trip.pbtxt", R"(name: "round_trip"
stage { type: "synth_dense" name: "generate" output: "corpus:corpus" output: "queries:queries"
  options { [type.googleapis.com/trawl.synth.SynthDenseOptions] {
    num_vectors: 100 num_queries: 5 dim: 4 num_clusters: 2 } } }
stage { type: "faiss_index_build" name: "index" input: "corpus:corpus" output: "index:index" }
stage { type: "faiss_index_write" name: "write" input: "index:index"
  options { [type.googleapis.com/trawl.dense.FaissIndexWriteOptions] { path: "written" } } }
stage { type: "faiss_index_read" name: "read" output: "index:read"
  options { [type.googleapis.com/trawl.dense.FaissIndexReadOptions] { path: "written" } } }
)");
  Result result = RunTrawl("run round_trip.pbtxt");
  EXPECT_EQ(result.status, 0) << result.err;
  // Pyserini's FaissSearcher needs docid also for row-number ids.
  EXPECT_EQ(Read(Dir() + "/written/docid").substr(0, 6), "0\n1\n2\n");
}

// A later stage fails after the writer has replaced the run file: the error says so.
TEST(DataSafetyTest, AFailedRunSaysWhichOutputsItHadAlreadyReplaced) {
  Write("late_failure.pbtxt", SearchConfig("late.run", 1, 50, R"(
stage { type: "qrels_reader" name: "qrels" output: "qrels:qrels"
  options { [type.googleapis.com/trawl.io.QrelsReaderOptions] { path: "late.qrels" } } }
)"));
  Write("late.qrels", "this is not a qrels line\n");
  Result result = RunTrawl("run --report=late.json late_failure.pbtxt");
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err, HasSubstr("(written before the failure: /"));
  EXPECT_THAT(result.err, HasSubstr("/late.run)"));
  EXPECT_THAT(Read(Dir() + "/late.json"), HasSubstr("\"outputsWritten\""));
}

// Two runs with one output path, 20 times: each time the file is complete and exactly one run's,
// and each run's report names the file it wrote.
TEST(DataSafetyTest, TwoRunsWritingOneOutputNeverTearIt) {
  // Large enough (2,000 queries x 100 lines) that the writes overlap in time.
  Write("a.pbtxt", SearchConfig("shared.run", 11, 2000));
  Write("b.pbtxt", SearchConfig("shared.run", 22, 2000));
  ASSERT_EQ(RunTrawl("run a.pbtxt").status, 0);
  const std::string a = Read(Dir() + "/shared.run");
  ASSERT_EQ(RunTrawl("run b.pbtxt").status, 0);
  const std::string b = Read(Dir() + "/shared.run");
  ASSERT_NE(a, b);
  ASSERT_EQ(std::count(a.begin(), a.end(), '\n'), 200000);
  std::set<std::string> seen;
  for (int trial = 0; trial < 20; ++trial) {
    const std::string command = absl::StrCat(
        "cd ", Dir(), " && (", Trawl(), " run --report=a.json a.pbtxt >/dev/null 2>&1 & ", Trawl(),
        " run --report=b.json b.pbtxt >/dev/null 2>&1 & wait)");
    ASSERT_EQ(std::system(command.c_str()), 0);
    const std::string file = Read(Dir() + "/shared.run");
    ASSERT_TRUE(file == a || file == b)
        << "trial " << trial << ": a torn or mixed run file of " << file.size() << " bytes";
    seen.insert(file == a ? "a" : "b");
    for (const char* report : {"a.json", "b.json"}) {
      const std::string json = Read(Dir() + "/" + report);
      EXPECT_THAT(json, HasSubstr("\"ok\": true")) << report;
      EXPECT_THAT(json, HasSubstr("shared.run")) << report;
    }
  }
  // No temporary file is left beside the output.
  for (const auto& entry : fs::directory_iterator(Dir())) {
    EXPECT_THAT(entry.path().filename().string(), ::testing::Not(HasSubstr(".trawl-")));
  }
}

// ---- Sizes and ids that used to crash a run: each is now one error line, exit status 1. ----

// `trawl ARGS` exited normally with `status` (not killed by a signal: no abort, no segfault).
void ExpectExit(const std::string& args, int status, const std::string& message) {
  const std::string err = Dir() + "/abuse.err";
  const int raw = std::system(
      absl::StrCat("cd ", Dir(), " && ", Trawl(), " ", args, " 2>", err, " >/dev/null").c_str());
  ASSERT_TRUE(WIFEXITED(raw)) << args << ": killed by signal " << WTERMSIG(raw);
  EXPECT_EQ(WEXITSTATUS(raw), status) << args << ": " << Read(err);
  EXPECT_THAT(Read(err), HasSubstr(message)) << args;
}

constexpr char kSmallDense[] = R"(
stage { type: "synth_dense" name: "generate" output: "corpus:corpus" output: "queries:queries"
  options { [type.googleapis.com/trawl.synth.SynthDenseOptions] {
    num_vectors: 1000 num_queries: 10 dim: 8 num_clusters: 10 } } }
)";

TEST(AbusiveInputTest, FactorySizesOfZeroAreRefusedByValidateAndRun) {
  for (const char* factory : {"IVF0,Flat", "HNSW0", "IVF4_HNSW0,Flat", "PQ0", "IVF4,PQ0"}) {
    Write("zero.pbtxt", absl::StrCat("name: \"zero\"", kSmallDense, R"(
stage { type: "faiss_index_build" name: "index" input: "corpus:corpus" output: "index:index"
  options { [type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { factory: ")",
                                     factory, R"(" } } }
)"));
    ExpectExit("validate zero.pbtxt", 1, "must be from 1 to");
    ExpectExit("run zero.pbtxt", 1, "must be from 1 to");
  }
}

TEST(AbusiveInputTest, AHugeKIsAnErrorOrBoundedNeverAnAbort) {
  const std::string search_stage = R"(
stage { type: "faiss_index_build" name: "index" input: "corpus:corpus" output: "index:index" }
stage { type: "faiss_search" name: "search" input: "index:index" input: "queries:queries"
  output: "results:r" options { [type.googleapis.com/trawl.dense.FaissSearchOptions] {
    k: 2000000000 } } }
)";
  Write("k_faiss.pbtxt", absl::StrCat("name: \"k\"", kSmallDense, search_stage));
  ExpectExit("run k_faiss.pbtxt", 1, "memory");
  Write("k_exact.pbtxt", absl::StrCat("name: \"k\"", kSmallDense, R"(
stage { type: "exact_knn" name: "search" input: "corpus:corpus" input: "queries:queries"
  output: "ground_truth:r" options { [type.googleapis.com/trawl.dense.ExactKnnOptions] {
    k: 2000000000 cpu_only: true } } }
)"));
  ExpectExit("run k_exact.pbtxt", 1, "memory");
  Write("k_sparse.pbtxt", R"(name: "k"
stage { type: "synth_sparse" name: "generate" output: "corpus:docs" output: "queries:queries"
  options { [type.googleapis.com/trawl.synth.SynthSparseOptions] {
    num_documents: 1000 num_queries: 10 } } }
stage { type: "sparse_index_build" name: "index" input: "corpus:docs" output: "index:index" }
stage { type: "sparse_search" name: "search" input: "index:index" input: "queries:queries"
  output: "results:r" options { [type.googleapis.com/trawl.sparse.SparseSearchOptions] {
    k: 2000000000 } } }
)");
  ExpectExit("run k_sparse.pbtxt", 1, "memory");
  // Fusion's list is bounded by what its runs hold: the run succeeds with every candidate.
  Write("k_fusion.pbtxt", absl::StrCat("name: \"k\"", kSmallDense, R"(
stage { type: "exact_knn" name: "a" input: "corpus:corpus" input: "queries:queries"
  output: "ground_truth:a" options { [type.googleapis.com/trawl.dense.ExactKnnOptions] {
    k: 20 cpu_only: true } } }
stage { type: "exact_knn" name: "b" input: "corpus:corpus" input: "queries:queries"
  output: "ground_truth:b" options { [type.googleapis.com/trawl.dense.ExactKnnOptions] {
    k: 30 metric: INNER_PRODUCT cpu_only: true } } }
stage { type: "fusion" name: "fuse" input: "runs:a" input: "runs:b" output: "results:f"
  options { [type.googleapis.com/trawl.fusion.FusionOptions] { k: 2000000000 } } }
stage { type: "trec_run_writer" name: "write" input: "results:f"
  options { [type.googleapis.com/trawl.io.TrecRunWriterOptions] { path: "fused.run" } } }
)"));
  ExpectExit("run k_fusion.pbtxt", 0, "");
  const std::string fused = Read(Dir() + "/fused.run");
  EXPECT_LE(std::count(fused.begin(), fused.end(), '\n'), 10 * 50);
  EXPECT_GE(std::count(fused.begin(), fused.end(), '\n'), 10 * 30);
}

TEST(AbusiveInputTest, GeneratorSizesAreCheckedBeforeAllocating) {
  Write("clusters.pbtxt", R"(name: "clusters"
stage { type: "synth_dense" name: "generate" output: "corpus:corpus" output: "queries:queries"
  options { [type.googleapis.com/trawl.synth.SynthDenseOptions] {
    num_vectors: 5 num_clusters: 1000000000 } } }
)");
  ExpectExit("validate clusters.pbtxt", 1, "num_clusters (1000000000) must be at most num_vectors");
}

// A Pyserini-layout folder (no manifest) whose IVF lists hold ids the docid list has no row for.
TEST(AbusiveInputTest, ForeignIdsInAnIndexFolderAreDataLossNotACrash) {
  fs::create_directories(Dir() + "/foreign");
  const int d = 8, n = 200;
  std::vector<float> rows(n * d);
  for (int i = 0; i < n * d; ++i) rows[i] = static_cast<float>((i * 7919) % 101) / 101.0f;
  faiss::IndexFlatL2 quantizer(d);
  faiss::IndexIVFFlat ivf(&quantizer, d, 4);
  ivf.train(n, rows.data());
  std::vector<faiss::Index::idx_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = (int64_t{1} << 40) + i;  // not row numbers
  ivf.add_with_ids(n, rows.data(), ids.data());
  faiss::write_index(&ivf, (Dir() + "/foreign/index").c_str());
  std::string docids;
  for (int i = 0; i < n; ++i) absl::StrAppend(&docids, "doc", i, "\n");
  Write("foreign/docid", docids);
  Write("foreign.pbtxt", absl::StrCat(R"(name: "foreign"
stage { type: "faiss_index_read" name: "read" output: "index:index"
  options { [type.googleapis.com/trawl.dense.FaissIndexReadOptions] { path: "foreign" } } }
stage { type: "synth_dense" name: "generate" output: "corpus:unused" output: "queries:queries"
  options { [type.googleapis.com/trawl.synth.SynthDenseOptions] {
    num_vectors: 10 num_queries: 5 dim: 8 num_clusters: 2 } } }
stage { type: "faiss_search" name: "search" input: "index:index" input: "queries:queries"
  output: "results:r" options { [type.googleapis.com/trawl.dense.FaissSearchOptions] {
    k: 5 nprobe: 4 } } }
stage { type: "trec_run_writer" name: "write" input: "results:r"
  options { [type.googleapis.com/trawl.io.TrecRunWriterOptions] { path: "foreign.run" } } }
)"));
  ExpectExit("run foreign.pbtxt", 1, "outside its 200 rows");
  EXPECT_FALSE(fs::exists(Dir() + "/foreign.run"));
}

// A message is one printable line of bounded length: a 5 MB path is cut, invalid UTF-8 escaped, and
// the report stays valid JSON without a protobuf error line on stderr.
TEST(AbusiveInputTest, MessagesArePrintableAndBounded) {
  const std::string long_name(5 << 20, 'x');
  Write("long.pbtxt", absl::StrCat(R"(name: "long"
stage { type: "text_reader" name: "read" output: "texts:texts"
  options { [type.googleapis.com/trawl.io.TextReaderOptions] { path: ")",
                                   long_name, R"(.tsv" } } }
)"));
  ExpectExit("run long.pbtxt", 1, "more bytes)");
  EXPECT_LT(Read(Dir() + "/abuse.err").size(), 4000u);
  // Latin-1 bytes in the file itself: the line and column of the first one.
  Write("bad_utf8.pbtxt",
        "name: \"bad_utf8\"\nstage { type: \"text_reader\" name: \"read\" output: \"texts:texts\"\n"
        "  options { [type.googleapis.com/trawl.io.TextReaderOptions] { path: \"caf\xe9.tsv\" } } "
        "}\n");
  ExpectExit("run --report=bad_utf8.json bad_utf8.pbtxt", 1,
             "bad_utf8.pbtxt:3:74: expected UTF-8 text, found the byte \\xe9");
  EXPECT_THAT(Read(Dir() + "/abuse.err"), ::testing::Not(HasSubstr("libprotobuf")));
  EXPECT_THAT(Read(Dir() + "/bad_utf8.json"), HasSubstr("expected UTF-8 text"));
  // The same byte as a text-format escape: one error line, no protobuf log line beside it.
  Write("escaped.pbtxt", R"(name: "escaped"
stage { type: "text_reader" name: "read" output: "texts:texts"
  options { [type.googleapis.com/trawl.io.TextReaderOptions] { path: "caf\351.tsv" } } }
)");
  ExpectExit("run escaped.pbtxt", 1, "options are UTF-8 text");
  EXPECT_THAT(Read(Dir() + "/abuse.err"), ::testing::Not(HasSubstr("libprotobuf")));
}

TEST(AbusiveInputTest, MissingInputsAndUnwritableOutputFoldersFailValidate) {
  Write("missing.pbtxt", R"(name: "missing"
stage { type: "text_reader" name: "read" output: "texts:texts"
  options { [type.googleapis.com/trawl.io.TextReaderOptions] { path: "no_such_file.tsv" } } }
)");
  ExpectExit("validate missing.pbtxt", 1, "stage 'read'");
  ExpectExit("validate missing.pbtxt", 1, "no_such_file.tsv");
  Write("no_folder.pbtxt", SearchConfig("no/such/folder/x.run", 1));
  ExpectExit("validate no_folder.pbtxt", 1, "is missing or not writable");
}

}  // namespace
}  // namespace trawl
