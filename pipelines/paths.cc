#include "pipelines/paths.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace trawl {

std::string ResolveUserPath(absl::string_view path) {
  const char* working_dir = std::getenv("BUILD_WORKING_DIRECTORY");
  if (path.empty() || path[0] == '/' || working_dir == nullptr || working_dir[0] == '\0') {
    return std::string(path);
  }
  return absl::StrCat(working_dir, "/", path);
}

}  // namespace trawl
