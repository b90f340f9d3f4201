// A sweep's outputs: the Pareto front over (recall, queries/s), a summary table, CSV, and a
// recall-vs-queries/s plot (SVG; PNG too when rsvg-convert is installed) in ann-benchmarks' style:
// log-scale throughput, the front joined and marked. Pure functions except WriteSweepOutputs.
#ifndef TRAWL_TOOLS_SWEEP_PARETO_PLOT_H_
#define TRAWL_TOOLS_SWEEP_PARETO_PLOT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/sweep/sweep.pb.h"

namespace trawl {

// front[i]: point i succeeded and no other point has at least its recall and queries/s with one
// of them strictly higher.
std::vector<bool> ParetoFront(const std::vector<sweep::PointResult>& results);

std::string SummaryTable(const std::vector<sweep::PointResult>& results,
                         const std::vector<bool>& front, const std::string& recall_metric);
std::string SummaryCsv(const std::vector<sweep::PointResult>& results,
                       const std::vector<bool>& front);
std::string ParetoSvg(const std::vector<sweep::PointResult>& results,
                      const std::vector<bool>& front, const std::string& title,
                      const std::string& recall_metric);

// Prints the table to stdout and writes summary.csv, plot.svg and (with rsvg-convert) plot.png.
absl::Status WriteSweepOutputs(const std::vector<sweep::PointResult>& results,
                               const sweep::SweepConfig& sweep, const std::string& out_dir);

}  // namespace trawl

#endif  // TRAWL_TOOLS_SWEEP_PARETO_PLOT_H_
