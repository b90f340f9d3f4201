#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pipelines/stage_test_runner.h"
#include "stages/formats/trec.h"

namespace trawl {
namespace {

absl::StatusOr<StageTestRunner> Reader(const std::string& path) {
  return StageTestRunner::Create(R"cfg(type: "qrels_reader"
    options { [type.googleapis.com/trawl.io.QrelsReaderOptions] { path: ")cfg" +
                                 path + "\" } }");
}

TEST(QrelsReaderStageTest, ReadsTheFixture) {
  absl::StatusOr<StageTestRunner> runner =
      Reader(std::string(std::getenv("TEST_SRCDIR")) + "/trawl/tests/testdata/tiny/qrels.txt");
  ASSERT_TRUE(runner.ok()) << runner.status();
  ASSERT_TRUE(runner->Run().ok());
  const Qrels* qrels = runner->Output<Qrels>("qrels");
  ASSERT_NE(qrels, nullptr);
  EXPECT_EQ(qrels->by_query.size(), 3);
  EXPECT_EQ(qrels->by_query.at("q1").at("d2"), 2);
  EXPECT_EQ(runner->report().notes().at("queries"), "3");
}

TEST(QrelsReaderStageTest, MissingFileAndMalformedLinesAreNamed) {
  absl::StatusOr<StageTestRunner> missing = Reader("/nonexistent/qrels");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->Run().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<StageTestRunner> bad =
      Reader(std::string(std::getenv("TEST_SRCDIR")) + "/trawl/tests/testdata/tiny/run.txt");
  ASSERT_TRUE(bad.ok());
  EXPECT_THAT(std::string(bad->Run().message()),
              ::testing::HasSubstr("run.txt:1: expected \"QID ITER DOCNO REL\""));
}

}  // namespace
}  // namespace trawl
