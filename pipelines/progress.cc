#include "pipelines/progress.h"

#include <unistd.h>

#include "absl/strings/str_format.h"

namespace trawl {

Progress::Progress(std::string label, int64_t total, std::FILE* out, int tty,
                   std::chrono::seconds line_interval)
    : label_(std::move(label)),
      total_(total),
      out_(out),
      tty_(tty >= 0 ? tty != 0 : isatty(fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()),
      line_interval_(line_interval),
      last_draw_(start_) {}

std::string Progress::Format(int64_t done, int64_t total, double seconds) {
  const double rate = seconds > 0 ? done / seconds : 0;
  std::string text = absl::StrFormat("%d/%d %.2f/s", done, total, rate);
  if (done > 0 && done < total && rate > 0) {
    const int64_t eta = static_cast<int64_t>((total - done) / rate + 0.5);
    absl::StrAppendFormat(&text, " ETA %d:%02d", eta / 60, eta % 60);
  }
  return text;
}

void Progress::Update(int64_t done, absl::string_view detail) {
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const std::string text = absl::StrFormat("%s %s%s%s", label_, Format(done, total_, seconds),
                                           detail.empty() ? "" : "  ", detail);
  if (!tty_) {
    if (done < total_ && line_interval_.count() > 0 && now - last_draw_ < line_interval_) return;
    absl::FPrintF(out_, "%s\n", text);
    last_draw_ = now;
    return;
  }
  if (drawn_ && done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  absl::FPrintF(out_, "\r\033[K%s", text);  // redraw in place
  std::fflush(out_);
  last_draw_ = now;
  drawn_ = true;
}

void Progress::Finish() {
  if (tty_ && drawn_) absl::FPrintF(out_, "\n");
  std::fflush(out_);
}

}  // namespace trawl
