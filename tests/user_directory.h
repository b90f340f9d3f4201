// The shipped configs' tests run them as a user would from a fresh clone: from a directory that
// holds tests/testdata (a link to the runfiles' copy), writing outputs beside it.
#ifndef TRAWL_TESTS_USER_DIRECTORY_H_
#define TRAWL_TESTS_USER_DIRECTORY_H_

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace trawl {

// Makes the test's temporary directory the user's directory (BUILD_WORKING_DIRECTORY).
inline void UseCloneLikeUserDirectory() {
  const std::string dir = ::testing::TempDir();
  const std::string tests = std::string(std::getenv("TEST_SRCDIR")) + "/trawl/tests";
  unlink((dir + "/tests").c_str());
  ASSERT_EQ(symlink(tests.c_str(), (dir + "/tests").c_str()), 0);
  setenv("BUILD_WORKING_DIRECTORY", dir.c_str(), 1);
}

}  // namespace trawl

#endif  // TRAWL_TESTS_USER_DIRECTORY_H_
