#include "pipelines/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"

namespace trawl {
namespace {

constexpr size_t kWriteBufferBytes = 1 << 20;
constexpr int kMaxSymlinks = 40;  // as Linux's own limit on a path's links

std::string ErrnoText(int error) { return std::strerror(error); }

std::string FolderOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Writes all of `bytes` to `fd`, retrying short writes and interrupts; errno on failure.
bool WriteAll(int fd, absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

}  // namespace

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

FileDescriptor::~FileDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

std::string DescribeFileType(unsigned int st_mode) {
  if (S_ISREG(st_mode)) return "a regular file";
  if (S_ISDIR(st_mode)) return "a directory";
  if (S_ISFIFO(st_mode)) return "a FIFO";
  if (S_ISCHR(st_mode)) return "a character device";
  if (S_ISBLK(st_mode)) return "a block device";
  if (S_ISSOCK(st_mode)) return "a socket";
  if (S_ISLNK(st_mode)) return "a symbolic link";
  return "not a regular file";
}

absl::StatusOr<FileDescriptor> OpenRegularFile(const std::string& path, int64_t* size) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot read '", path, "': ", ErrnoText(errno)));
  }
  if (!S_ISREG(info.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": expected a regular file, found ", DescribeFileType(info.st_mode)));
  }
  // O_NONBLOCK: if the path was swapped for a FIFO since stat, open must not wait for a writer.
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    return absl::NotFoundError(absl::StrCat("cannot read '", path, "': ", ErrnoText(errno)));
  }
  if (::fstat(fd.get(), &info) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot read '", path, "': ", ErrnoText(errno)));
  }
  if (!S_ISREG(info.st_mode)) {  // swapped since the stat above
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": expected a regular file, found ", DescribeFileType(info.st_mode)));
  }
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  if (size != nullptr) *size = static_cast<int64_t>(info.st_size);
  return fd;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path, int64_t max_bytes) {
  int64_t size = 0;
  absl::StatusOr<FileDescriptor> fd = OpenRegularFile(path, &size);
  if (!fd.ok()) return fd.status();
  if (size > max_bytes) {
    return absl::OutOfRangeError(absl::StrCat(path, ": ", size, " bytes, more than the ", max_bytes,
                                              " bytes this file may have"));
  }
  // Files whose size stat does not know (procfs reports 0) grow the buffer as they are read, up
  // to the limit.
  std::string bytes(static_cast<size_t>(size), '\0');
  size_t filled = 0;
  while (true) {
    if (filled == bytes.size()) {
      if (static_cast<int64_t>(bytes.size()) >= max_bytes) {
        char extra;
        if (::read(fd->get(), &extra, 1) > 0) {
          return absl::OutOfRangeError(
              absl::StrCat(path, ": more than the ", max_bytes, " bytes this file may have"));
        }
        break;
      }
      bytes.resize(static_cast<size_t>(
          std::min<int64_t>(static_cast<int64_t>(bytes.size() + kWriteBufferBytes), max_bytes)));
    }
    const ssize_t got = ::read(fd->get(), &bytes[filled], bytes.size() - filled);
    if (got < 0) {
      if (errno == EINTR) continue;
      return absl::DataLossError(absl::StrCat("reading '", path, "' failed: ", ErrnoText(errno)));
    }
    if (got == 0) break;
    filled += static_cast<size_t>(got);
  }
  bytes.resize(filled);
  return bytes;
}

absl::StatusOr<std::string> FinalTarget(const std::string& path) {
  std::string current = path;
  for (int hops = 0; hops <= kMaxSymlinks; ++hops) {
    struct stat info;
    if (::lstat(current.c_str(), &info) != 0 || !S_ISLNK(info.st_mode)) return current;
    std::vector<char> link(static_cast<size_t>(info.st_size > 0 ? info.st_size : 4096) + 1);
    const ssize_t length = ::readlink(current.c_str(), link.data(), link.size());
    if (length < 0) return current;
    const std::string destination(link.data(), static_cast<size_t>(length));
    current = destination.front() == '/' ? destination
                                         : absl::StrCat(FolderOf(current), "/", destination);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": more than ", kMaxSymlinks, " symbolic links (a loop?)"));
}

