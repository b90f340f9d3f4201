#include "stages/formats/line_reader.h"

#include <sys/stat.h>
#include <zlib.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "pipelines/files.h"
#include "pipelines/paths.h"
#include "pipelines/status_util.h"

namespace trawl {

struct LineReader::GzFile {
  gzFile handle = nullptr;
  ~GzFile() {
    if (handle != nullptr) gzclose(handle);
  }
};

absl::StatusOr<LineReader> LineReader::Open(absl::string_view path) {
  LineReader reader;
  reader.source_ = ResolveUserPath(path);
  ASSIGN_OR_RETURN(FileDescriptor fd, OpenRegularFile(reader.source_, &reader.total_bytes_));
  if (reader.total_bytes_ == 0) {
    return absl::InvalidArgumentError(absl::StrCat(reader.source_, ": the file is empty"));
  }
  reader.file_ = std::make_unique<GzFile>();
  reader.file_->handle = gzdopen(fd.get(), "rb");
  if (reader.file_->handle == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot read '", reader.source_, "'"));
  }
  fd.release();  // zlib closes it
  gzbuffer(reader.file_->handle, 1 << 20);
  return reader;
}

LineReader LineReader::FromText(absl::string_view text, absl::string_view source) {
  LineReader reader;
  reader.source_ = std::string(source);
  reader.text_ = text;
  reader.total_bytes_ = static_cast<int64_t>(text.size());
  return reader;
}

LineReader::LineReader(LineReader&&) noexcept = default;
LineReader& LineReader::operator=(LineReader&&) noexcept = default;
LineReader::~LineReader() = default;

int64_t LineReader::bytes_read() const {
  if (file_ == nullptr) return total_bytes_ - static_cast<int64_t>(text_.size());
  return gzoffset(file_->handle);
}

bool LineReader::Fill() {
  if (file_done_ || !status_.ok()) return false;
  buffer_.erase(0, buffer_pos_);
  buffer_pos_ = 0;
  const size_t old_size = buffer_.size();
  constexpr size_t kChunk = 1 << 20;
  buffer_.resize(old_size + kChunk);
  const int got = gzread(file_->handle, &buffer_[old_size], kChunk);
  if (got < 0) {
    int code = 0;
    const char* message = gzerror(file_->handle, &code);
    status_ = absl::DataLossError(
        absl::StrCat(source_, ": read error after line ", line_number_, ": ", message));
    buffer_.resize(old_size);
    return false;
  }
  buffer_.resize(old_size + static_cast<size_t>(got));
  if (got == 0) {
    file_done_ = true;
    int code = 0;
    const char* message = gzerror(file_->handle, &code);
    // zlib reports a compressed stream that ends early only through gzerror at the end.
    if (code != Z_OK && code != Z_STREAM_END) {
      status_ = absl::DataLossError(absl::StrCat(
          source_, ": the gzip stream is cut short after line ", line_number_, " (", message, ")"));
    }
    return false;
  }
  return true;
}

bool LineReader::Next(absl::string_view* line) {
  if (!status_.ok()) return false;
  absl::string_view found;
  if (file_ == nullptr) {
    if (text_.empty()) return false;
    const size_t end = text_.find('\n');
    found = text_.substr(0, end);
    text_.remove_prefix(end == absl::string_view::npos ? text_.size() : end + 1);
  } else {
    size_t end;
    while ((end = buffer_.find('\n', buffer_pos_)) == std::string::npos) {
      if (!Fill()) break;
    }
    if (!status_.ok()) return false;
    if (end == std::string::npos) {  // the last line has no "\n"
      if (buffer_pos_ == buffer_.size()) return false;
      end = buffer_.size();
    }
    found = absl::string_view(buffer_).substr(buffer_pos_, end - buffer_pos_);
    buffer_pos_ = std::min(end + 1, buffer_.size());
  }
  ++line_number_;
  absl::ConsumeSuffix(&found, "\r");
  if (line_number_ == 1) absl::ConsumePrefix(&found, "\xEF\xBB\xBF");
  *line = found;
  return true;
}

}  // namespace trawl
