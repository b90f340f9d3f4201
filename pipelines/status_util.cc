#include "pipelines/status_util.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace trawl {

bool IsAllocationFailureMessage(absl::string_view message) {
  // FAISS: "failed to cudaHostAlloc ... (error 2 out of memory)", "Failed to cudaMalloc ...",
  // "cudaMalloc error ..."; CUDA: "out of memory"; cuBLAS: CUBLAS_STATUS_ALLOC_FAILED.
  const std::string lower = absl::AsciiStrToLower(message);
  return absl::StrContains(lower, "out of memory") || absl::StrContains(lower, "cudamalloc") ||
         absl::StrContains(lower, "cudahostalloc") || absl::StrContains(lower, "alloc_failed") ||
         absl::StrContains(lower, "bad_alloc");
}

absl::Status StatusFromExceptionMessage(absl::string_view what, absl::string_view message) {
  // FAISS's messages span lines ("Error in ... at file:line: ..."); a Status is one line.
  std::string folded = absl::StrReplaceAll(absl::StripAsciiWhitespace(message), {{"\r", ""}});
  absl::StrReplaceAll({{"\n", " "}}, &folded);
  std::string text = absl::StrCat(what, ": ", folded);
  if (IsAllocationFailureMessage(message)) return absl::ResourceExhaustedError(text);
  return absl::InternalError(text);
}

namespace {

// The length of the valid UTF-8 sequence at the start of `text`, or 0.
size_t Utf8Length(absl::string_view text) {
  const unsigned char lead = static_cast<unsigned char>(text[0]);
  size_t length = lead < 0x80                    ? 1
                  : lead >= 0xC2 && lead <= 0xDF ? 2
                  : lead >= 0xE0 && lead <= 0xEF ? 3
                  : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                 : 0;
  if (length == 0 || length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) return 0;
  }
  const unsigned char second = static_cast<unsigned char>(text.size() > 1 ? text[1] : 0);
  if ((lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F) ||
      (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second > 0x8F)) {
    return 0;  // overlong, surrogate, or beyond U+10FFFF
  }
  return length;
}

}  // namespace

size_t FirstInvalidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8Length(text.substr(i));
    if (length == 0) return i;
    i += length;
  }
  return absl::string_view::npos;
}

std::string PrintableMessage(absl::string_view text, size_t max_line_bytes) {
  std::string out;
  size_t line_bytes = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '\n') {
      out += '\n';
      line_bytes = 0;
      ++i;
      continue;
    }
    if (line_bytes >= max_line_bytes) {
      const size_t end = text.find('\n', i);
      const size_t skipped = (end == absl::string_view::npos ? text.size() : end) - i;
      absl::StrAppend(&out, "... (", skipped, " more bytes)");
      i += skipped;
      continue;
    }
    const size_t length = Utf8Length(text.substr(i));
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (length == 0 || (length == 1 && (c < 0x20 || c == 0x7F))) {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
      line_bytes += 4;
      ++i;
    } else {
      out.append(text.data() + i, length);
      line_bytes += length;
      i += length;
    }
  }
  return out;
}

}  // namespace trawl
