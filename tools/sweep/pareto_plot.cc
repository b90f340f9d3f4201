#include "tools/sweep/pareto_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace trawl {
namespace {

std::string XmlEscape(const std::string& text) {
  return absl::StrReplaceAll(text,
                             {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

bool Plottable(const sweep::PointResult& r) { return r.ok() && r.queries_per_second() > 0; }

}  // namespace

std::vector<bool> ParetoFront(const std::vector<sweep::PointResult>& results) {
  std::vector<bool> front(results.size(), false);
  for (size_t i = 0; i < results.size(); ++i) {
    if (!Plottable(results[i])) continue;
    front[i] = true;
    for (size_t j = 0; j < results.size() && front[i]; ++j) {
      if (j == i || !Plottable(results[j])) continue;
      const auto& a = results[i];
      const auto& b = results[j];
      const bool dominates =
          b.recall() >= a.recall() && b.queries_per_second() >= a.queries_per_second() &&
          (b.recall() > a.recall() || b.queries_per_second() > a.queries_per_second());
      if (dominates) front[i] = false;
    }
  }
  return front;
}

std::string SummaryTable(const std::vector<sweep::PointResult>& results,
                         const std::vector<bool>& front, const std::string& recall_metric) {
  std::string out = absl::StrFormat("  %-40s %-14s %14s\n", "point", recall_metric, "queries/s");
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    if (!r.ok()) {
      absl::StrAppendFormat(&out, "  %-40s FAILED: %s\n", r.id(), r.error());
      continue;
    }
    absl::StrAppendFormat(&out, "  %-40s %-14.4f %14.0f%s\n", r.id(), r.recall(),
                          r.queries_per_second(), front[i] ? "  pareto" : "");
  }
  return out;
}

std::string SummaryCsv(const std::vector<sweep::PointResult>& results,
                       const std::vector<bool>& front) {
  std::string out = "id,ok,recall,queries_per_second,wall_seconds,device,pareto,error\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    absl::StrAppendFormat(&out, "%s,%d,%.6f,%.3f,%.3f,%s,%d,%s\n", CsvField(r.id()), r.ok(),
                          r.recall(), r.queries_per_second(), r.wall_seconds(),
                          CsvField(r.device()), front[i] ? 1 : 0, CsvField(r.error()));
  }
  return out;
}

