// Index folders: a FAISS index on disk with the ids of its rows, in Pyserini's prebuilt layout,
//
//   <folder>/index              the FAISS index (faiss::write_index)
//   <folder>/docid              one id per line, row order (absent when the ids are row numbers)
//   <folder>/trawl_index.pbtxt  Trawl's manifest: description, metric, sizes and SHA-256 of both
//
// so a folder Trawl writes is one Pyserini and FAISS read, and a Pyserini folder (no manifest)
// reads as it is: its FAISS index as FAISS reads it, its docid count checked against the index.
// A folder with a manifest is trusted only when every size and checksum matches; a truncated,
// corrupt or changed file is a DataLoss error naming it.
//
// Writing is atomic at the folder: files go to "<folder>.tmp-<pid>", which replaces the folder
// by rename once complete; a process killed midway leaves the previous folder or none.
// Thread-compatible.
#ifndef TRAWL_STAGES_DENSE_INDEX_FOLDER_H_
#define TRAWL_STAGES_DENSE_INDEX_FOLDER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "faiss/Index.h"
#include "pipelines/id_table.h"
#include "stages/dense/index_folder.pb.h"

namespace trawl {

struct IndexFolder {
  std::unique_ptr<faiss::Index> index;  // on the CPU
  IdTable ids;                          // empty: row numbers
  dense::IndexManifest manifest;        // read, or derived from the index for a Pyserini folder
  bool has_manifest = false;
};

// Writes `index` (a CPU index) and `ids` to `folder` (a user path), replacing what was there.
// `manifest` supplies description, metric and data_sha256; sizes and checksums are filled here.
absl::Status WriteIndexFolder(const std::string& folder, const faiss::Index& index,
                              const IdTable& ids, dense::IndexManifest manifest);

// Reads and verifies a folder Trawl wrote, or reads a Pyserini folder. NotFound when `folder`
// has no `index` file.
absl::StatusOr<IndexFolder> ReadIndexFolder(const std::string& folder);

// Bytes of the folder's `index` file (the device estimate of an index read from it), or NotFound.
absl::StatusOr<int64_t> IndexFileBytes(const std::string& folder);

}  // namespace trawl

#endif  // TRAWL_STAGES_DENSE_INDEX_FOLDER_H_
