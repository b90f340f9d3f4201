// The user's files, read and written safely: every reader of a whole file, and every output a
// pipeline run writes (run files, reports, sparse index files; index folders use its fsync and
// checks for their staged folder), goes through here.
//
//   OpenRegularFile / ReadWholeFile  read only regular files (a directory, FIFO, device or socket
//                  is an error naming what it is, and a FIFO with no writer never blocks), with the
//                  size bounded before anything is allocated.
//   CheckOutputFile  an output path that is absent or a regular file (following symlinks).
//   AtomicFileWriter  one complete file or the previous one: the bytes go to a uniquely named
//                  temporary file beside the target, which is fsynced, renamed over the target and
//                  its folder fsynced. Two processes writing one path never share a temporary file;
//                  the last to commit wins. A symlink at the path stays; its target is replaced.
//                  A failed write (full disk, failed fsync) is an error and leaves the previous
//                  file; the temporary file is removed on every failure.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<AtomicFileWriter> out, AtomicFileWriter::Create(path));
//   RETURN_IF_ERROR(out->Append("line\n"));
//   RETURN_IF_ERROR(out->Commit());
//
// Paths here are as the process sees them (callers resolve user paths with ResolveUserPath).
// Thread-compatible; functions are thread-safe.
#ifndef TRAWL_PIPELINES_FILES_H_
#define TRAWL_PIPELINES_FILES_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace trawl {

// A file descriptor that closes itself; -1 when empty.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.release()) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor();

  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// What a path names, in words for messages: "a directory", "a FIFO", "a character device", ...
std::string DescribeFileType(unsigned int st_mode);

// Opens the regular file at `path` for reading, following symlinks, without blocking on a FIFO.
// NotFound when nothing is there or it cannot be read; InvalidArgument when it is not a regular
// file ("PATH: expected a regular file, found a directory"). `size` (optional) receives its size.
absl::StatusOr<FileDescriptor> OpenRegularFile(const std::string& path, int64_t* size = nullptr);

// The whole regular file at `path` (as OpenRegularFile), at most `max_bytes`: OutOfRange naming
// the file, its size and the limit when larger, before anything is read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path, int64_t max_bytes);

// The path a write to `path` replaces: `path` itself, or the final target of the symlinks at it
// (which need not exist yet). InvalidArgument for a symlink loop.
absl::StatusOr<std::string> FinalTarget(const std::string& path);

// OK when `path` may be replaced by a file output: nothing is there, or a regular file (following
// symlinks). InvalidArgument naming what is there otherwise ("a directory", "a character
// device"). `what` names the output in the message ("run file").
absl::Status CheckOutputFile(const std::string& path, absl::string_view what);

// Whether two paths name the same existing file (same device and inode, following symlinks).
bool SameFile(const std::string& a, const std::string& b);

// Fsyncs the folder `folder` itself, so a rename or creation in it survives a crash.
absl::Status SyncFolder(const std::string& folder);

// Writes one output file atomically (see the file comment). Not thread-safe.
class AtomicFileWriter {
 public:
  // Checks the target (CheckOutputFile) and creates the temporary file
  // "<target folder>/.<name>.trawl-XXXXXX". `what` names the output in messages.
  static absl::StatusOr<std::unique_ptr<AtomicFileWriter>> Create(const std::string& path,
                                                                  absl::string_view what);
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  // Removes the temporary file unless Commit() succeeded.
  ~AtomicFileWriter();

  // Appends `bytes` (buffered). DataLoss naming the file when the write fails (a full disk).
  absl::Status Append(absl::string_view bytes);

  // Flushes, fsyncs, renames over the target and fsyncs its folder. After an error before the
  // rename the target is unchanged and the temporary file is gone; if only the folder's fsync
  // fails, the new file is in place and the error says the folder could not be synced.
  absl::Status Commit();

  // The temporary file's path, for a library that writes a file by name (faiss::write_index):
  // write it there, then Commit().
  const std::string& temp_path() const { return temp_path_; }
  // The file the commit replaces (the symlink's target when the path was a symlink).
  const std::string& target() const { return target_; }

 private:
  AtomicFileWriter() = default;
  absl::Status Flush();
  void Abandon();  // closes and removes the temporary file

  std::string what_;       // the output's role, for messages
  std::string target_;     // the file replaced on commit
  std::string temp_path_;  // the temporary file in target_'s folder
  FileDescriptor fd_;      // open on temp_path_ until commit
  std::string buffer_;     // bytes appended and not yet written
  bool committed_ = false;
};

// Writes `contents` to `path` atomically with an AtomicFileWriter.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 absl::string_view what);

}  // namespace trawl

#endif  // TRAWL_PIPELINES_FILES_H_
