#include "stages/dense/index_folder.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "faiss/IndexFlat.h"
#include "faiss/index_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

// FAISS 1.7.3's read_index leaks the partly read index when it throws on a truncated file (the
// Pyserini test below makes it): not Trawl's allocation, so the sanitizer build is told to
// ignore that one.
extern "C" const char* __lsan_default_suppressions() { return "leak:faiss::read_index\n"; }

namespace trawl {
namespace {

using ::testing::HasSubstr;

std::string Dir(const std::string& name) { return ::testing::TempDir() + "/" + name; }

faiss::IndexFlatL2 ThreeVectors() {
  faiss::IndexFlatL2 index(2);
  const std::vector<float> data = {0, 0, 1, 0, 5, 5};
  index.add(3, data.data());
  return index;
}

dense::IndexManifest Described() {
  dense::IndexManifest manifest;
  manifest.set_description("Flat");
  manifest.set_metric(dense::L2);
  manifest.set_data_sha256("abc");
  return manifest;
}

TEST(IndexFolderTest, RoundTripWithIds) {
  const std::string folder = Dir("round_trip");
  faiss::IndexFlatL2 index = ThreeVectors();
  ASSERT_TRUE(WriteIndexFolder(folder, index, IdTable::Of({"a", "b", "c"}), Described()).ok());
  absl::StatusOr<IndexFolder> read = ReadIndexFolder(folder);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->has_manifest);
  EXPECT_EQ(read->manifest.description(), "Flat");
  EXPECT_EQ(read->manifest.data_sha256(), "abc");
  EXPECT_EQ(read->ids.Get(2), "c");
  // The index answers as the original: nearest to (4, 4) is row 2.
  const float query[2] = {4, 4};
  float distance;
  faiss::Index::idx_t label;
  read->index->search(1, query, 1, &distance, &label);
  EXPECT_EQ(label, 2);
  EXPECT_EQ(distance, 2.0f);

  // Rewriting replaces the folder and leaves no staging folder behind.
  ASSERT_TRUE(WriteIndexFolder(folder, index, IdTable::RowNumbers(3), Described()).ok());
  read = ReadIndexFolder(folder);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->ids.empty());
  EXPECT_FALSE(std::filesystem::exists(folder + "/docid"));
  for (const auto& entry : std::filesystem::directory_iterator(::testing::TempDir())) {
    EXPECT_THAT(entry.path().string(), ::testing::Not(HasSubstr(".tmp-")));
  }
}

TEST(IndexFolderTest, TruncatedOrCorruptFilesAreDetected) {
  const std::string folder = Dir("corrupt");
  faiss::IndexFlatL2 index = ThreeVectors();
  ASSERT_TRUE(WriteIndexFolder(folder, index, IdTable::Of({"a", "b", "c"}), Described()).ok());
  const std::string path = folder + "/index";
  const auto size = std::filesystem::file_size(path);

  {  // one byte changed in the vectors
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(size - 3));
    file.put('\x7f');
  }
  absl::Status status = ReadIndexFolder(folder).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr(path + ": expected SHA-256 "));

  std::filesystem::resize_file(path, size - 8);
  status = ReadIndexFolder(folder).status();
  EXPECT_EQ(status.message(),
            absl::StrCat(path, ": expected ", size, " bytes, found ", size - 8,
                         "; the file is truncated, corrupt or not the one the manifest describes"));

  ASSERT_TRUE(WriteIndexFolder(folder, index, IdTable::Of({"a", "b", "c"}), Described()).ok());
  std::ofstream(folder + "/docid") << "a\nb\nX\n";
  EXPECT_EQ(ReadIndexFolder(folder).status().code(), absl::StatusCode::kDataLoss);
}

// Pyserini's prebuilt dense folders: a FAISS index and a docid list, no manifest.
TEST(IndexFolderTest, PyseriniFolderReadsAsItIs) {
  const std::string folder = Dir("pyserini");
  std::filesystem::create_directories(folder);
  faiss::IndexFlatIP index(2);
  const std::vector<float> data = {1, 0, 0, 1};
  index.add(2, data.data());
  faiss::write_index(&index, (folder + "/index").c_str());
  std::ofstream(folder + "/docid") << "7187158\r\n7187157\n";
  absl::StatusOr<IndexFolder> read = ReadIndexFolder(folder);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->has_manifest);
  EXPECT_EQ(read->manifest.metric(), dense::INNER_PRODUCT);
  EXPECT_EQ(read->ids.Get(0), "7187158");
  EXPECT_EQ(read->ids.Get(1), "7187157");

  std::ofstream(folder + "/docid") << "only-one\n";
  EXPECT_EQ(ReadIndexFolder(folder).status().message(),
            folder + "/docid: expected 2 ids (the index's rows), found 1");
  std::filesystem::resize_file(folder + "/index", 20);
  EXPECT_THAT(std::string(ReadIndexFolder(folder).status().message()),
              HasSubstr("reading FAISS index " + folder + "/index"));
  EXPECT_EQ(ReadIndexFolder(Dir("absent")).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace trawl
