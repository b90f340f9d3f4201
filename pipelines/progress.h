// Progress of a long job (sweep points, long stages): done/total, rate and ETA.
//
// On a terminal the line redraws in place ("\r"), at most 10 times a second; otherwise Update()
// writes plain log lines — every update, or at most one per `line_interval` for frequent updates —
// so CI logs stay readable. The last update always prints. Not thread-safe.
//
//   Progress progress("sweep", points.size());
//   for (...) { ...; progress.Update(++done, "search.nprobe=8 ok"); }
//   progress.Finish();
#ifndef TRAWL_PIPELINES_PROGRESS_H_
#define TRAWL_PIPELINES_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"

namespace trawl {

class Progress {
 public:
  // Writes to `out` (default stderr); `tty` defaults to whether `out` is a terminal.
  Progress(std::string label, int64_t total, std::FILE* out = stderr, int tty = -1,
           std::chrono::seconds line_interval = std::chrono::seconds(0));

  void Update(int64_t done, absl::string_view detail = "");
  void Finish();

  // "12/40 3.2/s ETA 0:09": the text both modes print.
  static std::string Format(int64_t done, int64_t total, double seconds);

 private:
  std::string label_;
  int64_t total_;
  std::FILE* out_;  // not owned
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::seconds line_interval_;               // least time between plain lines
  std::chrono::steady_clock::time_point last_draw_;  // throttles redraws and plain lines
  bool drawn_ = false;
};

}  // namespace trawl

#endif  // TRAWL_PIPELINES_PROGRESS_H_
