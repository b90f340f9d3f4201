#include "pipelines/registry.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pipelines/pipeline.pb.h"

namespace trawl {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

TEST(StageRegistryTest, StagesLinkedThroughAlwayslinkAreRegistered) {
  std::vector<std::string> types = StageRegistry::Global().Types();
  EXPECT_THAT(types, Contains("test_source"));
  EXPECT_THAT(types, Contains("test_scale"));
  EXPECT_TRUE(std::is_sorted(types.begin(), types.end()));
}

TEST(StageRegistryTest, GetReturnsContractAndOptionsType) {
  absl::StatusOr<const StageRegistration*> scale = StageRegistry::Global().Get("test_scale");
  ASSERT_TRUE(scale.ok()) << scale.status();
  EXPECT_EQ((*scale)->contract.kind, StageKind::kTransform);
  ASSERT_EQ((*scale)->contract.inputs.size(), 1);
  EXPECT_EQ((*scale)->contract.inputs[0].name, "in");
  EXPECT_EQ((*scale)->options_prototype->GetDescriptor()->full_name(),
            "trawl.test.TestScaleOptions");
  EXPECT_NE((*scale)->create(), nullptr);
}

TEST(StageRegistryTest, UnknownTypeIsNotFoundAndListsRegisteredTypes) {
  absl::StatusOr<const StageRegistration*> missing = StageRegistry::Global().Get("faiss_serch");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("unknown stage type 'faiss_serch'"));
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("test_source"));
}

StageRegistration FakeRegistration(std::string type) {
  StageRegistration fake;
  fake.type = std::move(type);
  fake.contract = {StageKind::kSink, {}, {}};
  fake.contract_for = [](const google::protobuf::Message&) {
    return StageContract{StageKind::kSink};
  };
  fake.options_prototype = &MemoryPolicy::default_instance();
  fake.create = []() -> std::unique_ptr<StageBase> { return nullptr; };
  return fake;
}

TEST(StageRegistryTest, DuplicateRegistrationFailsNamingBothOptionsTypes) {
  absl::Status duplicate = StageRegistry::Global().Register(FakeRegistration("test_source"));
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(duplicate.message()), HasSubstr("'test_source' is registered twice"));
  EXPECT_THAT(std::string(duplicate.message()), HasSubstr("trawl.test.TestSourceOptions"));
}

TEST(StageRegistryTest, TestsCanInjectAndRemoveAFake) {
  StageRegistry& registry = StageRegistry::Global();
  ASSERT_TRUE(registry.Register(FakeRegistration("fake_sink")).ok());
  EXPECT_TRUE(registry.Get("fake_sink").ok());
  ASSERT_TRUE(registry.Unregister("fake_sink").ok());
  EXPECT_EQ(registry.Get("fake_sink").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(registry.Unregister("fake_sink").code(), absl::StatusCode::kNotFound);
}

TEST(StageRegistryTest, RejectsNamesThatAreNotLowerSnake) {
  EXPECT_EQ(StageRegistry::Global().Register(FakeRegistration("FaissSearch")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StageRegistry::Global().Register(FakeRegistration("")).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace trawl
