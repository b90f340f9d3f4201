#include "stages/dense/index_folder.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
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

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

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
  // Row numbers are written as text: Pyserini's FaissSearcher reads `docid` whatever the ids.
  EXPECT_EQ(Read(folder + "/docid"), "0\n1\n2\n");
  for (const auto& entry : std::filesystem::directory_iterator(::testing::TempDir())) {
    EXPECT_THAT(entry.path().string(), ::testing::Not(HasSubstr(".trawl-")));
  }
}

// What is at the path and is not a folder Trawl wrote stays exactly as it was.
TEST(IndexFolderTest, NeverReplacesWhatTrawlDidNotWrite) {
  faiss::IndexFlatL2 index = ThreeVectors();
  const IdTable ids = IdTable::Of({"a", "b", "c"});
  // A user's folder: its file stays, nothing is deleted.
  const std::string user = Dir("user_folder");
  std::filesystem::create_directories(user);
  std::ofstream(user + "/notes.txt") << "mine";
  absl::Status status = WriteIndexFolder(user, index, ids, Described());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("holds 'notes.txt', which Trawl did not write"));
  EXPECT_EQ(Read(user + "/notes.txt"), "mine");
  // A file at the path (an input .fvecs, say).
  const std::string file = Dir("vectors.fvecs");
  std::ofstream(file) << "vectors";
  status = WriteIndexFolder(file, index, ids, Described());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("is a regular file"));
  EXPECT_EQ(Read(file), "vectors");
  // A Pyserini folder: index and docid, but no manifest of Trawl's.
  const std::string pyserini = Dir("pyserini_prebuilt");
  std::filesystem::create_directories(pyserini);
  faiss::write_index(&index, (pyserini + "/index").c_str());
  std::ofstream(pyserini + "/docid") << "a\nb\nc\n";
  status = WriteIndexFolder(pyserini, index, ids, Described());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("has no readable Trawl manifest"));
  EXPECT_EQ(Read(pyserini + "/docid"), "a\nb\nc\n");
  // A folder Trawl wrote that the user added a file to: that file is the user's now.
  const std::string added = Dir("trawl_plus_user_file");
  ASSERT_TRUE(WriteIndexFolder(added, index, ids, Described()).ok());
  std::ofstream(added + "/README") << "mine";
  EXPECT_EQ(WriteIndexFolder(added, index, ids, Described()).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Read(added + "/README"), "mine");
  // Nothing is left beside them.
  for (const auto& entry : std::filesystem::directory_iterator(::testing::TempDir())) {
    EXPECT_THAT(entry.path().string(), ::testing::Not(HasSubstr(".trawl-")));
  }
}

TEST(IndexFolderTest, ReplacesAnEmptyFolderAndFollowsASymlink) {
  faiss::IndexFlatL2 index = ThreeVectors();
  const std::string empty = Dir("empty_folder");
  std::filesystem::create_directories(empty);
  ASSERT_TRUE(WriteIndexFolder(empty, index, IdTable::RowNumbers(3), Described()).ok());
  EXPECT_TRUE(ReadIndexFolder(empty).ok());
  // A link to a folder Trawl wrote: the target is replaced, the link stays a link.
  const std::string link = Dir("link_to_index");
  std::filesystem::remove(link);
  std::filesystem::create_directory_symlink(empty, link);
  ASSERT_TRUE(WriteIndexFolder(link, index, IdTable::Of({"x", "y", "z"}), Described()).ok());
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(Read(empty + "/docid"), "x\ny\nz\n");
}

// Pyserini folders are read as they are, but their docid list must be one clean id per row.
TEST(IndexFolderTest, DocidListsWithBlankLinesWhitespaceOrDuplicatesAreRejected) {
  const std::string folder = Dir("pyserini_bad_docid");
  std::filesystem::create_directories(folder);
  faiss::IndexFlatL2 index = ThreeVectors();
  faiss::write_index(&index, (folder + "/index").c_str());
  for (const auto& [docid, expected] : std::vector<std::pair<std::string, std::string>>{
           {"a\n\nc\n", ":2: id \"\" is empty"},
           {"a\nb c\nd\n", ":2: id \"b c\" is empty or holds whitespace"},
           {"a\nb\ta\nc\n", ":2: id \"b\\ta\""},
           {"a\nb\na\n", ":3: id \"a\" appears twice (first on line 1)"}}) {
    std::ofstream(folder + "/docid", std::ios::trunc) << docid;
    absl::Status status = ReadIndexFolder(folder).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << docid;
    EXPECT_THAT(status.message(), HasSubstr(folder + "/docid" + expected)) << docid;
  }
}

// A FIFO, a device or a folder where a file belongs is refused at once: nothing blocks.
TEST(IndexFolderTest, NonRegularFilesAreRefused) {
  const std::string folder = Dir("pyserini_fifo");
  std::filesystem::create_directories(folder);
  ASSERT_EQ(mkfifo((folder + "/index").c_str(), 0600), 0);
  absl::Status status = ReadIndexFolder(folder).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("expected a regular file, found a FIFO"));
  const std::string dir_index = Dir("pyserini_dir_index");
  std::filesystem::create_directories(dir_index + "/index");
  EXPECT_THAT(ReadIndexFolder(dir_index).status().message(), HasSubstr("found a directory"));
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
