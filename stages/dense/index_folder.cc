#include "stages/dense/index_folder.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "faiss/index_io.h"
#include "google/protobuf/text_format.h"
#include "pipelines/hashing.h"
#include "pipelines/paths.h"
#include "pipelines/status_util.h"

namespace trawl {
namespace {

namespace fs = std::filesystem;

constexpr char kIndexFile[] = "index";
constexpr char kDocidFile[] = "docid";
constexpr char kManifestFile[] = "trawl_index.pbtxt";

absl::StatusOr<std::string> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read '", path, "'"));
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// SHA-256 and size of a file, read in 1 MiB pieces (index files can be larger than memory allows
// twice).
absl::Status HashFile(const std::string& path, std::string* sha, int64_t* bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read '", path, "'"));
  Sha256 hash;
  std::string chunk(1 << 20, '\0');
  *bytes = 0;
  while (in) {
    in.read(&chunk[0], static_cast<std::streamsize>(chunk.size()));
    hash.Update(absl::string_view(chunk.data(), static_cast<size_t>(in.gcount())));
    *bytes += in.gcount();
  }
  *sha = hash.Hex();
  return absl::OkStatus();
}

absl::Status WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return absl::DataLossError(absl::StrCat("write to '", path, "' failed"));
  return absl::OkStatus();
}

// Puts the complete folder `staged` at `folder`: the old folder moves aside first (a directory
// cannot be renamed over a non-empty one), then goes.
absl::Status ReplaceFolder(const std::string& staged, const std::string& folder) {
  std::error_code error;
  const std::string old = absl::StrCat(folder, ".old-", getpid());
  const bool had_old = fs::exists(folder, error);
  if (had_old) {
    fs::rename(folder, old, error);
    if (error) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot move '", folder, "' aside: ", error.message()));
    }
  }
  fs::rename(staged, folder, error);
  if (error) {
    const std::string message = error.message();
    if (had_old) fs::rename(old, folder, error);  // put the previous folder back
    fs::remove_all(staged, error);
    return absl::PermissionDeniedError(
        absl::StrCat("cannot move '", staged, "' to '", folder, "': ", message));
  }
  if (had_old) fs::remove_all(old, error);
  return absl::OkStatus();
}

absl::Status Corrupt(const std::string& path, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(
      path, ": ", what, "; the file is truncated, corrupt or not the one the manifest describes"));
}

}  // namespace

absl::Status WriteIndexFolder(const std::string& folder_in, const faiss::Index& index,
                              const IdTable& ids, dense::IndexManifest manifest) {
  const std::string folder = ResolveUserPath(folder_in);
  std::string docids;
  if (!ids.row_numbers() && !ids.empty()) {
    for (int64_t i = 0; i < ids.size(); ++i) {
      const std::string id = ids.Get(i);
      if (id.find_first_of("\r\n") != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            "id of row ", i, " contains a line break: the docid file holds one id per line"));
      }
      absl::StrAppend(&docids, id, "\n");
    }
  }
  const std::string staged = absl::StrCat(folder, ".tmp-", getpid());
  std::error_code error;
  fs::remove_all(staged, error);
  fs::create_directories(staged, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create '", staged, "': ", error.message()));
  }
  // Whatever fails below, the staging folder goes.
  struct Cleanup {
    std::string path;
    bool keep = false;
    ~Cleanup() {
      std::error_code ignored;
      if (!keep) fs::remove_all(path, ignored);
    }
  } cleanup{staged};
  const std::string index_path = staged + "/" + kIndexFile;
  RETURN_IF_ERROR(StatusFromCall("writing FAISS index " + index_path,
                                 [&] { faiss::write_index(&index, index_path.c_str()); }));
  std::string sha;
  int64_t bytes = 0;
  RETURN_IF_ERROR(HashFile(index_path, &sha, &bytes));
  manifest.set_version(1);
  manifest.set_dim(index.d);
  manifest.set_rows(index.ntotal);
  manifest.set_index_bytes(bytes);
  manifest.set_index_sha256(sha);
  manifest.set_row_number_ids(docids.empty());
  if (!docids.empty()) {
    manifest.set_docid_sha256(Sha256Hex(docids));
    RETURN_IF_ERROR(WriteBytes(staged + "/" + kDocidFile, docids));
  }
  std::string manifest_text;
  google::protobuf::TextFormat::PrintToString(manifest, &manifest_text);
  RETURN_IF_ERROR(WriteBytes(staged + "/" + kManifestFile, manifest_text));
  cleanup.keep = true;  // ReplaceFolder moves it, or removes it itself on failure
  return ReplaceFolder(staged, folder);
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
    ASSIGN_OR_RETURN(std::string text, ReadBytes(manifest_path));
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
  } else if (!fs::exists(index_path, error)) {
    return absl::NotFoundError(absl::StrCat("cannot read '", index_path, "'"));
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

  absl::StatusOr<std::string> docids = ReadBytes(docid_path);
  if (!docids.ok()) {
    if (result.has_manifest) return Corrupt(docid_path, "missing");
    return absl::NotFoundError(absl::StrCat(
        "cannot read '", docid_path, "': an index folder has a docid file, one id per line"));
  }
  if (result.has_manifest && Sha256Hex(*docids) != manifest.docid_sha256()) {
    return Corrupt(docid_path, absl::StrCat("expected SHA-256 ", manifest.docid_sha256()));
  }
  IdTable::Builder ids;
  absl::string_view rest = *docids;
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    absl::string_view id = rest.substr(0, end);
    if (!id.empty() && id.back() == '\r') id.remove_suffix(1);
    ids.Add(id);
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
