#include "pipelines/files.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trawl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("files_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  static void Write(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
  }
  // Names in the folder: a committed or failed write leaves no temporary file behind.
  int Entries() const {
    int n = 0;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      (void)entry;
      ++n;
    }
    return n;
  }

  fs::path dir_;
};

TEST_F(FilesTest, ReadsARegularFileWhole) {
  Write(Path("a"), "one\ntwo\n");
  absl::StatusOr<std::string> bytes = ReadWholeFile(Path("a"), 100);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, "one\ntwo\n");
  Write(Path("empty"), "");
  EXPECT_EQ(*ReadWholeFile(Path("empty"), 100), "");
}

TEST_F(FilesTest, RefusesWhatIsNotARegularFile) {
  absl::StatusOr<std::string> dir = ReadWholeFile(dir_.string(), 100);
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dir.status().message(), HasSubstr("expected a regular file, found a directory"));

  absl::StatusOr<std::string> device = ReadWholeFile("/dev/zero", 100);
  EXPECT_EQ(device.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(device.status().message(), HasSubstr("a character device"));

  // A FIFO with no writer: an open for reading would block forever.
  ASSERT_EQ(mkfifo(Path("fifo").c_str(), 0600), 0);
  absl::StatusOr<std::string> fifo = ReadWholeFile(Path("fifo"), 100);
  EXPECT_EQ(fifo.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(fifo.status().message(), HasSubstr("a FIFO"));

  EXPECT_EQ(ReadWholeFile(Path("missing"), 100).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FilesTest, BoundsTheSizeBeforeReading) {
  Write(Path("big"), std::string(1000, 'x'));
  absl::StatusOr<std::string> bytes = ReadWholeFile(Path("big"), 999);
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(bytes.status().message(), HasSubstr("1000 bytes, more than the 999"));
  EXPECT_TRUE(ReadWholeFile(Path("big"), 1000).ok());
}

TEST_F(FilesTest, CommitReplacesTheFileAndLeavesNoTemporary) {
  Write(Path("run"), "old\n");
  auto writer = AtomicFileWriter::Create(Path("run"), "run file");
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->Append("new\n").ok());
  EXPECT_EQ(Read(Path("run")), "old\n");  // nothing visible before the commit
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ(Read(Path("run")), "new\n");
  EXPECT_EQ(Entries(), 1);
}

TEST_F(FilesTest, AnAbandonedWriteKeepsThePreviousFile) {
  Write(Path("run"), "old\n");
  {
    auto writer = AtomicFileWriter::Create(Path("run"), "run file");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("half").ok());
  }  // destroyed without a commit: a failed stage
  EXPECT_EQ(Read(Path("run")), "old\n");
  EXPECT_EQ(Entries(), 1);
}

TEST_F(FilesTest, TwoWritersOfOnePathNeverShareATemporaryFile) {
  auto first = AtomicFileWriter::Create(Path("run"), "run file");
  auto second = AtomicFileWriter::Create(Path("run"), "run file");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE((*first)->temp_path(), (*second)->temp_path());
  const std::string a(3 << 20, 'a'), b(2 << 20, 'b');  // several buffer flushes each, interleaved
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*first)->Append(a.substr(0, a.size() / 3)).ok());
    ASSERT_TRUE((*second)->Append(b.substr(0, b.size() / 3)).ok());
  }
  ASSERT_TRUE((*first)->Commit().ok());
  ASSERT_TRUE((*second)->Commit().ok());
  EXPECT_EQ(Read(Path("run")), std::string(3 * (b.size() / 3), 'b'));  // the last commit wins
  EXPECT_EQ(Entries(), 1);
}

TEST_F(FilesTest, ASymlinkStaysAndItsTargetIsReplaced) {
  fs::create_directories(dir_ / "real");
  Write(Path("real/run"), "old\n");
  fs::create_symlink("real/run", dir_ / "link");
  ASSERT_TRUE(WriteFileAtomically(Path("link"), "new\n", "run file").ok());
  EXPECT_TRUE(fs::is_symlink(dir_ / "link"));
  EXPECT_EQ(Read(Path("real/run")), "new\n");
  // A dangling link: its target is created.
  fs::create_symlink("real/later", dir_ / "dangling");
  ASSERT_TRUE(WriteFileAtomically(Path("dangling"), "x", "run file").ok());
  EXPECT_EQ(Read(Path("real/later")), "x");
  fs::create_symlink("loop_b", dir_ / "loop_a");
  fs::create_symlink("loop_a", dir_ / "loop_b");
  EXPECT_EQ(WriteFileAtomically(Path("loop_a"), "x", "run file").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FilesTest, OutputsReplaceOnlyRegularFiles) {
  fs::create_directories(dir_ / "folder");
  Write(Path("folder/keep"), "user data");
  absl::Status dir = WriteFileAtomically(Path("folder"), "x", "run file");
  EXPECT_EQ(dir.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dir.message(), HasSubstr("run file '" + Path("folder") + "' is a directory"));
  EXPECT_EQ(Read(Path("folder/keep")), "user data");

  absl::Status device = WriteFileAtomically("/dev/null", "x", "report");
  EXPECT_EQ(device.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(device.message(), HasSubstr("a character device"));
  struct stat info;
  ASSERT_EQ(stat("/dev/null", &info), 0);
  EXPECT_TRUE(S_ISCHR(info.st_mode));

  EXPECT_TRUE(CheckOutputFile(Path("absent"), "run file").ok());
  EXPECT_EQ(WriteFileAtomically(Path("no/such/folder/run"), "x", "run file").code(),
            absl::StatusCode::kPermissionDenied);
}

// A full disk mid-write: the file-size limit makes write() fail as ENOSPC would.
TEST_F(FilesTest, AFailedWriteIsAnErrorAndLeavesThePreviousFile) {
  Write(Path("run"), "old\n");
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct rlimit small = saved;
  small.rlim_cur = 1 << 20;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  absl::Status written = WriteFileAtomically(Path("run"), std::string(3 << 20, 'x'), "run file");
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  EXPECT_EQ(written.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(written.message(), HasSubstr("the previous file is unchanged"));
  EXPECT_EQ(Read(Path("run")), "old\n");
  EXPECT_EQ(Entries(), 1);
}

TEST_F(FilesTest, SameFileFollowsLinks) {
  Write(Path("a"), "x");
  fs::create_symlink("a", dir_ / "b");
  EXPECT_TRUE(SameFile(Path("a"), Path("b")));
  EXPECT_TRUE(SameFile(Path("a"), dir_.string() + "/./a"));
  Write(Path("c"), "x");
  EXPECT_FALSE(SameFile(Path("a"), Path("c")));
  EXPECT_FALSE(SameFile(Path("a"), Path("missing")));
}

}  // namespace
}  // namespace trawl
