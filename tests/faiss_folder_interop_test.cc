// Index folders as a Pyserini or FAISS user meets them, against Debian's python3-faiss: a folder
// Trawl writes opens in python faiss the way Pyserini's FaissSearcher opens it (faiss.read_index on
// `index`, ids from `docid`) and searches to the same top 10 and scores as Trawl's own search; a
// folder python faiss writes (Pyserini's layout, no manifest) is read and searched by Trawl to
// the same run. Both sides print scores with 6 decimals, so the run files match byte for byte.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "pipelines/config_loader.h"
#include "pipelines/runner.h"
#include "tests/user_directory.h"

namespace trawl {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Dir() { return ::testing::TempDir(); }

// python3-faiss's side (tests/pyserini/faiss_folder_peer.py), with Debian's own interpreter.
void Peer(const std::string& args) {
  const std::string script =
      std::string(std::getenv("TEST_SRCDIR")) + "/trawl/tests/pyserini/faiss_folder_peer.py";
  const std::string command =
      absl::StrCat("cd ", Dir(), " && /usr/bin/python3 ", script, " ", args);
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

void RunConfig(const std::string& text) {
  absl::StatusOr<Pipeline> pipeline = ParsePipelineText(text, "inline");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  PipelineRun run = RunPipeline(*pipeline, RunEnvironment{}, {});
  ASSERT_TRUE(run.status.ok()) << run.status;
}

constexpr char kQueriesAndSearch[] = R"(
stage { type: "vector_reader" name: "queries" output: "vectors:queries"
  options { [type.googleapis.com/trawl.io.VectorReaderOptions] {
    path: "tests/testdata/dense/query.fvecs" } } }
stage { type: "faiss_search" name: "search" input: "index:index" input: "queries:queries"
  output: "results:results"
  options { [type.googleapis.com/trawl.dense.FaissSearchOptions] { k: 10 } } }
)";

class FaissFolderInteropTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { UseCloneLikeUserDirectory(); }
};

TEST_F(FaissFolderInteropTest, AFolderTrawlWritesSearchesTheSameInPythonFaiss) {
  RunConfig(absl::StrCat(R"(name: "write_folder"
stage { type: "vector_reader" name: "corpus" output: "vectors:corpus"
  options { [type.googleapis.com/trawl.io.VectorReaderOptions] {
    path: "tests/testdata/dense/base.fvecs" } } }
stage { type: "faiss_index_build" name: "index" input: "corpus:corpus" output: "index:index"
  options { [type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { factory: "Flat" } } }
stage { type: "faiss_index_write" name: "write" input: "index:index"
  options { [type.googleapis.com/trawl.dense.FaissIndexWriteOptions] { path: "trawl_folder" } } }
)",
                         kQueriesAndSearch, R"(
stage { type: "trec_run_writer" name: "run" input: "results:results"
  options { [type.googleapis.com/trawl.io.TrecRunWriterOptions] { path: "trawl.run" tag: "faiss" } } }
)"));
  Peer("search trawl_folder tests/testdata/dense/query.fvecs 10 python.run");
  const std::string trawl = Read(Dir() + "/trawl.run");
  EXPECT_EQ(std::count(trawl.begin(), trawl.end(), '\n'), 20 * 10);
  EXPECT_EQ(Read(Dir() + "/python.run"), trawl);
}

TEST_F(FaissFolderInteropTest, AFolderPythonFaissWritesSearchesTheSameInTrawl) {
  Peer("write tests/testdata/dense/base.fvecs python_folder");
  Peer("search python_folder tests/testdata/dense/query.fvecs 10 python_ip.run");
  RunConfig(absl::StrCat(R"(name: "read_folder"
stage { type: "faiss_index_read" name: "read" output: "index:index"
  options { [type.googleapis.com/trawl.dense.FaissIndexReadOptions] { path: "python_folder" } } }
)",
                         kQueriesAndSearch, R"(
stage { type: "trec_run_writer" name: "run" input: "results:results"
  options { [type.googleapis.com/trawl.io.TrecRunWriterOptions] {
    path: "trawl_ip.run" tag: "faiss" } } }
)"));
  const std::string trawl = Read(Dir() + "/trawl_ip.run");
  EXPECT_EQ(std::count(trawl.begin(), trawl.end(), '\n'), 20 * 10);
  EXPECT_NE(trawl.find(" Q0 doc-"), std::string::npos);  // the folder's own ids
  EXPECT_EQ(Read(Dir() + "/python_ip.run"), trawl);
}

}  // namespace
}  // namespace trawl
