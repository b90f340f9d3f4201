#include "pipelines/stage_test_runner.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "pipelines/pipeline.pb.h"

namespace trawl {

absl::StatusOr<StageTestRunner> StageTestRunner::Create(absl::string_view node_text,
                                                        RunEnvironment env) {
  StageConfig config;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(node_text), &config)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot parse stage node: ", node_text));
  }
  StageTestRunner runner;
  absl::StatusOr<const StageRegistration*> registration =
      StageRegistry::Global().Get(config.type());
  if (!registration.ok()) return registration.status();
  runner.registration_ = *registration;
  std::unique_ptr<google::protobuf::Message> options(
      runner.registration_->options_prototype->New());
  if (config.has_options() && !config.options().UnpackTo(options.get())) {
    return absl::InvalidArgumentError(absl::StrCat("options are not ", options->GetTypeName()));
  }
  runner.contract_ = runner.registration_->contract_for(*options);
  runner.stage_ = runner.registration_->create();
  absl::Status opened = runner.stage_->OpenWithOptions(*options);
  if (!opened.ok()) return opened;
  runner.name_ = config.name().empty() ? config.type() : config.name();
  runner.env_ = std::make_unique<RunEnvironment>(std::move(env));
  runner.slots_ = std::make_unique<absl::flat_hash_map<std::string, SlotValue>>();
  runner.report_ = std::make_unique<StageReport>();
  return runner;
}

absl::Status StageTestRunner::Run() {
  SlotBindings inputs, outputs;
  for (const SlotSpec& spec : contract_.inputs) {
    if (slots_->contains(spec.name)) inputs[spec.name] = {spec.name};  // optional: only when set
  }
  for (const SlotSpec& spec : contract_.outputs) outputs[spec.name] = {spec.name};
  StageContext ctx(name_, inputs, outputs, slots_.get(), env_.get(), report_.get());
  return RunStage(*stage_, contract_, ctx, &estimate_);
}

}  // namespace trawl
