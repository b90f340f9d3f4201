#include "tools/eval_command.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trawl {
namespace {

std::string Data(const std::string& name) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/trawl/tests/testdata/tiny/" + name;
}

TEST(EvalCommandTest, TrecEvalCommandLineAndOutput) {
  absl::StatusOr<std::string> out =
      RunEvalCommand({"-q", "-M1000", "-m", "map", "-mP.5", Data("qrels.txt"), Data("run.txt")});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out,
            "map                   \tq1\t0.2778\n"
            "P_5                   \tq1\t0.4000\n"
            "map                   \tq2\t0.0000\n"
            "P_5                   \tq2\t0.0000\n"
            "map                   \tall\t0.1389\n"
            "P_5                   \tall\t0.2000\n");
}

TEST(EvalCommandTest, NoSummaryJudgedOnlyAndCollectionSize) {
  // -n: per-query lines only.
  absl::StatusOr<std::string> out =
      RunEvalCommand({"-q", "-n", "-m", "num_ret", Data("qrels.txt"), Data("run.txt")});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->find("\tall\t"), std::string::npos) << *out;
  // -J drops the documents the qrels do not judge: q1 keeps d3, d1, d2 (not dX, not in the
  // qrels, nor d9, judged -1); q2 keeps e1 (not e2). 4 of the 7 retrieved.
  absl::StatusOr<std::string> judged =
      RunEvalCommand({"-J", "-m", "num_ret", Data("qrels.txt"), Data("run.txt")});
  ASSERT_TRUE(judged.ok()) << judged.status();
  EXPECT_EQ(*judged, "num_ret               \tall\t4\n");
  // -N feeds utility's fourth coefficient: (N + r - n - R) more or less.
  absl::StatusOr<std::string> n0 =
      RunEvalCommand({"-m", "utility.0,0,0,1", Data("qrels.txt"), Data("run.txt")});
  absl::StatusOr<std::string> n100 =
      RunEvalCommand({"-N", "100", "-m", "utility.0,0,0,1", Data("qrels.txt"), Data("run.txt")});
  ASSERT_TRUE(n0.ok() && n100.ok());
  const double u0 = std::stod(n0->substr(n0->rfind('\t') + 1));
  const double u100 = std::stod(n100->substr(n100->rfind('\t') + 1));
  EXPECT_DOUBLE_EQ(u100 - u0, 100);
}

TEST(EvalCommandTest, CompleteAveragingRelevanceLevelAndIrMeasures) {
  absl::StatusOr<std::string> out = RunEvalCommand(
      {"-c", "-l", "2", "-m", "num_q", "-m", "nDCG@3", Data("qrels.txt"), Data("run.txt")});
  ASSERT_TRUE(out.ok()) << out.status();
  // nDCG@3: q1 0.1597 (hand-computed in trec_eval_test), q2 and q3 0; averaged over 3 queries.
  EXPECT_EQ(*out, "num_q                 \tall\t3\nnDCG@3                \tall\t0.0532\n");
}

TEST(EvalCommandTest, BadInputNamesTheProblem) {
  EXPECT_THAT(std::string(RunEvalCommand({"-x", "a", "b"}).status().message()),
              ::testing::StartsWith("unknown option -x; usage: trawl eval"));
  EXPECT_THAT(std::string(RunEvalCommand({"-M", "0", "a", "b"}).status().message()),
              ::testing::StartsWith("-M expects a positive integer, found '0'"));
  EXPECT_THAT(std::string(RunEvalCommand({"only_one"}).status().message()),
              ::testing::StartsWith("expected QRELS and RUN, found 1 file arguments"));
  absl::Status bad = RunEvalCommand({Data("qrels.txt"), Data("bad_run.txt")}).status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.message()),
              ::testing::HasSubstr("bad_run.txt:3: expected at least 6 columns"));
  EXPECT_EQ(RunEvalCommand({Data("qrels.txt"), "/nonexistent.run"}).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace trawl
