// The shipped configs' tests run them as a user would from a fresh clone: from a directory that
// holds tests/testdata (a link to the runfiles' copy), writing outputs beside it.
#ifndef TRAWL_TESTS_USER_DIRECTORY_H_
#define TRAWL_TESTS_USER_DIRECTORY_H_

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "pipelines/config_loader.h"
#include "pipelines/runner.h"

namespace trawl {

// Makes the test's temporary directory the user's directory (BUILD_WORKING_DIRECTORY).
inline void UseCloneLikeUserDirectory() {
  const std::string dir = ::testing::TempDir();
  const std::string tests = std::string(std::getenv("TEST_SRCDIR")) + "/trawl/tests";
  unlink((dir + "/tests").c_str());
  ASSERT_EQ(symlink(tests.c_str(), (dir + "/tests").c_str()), 0);
  setenv("BUILD_WORKING_DIRECTORY", dir.c_str(), 1);
}

// Runs configs/<name>.pbtxt on the CPU as `trawl run` would, expecting it to load and succeed.
inline PipelineRun RunShippedConfig(const std::string& name) {
  absl::StatusOr<Pipeline> pipeline = LoadPipelineFile(std::string(std::getenv("TEST_SRCDIR")) +
                                                       "/trawl/configs/" + name + ".pbtxt");
  EXPECT_TRUE(pipeline.ok()) << pipeline.status();
  if (!pipeline.ok()) return PipelineRun{pipeline.status()};
  PipelineRun run = RunPipeline(*pipeline, RunEnvironment{}, {});
  EXPECT_TRUE(run.status.ok()) << run.status;
  return run;
}

}  // namespace trawl

#endif  // TRAWL_TESTS_USER_DIRECTORY_H_