absl::Status CheckOutputFile(const std::string& path, absl::string_view what) {
  absl::StatusOr<std::string> target = FinalTarget(path);
  if (!target.ok()) return target.status();
  struct stat info;
  if (::stat(target->c_str(), &info) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::PermissionDeniedError(
        absl::StrCat(what, " '", path, "': cannot inspect it: ", ErrnoText(errno)));
  }
  if (!S_ISREG(info.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", path, "' is ", DescribeFileType(info.st_mode),
                     "; an output file replaces only a regular file, so nothing was written"));
  }
  return absl::OkStatus();
}

bool SameFile(const std::string& a, const std::string& b) {
  struct stat first, second;
  if (::stat(a.c_str(), &first) != 0 || ::stat(b.c_str(), &second) != 0) return false;
  return first.st_dev == second.st_dev && first.st_ino == second.st_ino;
}

absl::Status SyncFolder(const std::string& folder) {
  FileDescriptor fd(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    return absl::DataLossError(
        absl::StrCat("cannot sync folder '", folder, "': ", ErrnoText(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<AtomicFileWriter>> AtomicFileWriter::Create(const std::string& path,
                                                                           absl::string_view what) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": the path is empty"));
  absl::Status check = CheckOutputFile(path, what);
  if (!check.ok()) return check;
  absl::StatusOr<std::string> target = FinalTarget(path);
  if (!target.ok()) return target.status();
  std::unique_ptr<AtomicFileWriter> writer(new AtomicFileWriter());
  writer->what_ = std::string(what);
  writer->target_ = *target;
  // A name no other writer uses (pid, a counter, random bits), created exclusively with the
  // permissions of any file the user creates (0666 less the umask, applied by the kernel).
  static std::atomic<uint64_t> counter{0};
  std::random_device random;
  int fd = -1;
  std::string name;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    name = absl::StrCat(FolderOf(*target), "/.", BaseName(*target).substr(0, 200), ".trawl-",
                        ::getpid(), "-", counter++, "-", random());
    fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    return absl::PermissionDeniedError(absl::StrCat("cannot write ", what, " '", path,
                                                    "': creating a file in '", FolderOf(*target),
                                                    "' failed: ", ErrnoText(errno)));
  }
  writer->fd_ = FileDescriptor(fd);
  writer->temp_path_ = name;
  return writer;
}

AtomicFileWriter::~AtomicFileWriter() {
  if (!committed_) Abandon();
}

void AtomicFileWriter::Abandon() {
  fd_ = FileDescriptor();
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
}

absl::Status AtomicFileWriter::Flush() {
  if (!buffer_.empty()) {
    if (!WriteAll(fd_.get(), buffer_)) {
      const int error = errno;
      Abandon();
      return absl::DataLossError(absl::StrCat("writing ", what_, " '", target_,
                                              "' failed: ", ErrnoText(error),
                                              "; the previous file is unchanged"));
    }
    buffer_.clear();
  }
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::Append(absl::string_view bytes) {
  if (fd_.get() < 0) {
    return absl::FailedPreconditionError(absl::StrCat(what_, " '", target_, "' is closed"));
  }
  buffer_.append(bytes.data(), bytes.size());
  if (buffer_.size() >= kWriteBufferBytes) return Flush();
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::Commit() {
  if (fd_.get() < 0) {
    return absl::FailedPreconditionError(absl::StrCat(what_, " '", target_, "' is closed"));
  }
  absl::Status flushed = Flush();
  if (!flushed.ok()) return flushed;
  if (::fsync(fd_.get()) != 0 || ::close(fd_.release()) != 0) {
    const int error = errno;
    Abandon();
    return absl::DataLossError(absl::StrCat("writing ", what_, " '", target_, "' failed at fsync: ",
                                            ErrnoText(error), "; the previous file is unchanged"));
  }
  if (::rename(temp_path_.c_str(), target_.c_str()) != 0) {
    const int error = errno;
    Abandon();
    return absl::PermissionDeniedError(
        absl::StrCat("cannot move ", what_, " into place at '", target_, "': ", ErrnoText(error)));
  }
  committed_ = true;
  return SyncFolder(FolderOf(target_));
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 absl::string_view what) {
  absl::StatusOr<std::unique_ptr<AtomicFileWriter>> writer = AtomicFileWriter::Create(path, what);
  if (!writer.ok()) return writer.status();
  absl::Status appended = (*writer)->Append(contents);
  if (!appended.ok()) return appended;
  return (*writer)->Commit();
}

}  // namespace trawl
