// Files for the readers' tests: plain or gzip-compressed by their name, and gzip streams cut
// short, written the way users' tools write them (zlib).
#ifndef TRAWL_STAGES_FORMATS_FILE_TESTING_H_
#define TRAWL_STAGES_FORMATS_FILE_TESTING_H_

#include <zlib.h>

#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/match.h"

namespace trawl {
namespace testing {

// Writes `bytes` to `path`, gzip-compressed when the name ends in ".gz".
inline void WriteTestFile(const std::string& path, const std::string& bytes) {
  if (absl::EndsWith(path, ".gz")) {
    gzFile file = gzopen(path.c_str(), "wb");
    gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(file);
  } else {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }
}

// Writes `text` gzip-compressed to `path` and keeps the first half of the file: a download or
// copy cut short.
inline void WriteCutGzip(const std::string& path, const std::string& text) {
  WriteTestFile(path, text);
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
}

}  // namespace testing
}  // namespace trawl

#endif  // TRAWL_STAGES_FORMATS_FILE_TESTING_H_
