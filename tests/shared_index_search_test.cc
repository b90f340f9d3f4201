// Two faiss_search stages on one index read it, never change it for each other: each search's
// nprobe and params hold for that search alone, so each equals a run that has only that search.
// Checked for HNSW (efSearch, which nothing resets) and IVF (nprobe and max_codes).
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "pipelines/config_loader.h"
#include "pipelines/runner.h"
#include "pipelines/values.h"

namespace trawl {
namespace {

// synth_dense -> faiss_index_build(FACTORY) -> one faiss_search per entry of `searches` (its
// options), each writing slot "results_<i>".
std::string Config(const std::string& factory, const std::vector<std::string>& searches) {
  std::string text = absl::StrCat(R"(
name: "shared_index"
stage {
  type: "synth_dense" name: "generate" output: "corpus:corpus" output: "queries:queries"
  options { [type.googleapis.com/trawl.synth.SynthDenseOptions] {
    num_vectors: 5000 num_queries: 200 dim: 16 num_clusters: 50 seed: 5 } }
}
stage {
  type: "faiss_index_build" name: "index" input: "corpus:corpus" output: "index:index"
  options { [type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { factory: ")",
                                  factory, R"(" } }
}
)");
  for (size_t i = 0; i < searches.size(); ++i) {
    absl::StrAppend(
        &text, "stage { type: \"faiss_search\" name: \"search_", i,
        "\" input: \"index:index\" input: \"queries:queries\" output: \"results:results_", i,
        "\" options { [type.googleapis.com/trawl.dense.FaissSearchOptions] { ", searches[i],
        " } } }\n");
  }
  return text;
}

// The results of every search, in order.
std::vector<RankedLists> RunSearches(const std::string& factory,
                                     const std::vector<std::string>& searches) {
  absl::StatusOr<Pipeline> pipeline = ParsePipelineText(Config(factory, searches), "inline");
  EXPECT_TRUE(pipeline.ok()) << pipeline.status();
  RunOptions options;
  for (size_t i = 0; i < searches.size(); ++i) {
    options.keep_slots.push_back(absl::StrCat("results_", i));
  }
  PipelineRun run = RunPipeline(*pipeline, RunEnvironment(), options);
  EXPECT_TRUE(run.status.ok()) << run.status;
  std::vector<RankedLists> results;
  for (const std::string& slot : options.keep_slots) {
    results.push_back(*run.slots.at(slot).As<RankedLists>());
  }
  return results;
}

void ExpectSame(const RankedLists& a, const RankedLists& b, const std::string& what) {
  EXPECT_EQ(a.doc_rows, b.doc_rows) << what;
  EXPECT_EQ(a.scores, b.scores) << what;
}

struct Case {
  std::string factory;
  std::string first;   // options of the first search
  std::string second;  // options of the second search, which must not inherit the first's
};

class SharedIndexSearchTest : public ::testing::TestWithParam<Case> {};

TEST_P(SharedIndexSearchTest, EachSearchEqualsARunWithOnlyThatSearch) {
  const Case& c = GetParam();
  const std::vector<RankedLists> both = RunSearches(c.factory, {c.first, c.second});
  const std::vector<RankedLists> first_alone = RunSearches(c.factory, {c.first});
  const std::vector<RankedLists> second_alone = RunSearches(c.factory, {c.second});
  ExpectSame(both[0], first_alone[0], "first search");
  ExpectSame(both[1], second_alone[0], "second search");
  // The two settings do search differently, so the check above can fail.
  EXPECT_NE(first_alone[0].doc_rows, second_alone[0].doc_rows);
}

INSTANTIATE_TEST_SUITE_P(
    Indexes, SharedIndexSearchTest,
    ::testing::Values(
        // efSearch 1 beside the built default (16): a second search without params used to
        // search with the first one's efSearch.
        Case{"HNSW8", "k: 10 params: \"efSearch=1\"", "k: 10"},
        Case{"HNSW8", "k: 10", "k: 10 params: \"efSearch=1\""},
        Case{"IVF64,Flat", "k: 10 params: \"nprobe=16,max_codes=40\"", "k: 10 nprobe: 2"},
        Case{"IVF64,Flat", "k: 10 nprobe: 2", "k: 10 params: \"max_codes=40\""}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return absl::StrCat(info.param.factory[0] == 'H' ? "Hnsw" : "Ivf", info.index);
    });

}  // namespace
}  // namespace trawl
