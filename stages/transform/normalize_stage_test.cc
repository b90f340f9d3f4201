#include <cmath>

#include "gtest/gtest.h"
#include "pipelines/stage_test_runner.h"
#include "pipelines/values.h"

namespace trawl {
namespace {

TEST(NormalizeStageTest, RowsGetUnitNormAndZeroRowsStayZero) {
  absl::StatusOr<StageTestRunner> runner = StageTestRunner::Create(R"cfg(type: "normalize")cfg");
  ASSERT_TRUE(runner.ok()) << runner.status();
  DenseMatrix in;
  in.rows = 3;
  in.dim = 2;
  in.data = {3, 4, 0, 0, -2, 0};
  in.ids = IdTable::Of({"a", "b", "c"});
  runner->SetInput("in", in);
  ASSERT_TRUE(runner->Run().ok());
  const DenseMatrix* out = runner->Output<DenseMatrix>("out");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->data, (std::vector<float>{0.6f, 0.8f, 0, 0, -1, 0}));
  EXPECT_TRUE(out->ids.SameRows(in.ids));
}

}  // namespace
}  // namespace trawl
