// Test helper shared by the CPU and GPU FAISS stage tests: builds an index with faiss_index_build
// and searches it with faiss_search, each stage run through StageTestRunner.
#ifndef TRAWL_STAGES_DENSE_FAISS_TEST_UTIL_H_
#define TRAWL_STAGES_DENSE_FAISS_TEST_UTIL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "pipelines/stage_test_runner.h"
#include "pipelines/status_util.h"
#include "pipelines/values.h"
#include "stages/dense/dense_index.h"

namespace trawl {

// `build_options` / `search_options` are the bodies of FaissIndexBuildOptions / FaissSearchOptions.
// `device_used` receives the build stage's reported device ("cpu", "gpu:0").
inline absl::StatusOr<RankedLists> BuildAndSearch(const DenseMatrix& corpus,
                                                  const DenseMatrix& queries,
                                                  const std::string& build_options,
                                                  const std::string& search_options,
                                                  const RunEnvironment& env,
                                                  std::string* device_used = nullptr) {
  ASSIGN_OR_RETURN(StageTestRunner build,
                   StageTestRunner::Create(
                       absl::StrCat("type: 'faiss_index_build' options { "
                                    "[type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { ",
                                    build_options, " } }"),
                       env));
  build.SetInput("corpus", corpus);
  RETURN_IF_ERROR(build.Run());
  if (device_used != nullptr) *device_used = build.report().device();
  ASSIGN_OR_RETURN(StageTestRunner search,
                   StageTestRunner::Create(
                       absl::StrCat("type: 'faiss_search' options { "
                                    "[type.googleapis.com/trawl.dense.FaissSearchOptions] { ",
                                    search_options, " } }"),
                       env));
  // The index slot is shared, not copied: hand the built index to the search stage.
  search.SetInput("index", std::move(*build.Output<DenseIndex>("index")));
  search.SetInput("queries", queries);
  RETURN_IF_ERROR(search.Run());
  return *search.Output<RankedLists>("results");
}

}  // namespace trawl

#endif  // TRAWL_STAGES_DENSE_FAISS_TEST_UTIL_H_
