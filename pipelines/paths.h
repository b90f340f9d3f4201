// Paths the user gives, and files Trawl writes, resolve against the directory the user ran from.
//
// Under `bazel run` the process starts inside the runfiles tree; Bazel passes the user's directory
// as BUILD_WORKING_DIRECTORY. Outside Bazel that variable is unset and paths are used as given.
// Thread-safe (reads the environment only).
#ifndef TRAWL_PIPELINES_PATHS_H_
#define TRAWL_PIPELINES_PATHS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace trawl {

// `path` unchanged when absolute or when BUILD_WORKING_DIRECTORY is unset, else joined to it.
std::string ResolveUserPath(absl::string_view path);

}  // namespace trawl

#endif  // TRAWL_PIPELINES_PATHS_H_
