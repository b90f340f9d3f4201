#include "pipelines/status_util.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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

}  // namespace trawl
