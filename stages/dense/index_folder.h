// Index folders: a FAISS index on disk with the ids of its rows, in Pyserini's prebuilt layout,
//
//   <folder>/index              the FAISS index (faiss::write_index)
//   <folder>/docid              one id per line, row order (row numbers as text when the rows
//                               have no ids of their own: Pyserini's FaissSearcher needs the file)
//   <folder>/trawl_index.pbtxt  Trawl's manifest: description, metric, sizes and SHA-256 of both
//
// so a folder Trawl writes is one Pyserini and FAISS read, and a Pyserini folder (no manifest)
// reads as it is: its FAISS index as FAISS reads it, its docid count checked against the index.
// A folder with a manifest is trusted only when every size and checksum matches; a truncated,
// corrupt or changed file is a DataLoss error naming it.
//
// Writing is atomic at the folder: files go to a fresh hidden folder beside it
// (".<name>.trawl-XXXXXX"), fsynced, which then takes the folder's place in one rename (an atomic
// exchange when a previous folder is there); a process killed midway leaves the previous folder or
// none. Only an absent path, an empty folder or a folder Trawl wrote is replaced: a user's folder,
// a Pyserini folder or a file at the path is an error, and nothing is deleted.
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

// OK when `folder` (as the process sees it) may be replaced by an index folder: nothing is there,
// an empty folder, or a folder holding Trawl's manifest (a version-1 trawl_index.pbtxt) and no file
// but `index` and `docid` beside it. FailedPrecondition naming the path and what is there
// otherwise. Checked by faiss_index_write's Open and again by WriteIndexFolder.
absl::Status CheckReplaceableFolder(const std::string& folder);

// Writes `index` (a CPU index) and `ids` to `folder` (a user path; a symlink's target), replacing
// a folder CheckReplaceableFolder accepts.
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
