// Converting exceptions to absl::Status at a stage boundary, and a return-on-error macro.
//
//   RETURN_IF_ERROR(StatusFromCall("GpuIndexFlat::add", [&] { index->add(n, x); }));
//
// FAISS throws faiss::FaissException (a std::exception) and std::bad_alloc; both become a Status
// that keeps the original message. Allocation failures map to ResourceExhausted so the
// memory-management stage can tell them from other errors. Thread-safe.
#ifndef TRAWL_PIPELINES_STATUS_UTIL_H_
#define TRAWL_PIPELINES_STATUS_UTIL_H_

#include <exception>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace trawl {

// Whether an error message (FAISS's or CUDA's) reports a failed allocation.
bool IsAllocationFailureMessage(absl::string_view message);

// ResourceExhausted for allocation failures, Internal otherwise; "WHAT: MESSAGE" on one line
// (the message's line breaks become spaces).
absl::Status StatusFromExceptionMessage(absl::string_view what, absl::string_view message);

// `text` as a person can read it on one terminal line or in a JSON report: bytes that are not
// UTF-8 and control characters other than newlines become \xNN escapes, and each line is cut at
// `max_line_bytes` with how much was left out ("... (4999000 more bytes)"), so a 5 MB path is not
// echoed whole.
std::string PrintableMessage(absl::string_view text, size_t max_line_bytes = 1000);

// The offset of the first byte of `text` that does not begin a valid UTF-8 sequence, or npos.
size_t FirstInvalidUtf8(absl::string_view text);

// Runs `fn` (returning void or absl::Status) and converts anything it throws.
template <typename Fn>
absl::Status StatusFromCall(absl::string_view what, Fn&& fn) {
  try {
    if constexpr (std::is_same_v<decltype(fn()), absl::Status>) {
      return std::forward<Fn>(fn)();
    } else {
      std::forward<Fn>(fn)();
      return absl::OkStatus();
    }
  } catch (const std::bad_alloc& e) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, ": host allocation failed (", e.what(), ")"));
  } catch (const std::exception& e) {
    return StatusFromExceptionMessage(what, e.what());
  }
}

}  // namespace trawl

#define TRAWL_STATUS_CONCAT_INNER(a, b) a##b
#define TRAWL_STATUS_CONCAT(a, b) TRAWL_STATUS_CONCAT_INNER(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::absl::Status trawl_status_ = (expr);         \
    if (!trawl_status_.ok()) return trawl_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(T x, StatusOrExpr);` declares x from the value or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  TRAWL_ASSIGN_OR_RETURN_IMPL(TRAWL_STATUS_CONCAT(trawl_statusor_, __LINE__), lhs, expr)
#define TRAWL_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) return statusor.status();          \
  lhs = std::move(statusor).value()

#endif  // TRAWL_PIPELINES_STATUS_UTIL_H_
