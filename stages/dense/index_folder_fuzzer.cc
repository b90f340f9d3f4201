// Fuzz target for index folders without a manifest (Pyserini's prebuilt layout): the input is the
// folder's `docid` file beside a small valid FAISS index. ReadIndexFolder either rejects it with a
// status or returns one clean id per row (what a run file can carry), and the index's labels all
// name one of them. (The FAISS index file itself is FAISS's format, read by faiss::read_index; its
// size fields ask for allocations a fuzzer would report as FAISS's, so it is not fuzzed here.)
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "faiss/IndexFlat.h"
#include "faiss/index_io.h"
#include "stages/dense/index_folder.h"
#include "stages/formats/record_ids.h"

namespace {

const std::string& Folder() {
  static const std::string* folder = [] {
    auto* path = new std::string(std::filesystem::temp_directory_path().string() +
                                 "/index_folder_fuzzer_" + std::to_string(getpid()));
    std::filesystem::create_directories(*path);
    faiss::IndexFlatL2 index(2);
    const std::vector<float> rows = {0, 0, 1, 0, 5, 5};
    index.add(3, rows.data());
    faiss::write_index(&index, (*path + "/index").c_str());
    return path;
  }();
  return *folder;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& folder = Folder();
  std::ofstream(folder + "/docid", std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  absl::StatusOr<trawl::IndexFolder> read = trawl::ReadIndexFolder(folder);
  if (!read.ok()) return 0;
  if (read->has_manifest || read->ids.size() != read->index->ntotal) std::abort();
  for (int64_t row = 0; row < read->ids.size(); ++row) {
    if (!trawl::IsRunFileId(read->ids.Get(row))) std::abort();
  }
  const float query[2] = {4, 4};
  float distances[3];
  faiss::Index::idx_t labels[3];
  read->index->search(1, query, 3, distances, labels);
  for (faiss::Index::idx_t label : labels) {
    if (label < 0 || label >= read->ids.size()) std::abort();
  }
  return 0;
}
