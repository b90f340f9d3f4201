#include "tools/sweep/pareto_plot.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trawl {
namespace {

sweep::PointResult Point(const std::string& id, double recall, double qps, bool ok = true) {
  sweep::PointResult r;
  r.set_id(id);
  r.set_ok(ok);
  r.set_recall(recall);
  r.set_queries_per_second(qps);
  if (!ok) r.set_error("trawl: boom, \"quoted\"");
  return r;
}

TEST(ParetoPlotTest, FrontKeepsOnlyUndominatedSuccessfulPoints) {
  std::vector<sweep::PointResult> results = {
      Point("fast", 0.5, 1000),  Point("slow_exact", 1.0, 10),    Point("dominated", 0.5, 500),
      Point("middle", 0.9, 100), Point("worse_middle", 0.8, 100), Point("failed", 1.0, 1e6, false)};
  EXPECT_THAT(ParetoFront(results), ::testing::ElementsAre(true, true, false, true, false, false));
}

TEST(ParetoPlotTest, CsvQuotesAndMarksTheFront) {
  std::vector<sweep::PointResult> results = {Point("a,b", 0.5, 1000), Point("bad", 0, 0, false)};
  EXPECT_EQ(SummaryCsv(results, ParetoFront(results)),
            "id,ok,recall,queries_per_second,wall_seconds,device,pareto,error\n"
            "\"a,b\",1,0.500000,1000.000,0.000,,1,\n"
            "bad,0,0.000000,0.000,0.000,,0,\"trawl: boom, \"\"quoted\"\"\"\n");
}

TEST(ParetoPlotTest, SvgHasEveryPointTheFrontAndAxes) {
  std::vector<sweep::PointResult> results = {Point("p1", 0.5, 1000), Point("p2", 0.9, 100),
                                             Point("p3", 0.5, 500), Point("x", 0, 0, false)};
  std::string svg = ParetoSvg(results, ParetoFront(results), "sweep demo", "eval/recall@10");
  EXPECT_EQ(std::count(svg.begin(), svg.end(), '\n') > 10, true);
  size_t circles = 0;
  for (size_t at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1))
    ++circles;
  EXPECT_EQ(circles, 3 + 2);  // three points and two legend marks; the failed point is not drawn
  EXPECT_THAT(svg, ::testing::HasSubstr("<polyline points=\""));
  EXPECT_THAT(svg, ::testing::HasSubstr("eval/recall@10 (higher is better)"));
  EXPECT_THAT(svg, ::testing::HasSubstr(">1e+02<"));  // log-scale decade ticks
  EXPECT_THAT(svg, ::testing::HasSubstr(">1e+03<"));
}

TEST(ParetoPlotTest, NothingToPlotSaysSo) {
  std::vector<sweep::PointResult> results = {Point("x", 0, 0, false)};
  EXPECT_THAT(ParetoSvg(results, ParetoFront(results), "t", "r"),
              ::testing::HasSubstr("no successful point"));
}

}  // namespace
}  // namespace trawl
