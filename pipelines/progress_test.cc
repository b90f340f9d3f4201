#include "pipelines/progress.h"

#include <cstdio>
#include <string>

#include "gtest/gtest.h"

namespace trawl {
namespace {

std::string Capture(bool tty) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  Progress progress("sweep", 4, out, tty ? 1 : 0);
  progress.Update(1, "a ok");
  progress.Update(4, "d ok");
  progress.Finish();
  std::fclose(out);
  std::string text(buffer, size);
  free(buffer);
  return text;
}

TEST(ProgressTest, FormatHasCountRateAndEta) {
  EXPECT_EQ(Progress::Format(1, 4, 2.0), "1/4 0.50/s ETA 0:06");
  EXPECT_EQ(Progress::Format(4, 4, 2.0), "4/4 2.00/s");
}

TEST(ProgressTest, PlainLinesWhenNotATerminal) {
  std::string text = Capture(false);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_NE(text.find("sweep 1/4 "), std::string::npos);
  EXPECT_NE(text.find("  d ok\n"), std::string::npos);
}

TEST(ProgressTest, RedrawsInPlaceOnATerminal) {
  std::string text = Capture(true);
  EXPECT_EQ(text.rfind("\r\033[Ksweep 1/4 ", 0), 0u);
  EXPECT_NE(text.find("\r\033[Ksweep 4/4 "), std::string::npos);  // the last update always draws
  EXPECT_EQ(text.back(), '\n');
}

TEST(ProgressTest, LineIntervalThrottlesPlainLinesButNotTheLast) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  Progress progress("knn", 3, out, 0, std::chrono::seconds(60));
  progress.Update(1);
  progress.Update(2);
  progress.Update(3);
  progress.Finish();
  std::fclose(out);
  std::string text(buffer, size);
  free(buffer);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  EXPECT_EQ(text.rfind("knn 3/3 ", 0), 0u);
}

}  // namespace
}  // namespace trawl
