#include "pipelines/status_util.h"

#include <stdexcept>

#include "gtest/gtest.h"

namespace trawl {
namespace {

TEST(StatusUtilTest, FaissPinnedBufferErrorIsResourceExhaustedWithOriginalText) {
  const std::string faiss_message =
      "Error in virtual void faiss::gpu::StandardGpuResourcesImpl::initializeForDevice(int) at "
      "StandardGpuResources.cpp:303: Error: 'err == cudaSuccess' failed: failed to cudaHostAlloc "
      "268435456 bytes for CPU <-> GPU async copy buffer (error 2 out of memory)";
  absl::Status s = StatusFromCall("add", [&] { throw std::runtime_error(faiss_message); });
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "add: " + faiss_message);
}

TEST(StatusUtilTest, OtherExceptionsAreInternal) {
  absl::Status s = StatusFromCall("search", [] { throw std::runtime_error("k > 2048"); });
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message(), "search: k > 2048");
}

TEST(StatusUtilTest, MultiLineMessagesBecomeOneLine) {
  absl::Status s = StatusFromCall("search", [] {
    throw std::runtime_error(
        "Error in void faiss::Clustering::train\r\n at Clustering.cpp:283: "
        "Error: 'nx >= k' failed\n");
  });
  EXPECT_EQ(s.message(),
            "search: Error in void faiss::Clustering::train  at Clustering.cpp:283: Error: 'nx >= "
            "k' failed");
}

TEST(StatusUtilTest, BadAllocIsResourceExhausted) {
  absl::Status s = StatusFromCall("copy", [] { throw std::bad_alloc(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
}

TEST(StatusUtilTest, PassesStatusThroughAndVoidIsOk) {
  EXPECT_TRUE(StatusFromCall("x", [] {}).ok());
  EXPECT_EQ(StatusFromCall("x", [] { return absl::NotFoundError("f"); }).code(),
            absl::StatusCode::kNotFound);
}

TEST(PrintableMessageTest, EscapesWhatATerminalOrJsonCannotCarryAndBoundsLines) {
  EXPECT_EQ(PrintableMessage("caf\xc3\xa9 ok"), "caf\xc3\xa9 ok");          // valid UTF-8 stays
  EXPECT_EQ(PrintableMessage("bad \xff byte"), "bad \\xff byte");           // not UTF-8
  EXPECT_EQ(PrintableMessage("a\tb\x1b[31m"), "a\\x09b\\x1b[31m");          // control characters
  EXPECT_EQ(PrintableMessage("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // a surrogate
  EXPECT_EQ(PrintableMessage("line one\nline two"), "line one\nline two");  // lines stay lines
  const std::string path(5 << 20, 'p');
  // 100 bytes shown of 13 + 5 MiB + 1: 5,242,794 left out.
  const std::string shown = PrintableMessage("cannot read '" + path + "'", 100);
  EXPECT_EQ(shown, "cannot read '" + std::string(87, 'p') + "... (5242794 more bytes)");
}

}  // namespace
}  // namespace trawl