std::string ParetoSvg(const std::vector<sweep::PointResult>& results,
                      const std::vector<bool>& front, const std::string& title,
                      const std::string& recall_metric) {
  constexpr double kWidth = 760, kHeight = 500, kLeft = 90, kRight = 30, kTop = 50, kBottom = 60;
  double x_min = 1, x_max = 0, y_min = 1e300, y_max = 0;
  for (const auto& r : results) {
    if (!Plottable(r)) continue;
    x_min = std::min(x_min, r.recall());
    x_max = std::max(x_max, r.recall());
    y_min = std::min(y_min, r.queries_per_second());
    y_max = std::max(y_max, r.queries_per_second());
  }
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      "<text x=\"%.0f\" y=\"28\" font-size=\"16\" text-anchor=\"middle\">%s</text>\n",
      kWidth, kHeight, kWidth / 2, XmlEscape(title));
  if (x_max < x_min) {  // nothing to plot
    return svg + absl::StrFormat(
                     "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">no successful "
                     "point</text>\n</svg>\n",
                     kWidth / 2, kHeight / 2);
  }
  // Recall: linear, padded; queries/s: log10, whole decades.
  const double pad = std::max(0.01, (x_max - x_min) * 0.05);
  x_min = std::max(0.0, x_min - pad);
  x_max = std::min(1.0, x_max + pad);
  if (x_max <= x_min) x_max = x_min + 0.01;
  const double ly_min = std::floor(std::log10(y_min)),
               ly_max = std::max(ly_min + 1, std::ceil(std::log10(y_max)));
  auto px = [&](double recall) {
    return kLeft + (recall - x_min) / (x_max - x_min) * (kWidth - kLeft - kRight);
  };
  auto py = [&](double qps) {
    return kHeight - kBottom -
           (std::log10(qps) - ly_min) / (ly_max - ly_min) * (kHeight - kTop - kBottom);
  };
  // Axes, ticks and grid.
  absl::StrAppendFormat(
      &svg,
      "<g stroke=\"black\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g>\n",
      kLeft, kHeight - kBottom, kWidth - kRight, kHeight - kBottom, kLeft, kTop, kLeft,
      kHeight - kBottom);
  for (int t = 0; t <= 5; ++t) {
    const double recall = x_min + (x_max - x_min) * t / 5;
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.3f</text>\n",
                          px(recall), kTop, px(recall), kHeight - kBottom, px(recall),
                          kHeight - kBottom + 18, recall);
  }
  for (double decade = ly_min; decade <= ly_max; ++decade) {
    const double qps = std::pow(10.0, decade);
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                          kLeft, py(qps), kWidth - kRight, py(qps), kLeft - 6, py(qps) + 4,
                          absl::StrFormat("%.0e", qps));
  }
  absl::StrAppendFormat(
      &svg, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%s (higher is better)</text>\n",
      (kLeft + kWidth - kRight) / 2, kHeight - 15, XmlEscape(recall_metric));
  absl::StrAppendFormat(&svg,
                        "<text transform=\"translate(22,%.0f) rotate(-90)\" text-anchor=\"middle\">"
                        "queries/s, log scale (higher is better)</text>\n",
                        (kTop + kHeight - kBottom) / 2);
  // The front, joined in recall order.
  std::vector<size_t> on_front;
  for (size_t i = 0; i < results.size(); ++i)
    if (front[i]) on_front.push_back(i);
  std::sort(on_front.begin(), on_front.end(),
            [&](size_t a, size_t b) { return results[a].recall() < results[b].recall(); });
  std::string path;
  for (size_t i : on_front)
    absl::StrAppendFormat(&path, "%.1f,%.1f ", px(results[i].recall()),
                          py(results[i].queries_per_second()));
  absl::StrAppendFormat(
      &svg, "<polyline points=\"%s\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\"/>\n",
      path);
  for (size_t i = 0; i < results.size(); ++i) {
    if (!Plottable(results[i])) continue;
    const double x = px(results[i].recall()), y = py(results[i].queries_per_second());
    // Labels in the right half read leftwards, so they stay inside the plot.
    const bool right_half = x > (kLeft + kWidth - kRight) / 2;
    absl::StrAppendFormat(
        &svg,
        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\"><title>%s</title></circle>"
        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#444\" text-anchor=\"%s\">%s</text>\n",
        x, y, front[i] ? 5 : 4, front[i] ? "#d62728" : "#7f7f7f", XmlEscape(results[i].id()),
        right_half ? x - 8 : x + 8, y + 4, right_half ? "end" : "start",
        XmlEscape(results[i].id()));
  }
  absl::StrAppendFormat(
      &svg,
      "<g font-size=\"11\"><circle cx=\"%.0f\" cy=\"%.0f\" r=\"5\" fill=\"#d62728\"/>"
      "<text x=\"%.0f\" y=\"%.0f\">Pareto front</text><circle cx=\"%.0f\" cy=\"%.0f\" r=\"4\" "
      "fill=\"#7f7f7f\"/><text x=\"%.0f\" y=\"%.0f\">dominated</text></g>\n</svg>\n",
      kWidth - 200, kTop - 12, kWidth - 190, kTop - 8, kWidth - 100, kTop - 12, kWidth - 90,
      kTop - 8);
  return svg;
}

absl::Status WriteSweepOutputs(const std::vector<sweep::PointResult>& results,
                               const sweep::SweepConfig& sweep, const std::string& out_dir) {
  const std::vector<bool> front = ParetoFront(results);
  std::printf("%s", SummaryTable(results, front, sweep.recall_metric()).c_str());
  std::ofstream(out_dir + "/summary.csv") << SummaryCsv(results, front);
  const std::string svg_path = out_dir + "/plot.svg";
  std::ofstream(svg_path) << ParetoSvg(results, front, absl::StrCat("sweep ", sweep.name()),
                                       sweep.recall_metric());
  std::string outputs = absl::StrCat(out_dir, "/{results.jsonl,summary.csv,plot.svg");
  // PNG where Debian's librsvg2-bin is installed; the SVG is the plot either way.
  if (std::system("command -v rsvg-convert >/dev/null 2>&1") == 0) {
    const std::string command =
        absl::StrCat("rsvg-convert -o '", out_dir, "/plot.png' '", svg_path, "' 2>/dev/null");
    if (std::system(command.c_str()) == 0) absl::StrAppend(&outputs, ",plot.png");
  }
  std::printf("  results: %s}\n", outputs.c_str());
  return absl::OkStatus();
}

}  // namespace trawl
