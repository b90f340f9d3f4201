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
    return absl::InvalidArgumentError(absl::StrCat("stage type '", registration.type,
                                                   "' is not lower_snake (e.g. \"faiss_search\")"));
  }
  if (registration.options_prototype == nullptr || !registration.create ||
      !registration.contract_for) {
    return absl::InvalidArgumentError(absl::StrCat("stage type '", registration.type,
                                                   "' has no options type, factory or contract"));
  }
  auto it = stages_.find(registration.type);
  if (it != stages_.end()) {
    return absl::AlreadyExistsError(
        absl::StrCat("stage type '", registration.type, "' is registered twice (options ",
                     it->second.options_prototype->GetDescriptor()->full_name(), " and ",
                     registration.options_prototype->GetDescriptor()->full_name(), ")"));
  }
  // Slot types are compared by C++ type; a name shared by two types would make messages lie.
  std::map<std::string, SlotType, std::less<>> new_types;
  for (const auto* slots : {&registration.contract.inputs, &registration.contract.outputs}) {
    for (const SlotSpec& spec : *slots) {
      auto other_type = [&](const std::map<std::string, SlotType, std::less<>>& types) {
        auto known = types.find(spec.type.name());
        return known != types.end() && known->second != spec.type;
      };
      if (other_type(slot_types_) || other_type(new_types)) {
        return absl::AlreadyExistsError(
            absl::StrCat("stage type '", registration.type, "': slot '", spec.name,
                         "' has a value type named '", spec.type.name(),
                         "', a name another C++ type already uses; give each SlotTraits a "
                         "unique kName"));
      }
      new_types.emplace(std::string(spec.type.name()), spec.type);
    }
  }
  slot_types_.insert(new_types.begin(), new_types.end());
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
    return absl::NotFoundError(absl::StrCat("unknown stage type '", type,
                                            "'; registered types: ", absl::StrJoin(Types(), ", ")));
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
