#include "stages/dense/index_folder.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "faiss/index_io.h"
#include "google/protobuf/text_format.h"
#include "pipelines/files.h"
#include "pipelines/hashing.h"
#include "pipelines/paths.h"
#include "pipelines/status_util.h"
#include "stages/formats/record_ids.h"

namespace trawl {
namespace {

namespace fs = std::filesystem;

constexpr char kIndexFile[] = "index";
constexpr char kDocidFile[] = "docid";
constexpr char kManifestFile[] = "trawl_index.pbtxt";

// A manifest is a few lines of text; a docid file has one line per row.
constexpr int64_t kMaxManifestBytes = int64_t{1} << 20;
constexpr int64_t kMaxDocidBytes = int64_t{64} << 30;

// SHA-256 and size of a file, read in 1 MiB pieces (index files can be larger than memory allows
// twice).
absl::Status HashFile(const std::string& path, std::string* sha, int64_t* bytes) {
  ASSIGN_OR_RETURN(FileDescriptor fd, OpenRegularFile(path));
  Sha256 hash;
  std::string chunk(1 << 20, '\0');
  *bytes = 0;
  while (true) {
    const ssize_t got = ::read(fd.get(), &chunk[0], chunk.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      return absl::DataLossError(
          absl::StrCat("reading '", path, "' failed: ", std::strerror(errno)));
    }
    if (got == 0) break;
    hash.Update(absl::string_view(chunk.data(), static_cast<size_t>(got)));
    *bytes += got;
  }
  *sha = hash.Hex();
  return absl::OkStatus();
}

// Writes `bytes` to the new file `path` and fsyncs it (the folder is staged, so no reader sees it
// before the rename).
absl::Status WriteSyncedFile(const std::string& path, absl::string_view bytes) {
  FileDescriptor fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  bool ok = fd.get() >= 0;
  while (ok && !bytes.empty()) {
    const ssize_t written = ::write(fd.get(), bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    ok = written > 0;
    if (ok) bytes.remove_prefix(static_cast<size_t>(written));
  }
  if (!ok || ::fsync(fd.get()) != 0) {
    return absl::DataLossError(absl::StrCat("writing '", path, "' failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status SyncFile(const std::string& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    return absl::DataLossError(absl::StrCat("cannot sync '", path, "': ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

bool IsTrawlFileName(const std::string& name) {
  return name == kIndexFile || name == kDocidFile || name == kManifestFile;
}

// Removes a folder CheckReplaceableFolder accepted: its own files, then the folder itself.
void RemoveTrawlFolder(const std::string& folder) {
  for (const char* name : {kIndexFile, kDocidFile, kManifestFile}) {
    ::unlink(absl::StrCat(folder, "/", name).c_str());
  }
  ::rmdir(folder.c_str());
}

absl::Status NotReplaceable(const std::string& folder, absl::string_view found) {
  return absl::FailedPreconditionError(absl::StrCat(
      "index folder '", folder, "' ", found,
      "; an index folder replaces only an empty folder or one Trawl wrote (its manifest ",
      kManifestFile,
      " and nothing but index and docid beside it), so nothing was written or deleted: choose "
      "another path or remove it yourself"));
}

}  // namespace

absl::Status CheckReplaceableFolder(const std::string& folder) {
  struct stat info;
  if (::lstat(folder.c_str(), &info) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::PermissionDeniedError(
        absl::StrCat("index folder '", folder, "': cannot inspect it: ", std::strerror(errno)));
  }
  if (!S_ISDIR(info.st_mode)) {
    return NotReplaceable(folder, absl::StrCat("is ", DescribeFileType(info.st_mode)));
  }
  std::error_code error;
  bool empty = true;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    empty = false;
    const std::string name = it->path().filename().string();
    if (!IsTrawlFileName(name) || !it->is_regular_file(error)) {
      return NotReplaceable(folder, absl::StrCat("holds '", name, "', which Trawl did not write"));
    }
  }
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("index folder '", folder, "': cannot list it: ", error.message()));
  }
  if (empty) return absl::OkStatus();
  dense::IndexManifest manifest;
  absl::StatusOr<std::string> text = ReadWholeFile(folder + "/" + kManifestFile, kMaxManifestBytes);
  if (!text.ok() || !google::protobuf::TextFormat::ParseFromString(*text, &manifest) ||
      manifest.version() != 1) {
    return NotReplaceable(folder, absl::StrCat("has no readable Trawl manifest ", kManifestFile));
  }
  return absl::OkStatus();
}

namespace {

// Puts the complete folder `staged` at `folder` (CheckReplaceableFolder accepted it): a rename when
// nothing is there, else an atomic exchange of the two (renameat2 RENAME_EXCHANGE), after which the
// previous folder, now at `staged`, goes. Readers see the old folder or the new one, never a mix.
absl::Status ReplaceFolder(const std::string& staged, const std::string& folder) {
  struct stat info;
  const bool had_old = ::lstat(folder.c_str(), &info) == 0;
  const int moved =
      had_old ? ::renameat2(AT_FDCWD, staged.c_str(), AT_FDCWD, folder.c_str(), RENAME_EXCHANGE)
              : ::rename(staged.c_str(), folder.c_str());
  if (moved != 0) {
    const int error = errno;
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot move '", staged, "' to '", folder, "': ", std::strerror(error),
        error == EINVAL ? " (this file system cannot exchange folders atomically: write the index "
                          "folder to a local disk)"
                        : " (another run writing the same folder at once? the previous folder is "
                          "unchanged)"));
  }
  if (had_old) RemoveTrawlFolder(staged);
  const std::string parent = fs::path(folder).parent_path().string();
  return SyncFolder(parent.empty() ? "." : parent);
}

absl::Status Corrupt(const std::string& path, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(
      path, ": ", what, "; the file is truncated, corrupt or not the one the manifest describes"));
}

}  // namespace

