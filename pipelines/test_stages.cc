// Test-only stages that exercise the framework without FAISS:
//   test_source  SOURCE     -> out: a rows x dim matrix filled with `value`
//   test_scale   TRANSFORM  in -> out: every component times `factor` (Open rejects 0)
//   test_sum     EVAL       in -> metrics: {"sum": sum of all components, "rows": rows}
//   test_fail    SEARCH     in -> out: fails in Run with `message`; estimates 4 bytes per component
#include <numeric>

#include "absl/status/status.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "pipelines/test_stages.pb.h"
#include "pipelines/values.h"

namespace trawl {
namespace test {

class TestSourceStage : public Stage<TestSourceOptions> {
 public:
  static constexpr char kType[] = "test_source";
  static StageContract Contract() {
    return {StageKind::kSource, {}, {SlotSpec::Of<DenseMatrix>("out")}};
  }
  absl::Status Open(const TestSourceOptions& options) override {
    options_ = options;
    return absl::OkStatus();
  }
  absl::Status Run(StageContext& ctx) override {
    DenseMatrix m;
    m.rows = options_.rows();
    m.dim = options_.dim();
    m.data.assign(m.rows * m.dim, options_.value());
    return ctx.SetOutput("out", std::move(m));
  }

 private:
  TestSourceOptions options_;
};
TRAWL_REGISTER_STAGE(TestSourceStage);

class TestScaleStage : public Stage<TestScaleOptions> {
 public:
  static constexpr char kType[] = "test_scale";
  static StageContract Contract() {
    return {StageKind::kTransform,
            {SlotSpec::Of<DenseMatrix>("in")},
            {SlotSpec::Of<DenseMatrix>("out")}};
  }
  absl::Status Open(const TestScaleOptions& options) override {
    if (options.factor() == 0) return absl::InvalidArgumentError("factor must be non-zero");
    factor_ = options.factor();
    return absl::OkStatus();
  }
  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const DenseMatrix* in, ctx.Input<DenseMatrix>("in"));
    DenseMatrix out = *in;
    for (float& v : out.data) v *= factor_;
    return ctx.SetOutput("out", std::move(out));
  }

 private:
  float factor_ = 1;
};
TRAWL_REGISTER_STAGE(TestScaleStage);

class TestSumStage : public Stage<TestSumOptions> {
 public:
  static constexpr char kType[] = "test_sum";
  static StageContract Contract() {
    return {
        StageKind::kEval, {SlotSpec::Of<DenseMatrix>("in")}, {SlotSpec::Of<Metrics>("metrics")}};
  }
  absl::Status Run(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const DenseMatrix* in, ctx.Input<DenseMatrix>("in"));
    Metrics metrics;
    metrics.values.emplace_back("sum", std::accumulate(in->data.begin(), in->data.end(), 0.0));
    metrics.values.emplace_back("rows", static_cast<double>(in->rows));
    return ctx.SetOutput("metrics", std::move(metrics));
  }
};
TRAWL_REGISTER_STAGE(TestSumStage);

class TestFailStage : public Stage<TestFailOptions> {
 public:
  static constexpr char kType[] = "test_fail";
  static StageContract Contract() {
    return {StageKind::kSearch,
            {SlotSpec::Of<DenseMatrix>("in")},
            {SlotSpec::Of<DenseMatrix>("out")},
            /*plans_device_memory=*/true};
  }
  absl::Status Open(const TestFailOptions& options) override {
    message_ = options.message();
    return absl::OkStatus();
  }
  absl::StatusOr<MemoryEstimate> EstimateMemory(StageContext& ctx) override {
    ASSIGN_OR_RETURN(const DenseMatrix* in, ctx.Input<DenseMatrix>("in"));
    MemoryEstimate estimate;
    estimate.device_bytes = in->bytes();
    return estimate;
  }
  absl::Status Run(StageContext&) override { return absl::InternalError(message_); }

 private:
  std::string message_;
};
TRAWL_REGISTER_STAGE(TestFailStage);

}  // namespace test
}  // namespace trawl
