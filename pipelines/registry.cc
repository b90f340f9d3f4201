#include "pipelines/registry.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace trawl {
namespace {

bool IsLowerSnake(absl::string_view name) {
  if (name.empty() || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

StageRegistry& StageRegistry::Global() {
  static StageRegistry* registry = new StageRegistry();  // never destroyed: used at exit too
  return *registry;
}

absl::Status StageRegistry::Register(StageRegistration registration) {
  if (!IsLowerSnake(registration.type)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stage type '", registration.type, "' is not lower_snake (e.g. \"faiss_search\")"));
  }
  if (registration.options_prototype == nullptr || !registration.create) {
    return absl::InvalidArgumentError(
        absl::StrCat("stage type '", registration.type, "' has no options type or factory"));
  }
  auto it = stages_.find(registration.type);
  if (it != stages_.end()) {
    return absl::AlreadyExistsError(absl::StrCat(
        "stage type '", registration.type, "' is registered twice (options ",
        it->second.options_prototype->GetDescriptor()->full_name(), " and ",
        registration.options_prototype->GetDescriptor()->full_name(), ")"));
  }
  std::string type = registration.type;
  stages_.emplace(std::move(type), std::move(registration));
  return absl::OkStatus();
}

absl::Status StageRegistry::Unregister(absl::string_view type) {
  auto it = stages_.find(type);
  if (it == stages_.end()) {
    return absl::NotFoundError(absl::StrCat("stage type '", type, "' is not registered"));
  }
  stages_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<const StageRegistration*> StageRegistry::Get(absl::string_view type) const {
  auto it = stages_.find(type);
  if (it == stages_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown stage type '", type, "'; registered types: ",
                                            absl::StrJoin(Types(), ", ")));
  }
  return &it->second;
}

std::vector<std::string> StageRegistry::Types() const {
  std::vector<std::string> types;
  types.reserve(stages_.size());
  for (const auto& [type, registration] : stages_) types.push_back(type);
  return types;
}

namespace internal {

void DieOnRegistrationError(const absl::Status& status) {
  // Static initialisation: logging may not be set up yet, so write straight to stderr.
  std::fprintf(stderr, "trawl: stage registration failed: %s\n", status.ToString().c_str());
  std::abort();
}

}  // namespace internal
}  // namespace trawl
