// Every file reader of the formats library, given what is not a regular file — a directory, a FIFO
// with no writer, a character device that never ends (/dev/zero) — fails at once with one error
// naming the path and what is there: no read blocks, nothing is allocated from a size that is not
// a file's. (Index folders, sparse index files and configs have the same rows in their own tests.)
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stages/formats/sparse_vectors.h"
#include "stages/formats/texts.h"
#include "stages/formats/trec.h"
#include "stages/formats/vectors.h"

namespace trawl {
namespace {

using ::testing::HasSubstr;

struct Reader {
  std::string name;
  std::function<absl::Status(const std::string& path)> read;
};

std::vector<Reader> Readers() {
  auto vectors = [](VectorFormat format) {
    return [format](const std::string& path) {
      return ReadVectors(path, {format, "train", 0}).status();
    };
  };
  return {
      {"fvecs", vectors(VectorFormat::kFvecs)},
      {"bvecs", vectors(VectorFormat::kBvecs)},
      {"npy", vectors(VectorFormat::kNpy)},
      {"hdf5", vectors(VectorFormat::kHdf5)},
      {"vector jsonl", vectors(VectorFormat::kJsonLines)},
      {"ivecs",
       [](const std::string& p) { return ReadIntMatrix(p, VectorFormat::kIvecs, "", 0).status(); }},
      {"sparse jsonl",
       [](const std::string& p) {
         return ReadSparseVectors(p, {SparseFormat::kJsonLines, 0}).status();
       }},
      {"sparse tsv",
       [](const std::string& p) {
         return ReadSparseVectors(p, {SparseFormat::kTsvQueries, 0}).status();
       }},
      {"texts jsonl",
       [](const std::string& p) { return ReadTexts(p, {TextFormat::kJsonLines}).status(); }},
      {"texts tsv", [](const std::string& p) { return ReadTexts(p, {TextFormat::kTsv}).status(); }},
      {"trec documents",
       [](const std::string& p) { return ReadTexts(p, {TextFormat::kTrecDocuments}).status(); }},
      {"trec topics",
       [](const std::string& p) { return ReadTexts(p, {TextFormat::kTrecTopics}).status(); }},
      {"qrels", [](const std::string& p) { return ReadQrels(p).status(); }},
      {"trec run", [](const std::string& p) { return ReadTrecRun(p).status(); }},
  };
}

class NonRegularFilesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = ::testing::TempDir() + "/non_regular";
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ + "/a_directory");
    ASSERT_EQ(mkfifo((dir_ + "/a_fifo").c_str(), 0600), 0);
  }
  static std::string dir_;
};
std::string NonRegularFilesTest::dir_;

TEST_F(NonRegularFilesTest, EveryReaderRefusesThemAtOnce) {
  const std::vector<std::pair<std::string, std::string>> paths = {
      {dir_ + "/a_directory", "expected a regular file, found a directory"},
      {dir_ + "/a_fifo", "expected a regular file, found a FIFO"},
      {"/dev/zero", "expected a regular file, found a character device"}};
  for (const Reader& reader : Readers()) {
    for (const auto& [path, expected] : paths) {
      const absl::Status status = reader.read(path);
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << reader.name << " " << path;
      EXPECT_THAT(status.message(), HasSubstr(path + ": " + expected)) << reader.name;
    }
    const absl::Status missing = reader.read(dir_ + "/absent");
    EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound) << reader.name;
    EXPECT_THAT(missing.message(), HasSubstr(dir_ + "/absent")) << reader.name;
  }
}

}  // namespace
}  // namespace trawl
