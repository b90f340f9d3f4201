// Line-by-line reading of text files, plain or gzip-compressed (zlib reads both), for the line
// formats (JSON lines, TSV) whose files can be larger than memory.
//
//   ASSIGN_OR_RETURN(LineReader lines, LineReader::Open(path));
//   absl::string_view line;
//   while (lines.Next(&line)) { ... lines.line_number() ... }
//   RETURN_IF_ERROR(lines.status());  // a read error or a gzip stream cut short
//
// Lines come without their "\n" or "\r\n"; the first line without a UTF-8 byte order mark. A line
// is valid until the next call to Next(). Not thread-safe.
#ifndef TRAWL_STAGES_FORMATS_LINE_READER_H_
#define TRAWL_STAGES_FORMATS_LINE_READER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace trawl {

class LineReader {
 public:
  // Reads the file at `path` (resolved as a user path; ".gz" or not, zlib detects it). NotFound
  // when it cannot be opened; InvalidArgument "FILE: the file is empty" for an empty file.
  static absl::StatusOr<LineReader> Open(absl::string_view path);
  // Reads `text` (not copied: it must outlive the reader); `source` names it in messages.
  static LineReader FromText(absl::string_view text, absl::string_view source);

  LineReader(LineReader&&) noexcept;
  LineReader& operator=(LineReader&&) noexcept;
  ~LineReader();

  // The next line, false at the end of the input or on an error (then status() says which).
  bool Next(absl::string_view* line);
  absl::Status status() const { return status_; }
  // 1-based number of the line Next() returned last.
  int64_t line_number() const { return line_number_; }
  // Bytes of (compressed) input consumed so far, and the input's size, for progress lines.
  int64_t bytes_read() const;
  int64_t total_bytes() const { return total_bytes_; }
  const std::string& source() const { return source_; }

 private:
  struct GzFile;
  LineReader() = default;
  bool Fill();  // reads more of a file into buffer_; false at its end or on an error

  std::string source_;
  std::unique_ptr<GzFile> file_;  // null when reading text_
  absl::string_view text_;        // the unread part of the input given as text
  std::string buffer_;            // file input read but not yet returned
  size_t buffer_pos_ = 0;
  bool file_done_ = false;
  int64_t line_number_ = 0;
  int64_t total_bytes_ = 0;
  absl::Status status_;
};

}  // namespace trawl

#endif  // TRAWL_STAGES_FORMATS_LINE_READER_H_