absl::Status WriteIndexFolder(const std::string& folder_in, const faiss::Index& index,
                              const IdTable& ids, dense::IndexManifest manifest) {
  ASSIGN_OR_RETURN(const std::string folder, FinalTarget(ResolveUserPath(folder_in)));
  RETURN_IF_ERROR(CheckReplaceableFolder(folder));
  // Pyserini's FaissSearcher reads `docid` whatever the ids are: row numbers are written as text.
  std::string docids;
  for (int64_t i = 0; i < index.ntotal; ++i) {
    const std::string id = ids.row_numbers() || ids.empty() ? absl::StrCat(i) : ids.Get(i);
    if (!IsRunFileId(id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("id of row ", i,
                       " is empty or holds whitespace: the docid file holds one "
                       "id per line, and run files cannot carry it"));
    }
    absl::StrAppend(&docids, id, "\n");
  }
  const std::string parent = fs::path(folder).parent_path().string();
  std::error_code error;
  if (!parent.empty()) fs::create_directories(parent, error);  // as `mkdir -p`: nothing replaced
  std::string staged =
      absl::StrCat(parent.empty() ? "." : parent, "/.",
                   fs::path(folder).filename().string().substr(0, 200), ".trawl-XXXXXX");
  if (::mkdtemp(&staged[0]) == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create a folder beside '", folder, "': ", std::strerror(errno)));
  }
  // Whatever fails below, the staging folder goes (it holds only files written here).
  struct Cleanup {
    std::string path;
    bool keep = false;
    ~Cleanup() {
      if (!keep) RemoveTrawlFolder(path);
    }
  } cleanup{staged};
  const std::string index_path = staged + "/" + kIndexFile;
  RETURN_IF_ERROR(StatusFromCall("writing FAISS index " + index_path,
                                 [&] { faiss::write_index(&index, index_path.c_str()); }));
  RETURN_IF_ERROR(SyncFile(index_path));
  std::string sha;
  int64_t bytes = 0;
  RETURN_IF_ERROR(HashFile(index_path, &sha, &bytes));
  manifest.set_version(1);
  manifest.set_dim(index.d);
  manifest.set_rows(index.ntotal);
  manifest.set_index_bytes(bytes);
  manifest.set_index_sha256(sha);
  manifest.set_row_number_ids(ids.row_numbers() || ids.empty());
  manifest.set_docid_sha256(Sha256Hex(docids));
  RETURN_IF_ERROR(WriteSyncedFile(staged + "/" + kDocidFile, docids));
  std::string manifest_text;
  google::protobuf::TextFormat::PrintToString(manifest, &manifest_text);
  RETURN_IF_ERROR(WriteSyncedFile(staged + "/" + kManifestFile, manifest_text));
  RETURN_IF_ERROR(SyncFolder(staged));
  RETURN_IF_ERROR(ReplaceFolder(staged, folder));
  cleanup.keep = true;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> IndexFileBytes(const std::string& folder) {
  std::error_code error;
  const std::string path = ResolveUserPath(folder) + "/" + kIndexFile;
  const auto size = fs::file_size(path, error);
  if (error) return absl::NotFoundError(absl::StrCat("cannot read '", path, "'"));
  return static_cast<int64_t>(size);
}

absl::StatusOr<IndexFolder> ReadIndexFolder(const std::string& folder_in) {
  const std::string folder = ResolveUserPath(folder_in);
  const std::string index_path = folder + "/" + kIndexFile;
  const std::string docid_path = folder + "/" + kDocidFile;
  const std::string manifest_path = folder + "/" + kManifestFile;
  IndexFolder result;
  std::error_code error;
  result.has_manifest = fs::exists(manifest_path, error);
  if (result.has_manifest) {
    ASSIGN_OR_RETURN(std::string text, ReadWholeFile(manifest_path, kMaxManifestBytes));
    if (!google::protobuf::TextFormat::ParseFromString(text, &result.manifest) ||
        result.manifest.version() != 1) {
      return Corrupt(manifest_path, "not a version-1 Trawl index manifest");
    }
  }
  const dense::IndexManifest& manifest = result.manifest;
  if (result.has_manifest) {
    std::string sha;
    int64_t bytes = 0;
    RETURN_IF_ERROR(HashFile(index_path, &sha, &bytes));
    if (bytes != manifest.index_bytes()) {
      return Corrupt(index_path,
                     absl::StrCat("expected ", manifest.index_bytes(), " bytes, found ", bytes));
    }
    if (sha != manifest.index_sha256()) {
      return Corrupt(index_path,
                     absl::StrCat("expected SHA-256 ", manifest.index_sha256(), ", found ", sha));
    }
  } else {
    // FAISS opens the path itself: a FIFO or device there must be refused first.
    RETURN_IF_ERROR(OpenRegularFile(index_path).status());
  }
  RETURN_IF_ERROR(StatusFromCall("reading FAISS index " + index_path, [&] {
    result.index.reset(faiss::read_index(index_path.c_str()));
  }));
  if (result.has_manifest &&
      (result.index->d != manifest.dim() || result.index->ntotal != manifest.rows())) {
    return Corrupt(index_path,
                   absl::StrCat("expected ", manifest.rows(), " x ", manifest.dim(), ", found ",
                                result.index->ntotal, " x ", result.index->d));
  }
  if (!result.has_manifest) {  // Pyserini: the metric the index was built with
    result.manifest.set_metric(result.index->metric_type == faiss::METRIC_INNER_PRODUCT
                                   ? dense::INNER_PRODUCT
                                   : dense::L2);
    result.manifest.set_dim(result.index->d);
    result.manifest.set_rows(result.index->ntotal);
  }
  if (result.has_manifest && manifest.row_number_ids()) return result;

  absl::StatusOr<std::string> docids = ReadWholeFile(docid_path, kMaxDocidBytes);
  if (!docids.ok()) {
    if (result.has_manifest) return Corrupt(docid_path, "missing");
    return absl::NotFoundError(absl::StrCat(
        "cannot read '", docid_path, "': an index folder has a docid file, one id per line"));
  }
  if (result.has_manifest && Sha256Hex(*docids) != manifest.docid_sha256()) {
    return Corrupt(docid_path, absl::StrCat("expected SHA-256 ", manifest.docid_sha256()));
  }
  // One id per line, as Pyserini writes it: a blank line, whitespace in an id or an id twice is
  // an error naming the line (a run file could not carry them, and rows would shift).
  RecordIds ids;
  absl::string_view rest = *docids;
  int64_t line = 0;
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    absl::string_view id = rest.substr(0, end);
    if (!id.empty() && id.back() == '\r') id.remove_suffix(1);
    ++line;
    RETURN_IF_ERROR(ids.Add(std::string(id), line, absl::StrCat(docid_path, ":", line)));
    rest.remove_prefix(end == absl::string_view::npos ? rest.size() : end + 1);
  }
  if (ids.size() != result.index->ntotal) {
    return absl::InvalidArgumentError(absl::StrCat(docid_path, ": expected ", result.index->ntotal,
                                                   " ids (the index's rows), found ", ids.size()));
  }
  result.ids = std::move(ids).Build();
  return result;
}

}  // namespace trawl
