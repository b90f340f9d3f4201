// Runs one stage in isolation for its unit test, MediaPipe CalculatorRunner style: build it from
// an inline text-proto node, push inputs, run, read outputs and the stage's report.
//
//   ASSERT_OK_AND_ASSIGN(auto runner, StageTestRunner::Create(R"cfg(
//     type: "exact_knn"
//     options { [type.googleapis.com/trawl.dense.ExactKnnOptions] { k: 10 } })cfg"));
//   runner.SetInput("corpus", corpus);
//   ASSERT_TRUE(runner.Run().ok());
//   const RankedLists* truth = runner.Output<RankedLists>("ground_truth");
//
// Each declared slot is bound to a pipeline slot of the same name (inputs only once set, so an
// optional input can be left out; a list input takes one value); `input`/`output` lines in the
// node are ignored. Create() returns the registry's or Open()'s error unchanged, so tests can check
// option validation by status code. Not thread-safe.
#ifndef TRAWL_PIPELINES_STAGE_TEST_RUNNER_H_
#define TRAWL_PIPELINES_STAGE_TEST_RUNNER_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"

namespace trawl {

class StageTestRunner {
 public:
  // InvalidArgument for unparsable text or options of the wrong type, NotFound for an unknown
  // type, or Open()'s error. `env` defaults to the CPU with no GPU.
  static absl::StatusOr<StageTestRunner> Create(absl::string_view node_text,
                                                RunEnvironment env = {});

  template <typename T>
  void SetInput(absl::string_view slot, T value) {
    (*slots_)[std::string(slot)] = SlotValue::Of(std::move(value));
  }

  // As a pipeline runs it (RunStage in stage.h): estimate and memory planning for INDEX_BUILD and
  // SEARCH stages (the estimate is kept in estimate()), then Run.
  absl::Status Run();

  // The output value, or nullptr when the stage did not set it (or set another type).
  template <typename T>
  T* Output(absl::string_view slot) const {
    auto it = slots_->find(slot);
    return it == slots_->end() ? nullptr : it->second.template As<T>();
  }

  const StageReport& report() const { return *report_; }
  const MemoryEstimate& estimate() const { return estimate_; }

 private:
  StageTestRunner() = default;

  const StageRegistration* registration_ = nullptr;
  StageContract contract_;  // for the node's options
  std::unique_ptr<StageBase> stage_;
  std::string name_;
  // Behind pointers so the runner can be moved out of a StatusOr without dangling references.
  std::unique_ptr<RunEnvironment> env_;
  std::unique_ptr<absl::flat_hash_map<std::string, SlotValue>> slots_;
  std::unique_ptr<StageReport> report_;
  MemoryEstimate estimate_;
};

}  // namespace trawl

#endif  // TRAWL_PIPELINES_STAGE_TEST_RUNNER_H_
