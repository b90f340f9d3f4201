#include "stages/dense/factory_string.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trawl {
namespace {

using ::testing::HasSubstr;

TEST(CheckFactoryStringTest, AcceptsWhatFaissMakes) {
  for (const char* factory :
       {"Flat", "IVF4096,Flat", "IVF4096,PQ32", "IVF1024,SQ8", "HNSW32", "IVF4096_HNSW32,Flat",
        "OPQ16_64,IVF256,PQ16", "PCA64,IVF128,Flat", "IVF65536,PQ32x4fs", "SQfp16", "PQ16x12",
        "IDMap,Flat", "IVF262144,Flat"}) {
    EXPECT_TRUE(CheckFactoryString(factory, faiss::METRIC_L2).ok())
        << factory << ": " << CheckFactoryString(factory, faiss::METRIC_L2);
  }
}

// Each of these crashed FAISS 1.7.3 (segfault or SIGFPE) when the index was made or trained.
TEST(CheckFactoryStringTest, SizesOfZeroNameThePart) {
  for (const auto& [factory, part] :
       std::vector<std::pair<std::string, std::string>>{{"IVF0,Flat", "'IVF0'"},
                                                        {"HNSW0", "'HNSW0'"},
                                                        {"IVF4_HNSW0,Flat", "'HNSW0'"},
                                                        {"PQ0", "'PQ0'"},
                                                        {"IVF4,PQ0", "'PQ0'"}}) {
    absl::Status status = CheckFactoryString(factory, faiss::METRIC_L2);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << factory;
    EXPECT_THAT(status.message(), HasSubstr(part)) << factory;
    EXPECT_THAT(status.message(), HasSubstr("must be from 1 to")) << factory;
  }
}

TEST(CheckFactoryStringTest, HugeSizesAndUnknownPartsAreRejectedWithoutAllocating) {
  absl::Status huge = CheckFactoryString("IVF99999999999,Flat", faiss::METRIC_L2);
  EXPECT_EQ(huge.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(huge.message(), HasSubstr("'IVF99999999999'"));
  // A list count FAISS accepts is probed with one list: nothing of 99,999,999 lists is allocated.
  absl::Status bogus = CheckFactoryString("IVF99999999,Bogus", faiss::METRIC_L2);
  EXPECT_EQ(bogus.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bogus.message(), HasSubstr("factory \"IVF99999999,Bogus\""));
  EXPECT_THAT(bogus.message(), HasSubstr("Bogus"));
  EXPECT_EQ(CheckFactoryString("PQ8x40", faiss::METRIC_L2).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckFactoryString("", faiss::METRIC_L2).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trawl
