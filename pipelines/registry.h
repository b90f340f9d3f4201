// The stage registry: maps a registered type name ("faiss_search") to a stage's contract, options
// type and factory.
//
// Define: a class deriving from Stage<Options> with `static constexpr char kType[]` and
//   `static StageContract Contract()` (or `Contract(const Options&)`, pipelines/stage.h).
// Register: `TRAWL_REGISTER_STAGE(FaissSearchStage);` in the stage's .cc, whose cc_library has
//   `alwayslink = 1` so that linking the target is enough. A second registration of the same type
//   name stops the program at startup with both names in the message.
// Create: `StageRegistry::Global().Get("faiss_search")` -> NotFound naming the type and listing the
//   registered ones; then `registration->create()`.
// Inject for tests: `Register()` a fake (with a test-only factory) and `Unregister()` it after.
//
// Registration happens during static initialisation; lookups afterwards are read-only. The registry
// is not synchronised: register and unregister from one thread (main or a test body).
#ifndef TRAWL_PIPELINES_REGISTRY_H_
#define TRAWL_PIPELINES_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "pipelines/stage.h"

namespace trawl {

struct StageRegistration {
  std::string type;        // lower_snake registered name
  StageContract contract;  // for the default options (what `trawl stages` shows)
  // The contract for given options (of options_prototype's type); the loader uses it.
  std::function<StageContract(const google::protobuf::Message& options)> contract_for;
  // Default instance of the options message; its full name is the Any type the config must use.
  const google::protobuf::Message* options_prototype = nullptr;
  std::function<std::unique_ptr<StageBase>()> create;
};

class StageRegistry {
 public:
  static StageRegistry& Global();

  // AlreadyExists when `type` is taken, or when a slot type's name is already used by another
  // C++ type (checked on the contract for the default options; slots that only other options add
  // are told apart by C++ type all the same); InvalidArgument when the name is not lower_snake or
  // a field is missing.
  absl::Status Register(StageRegistration registration);

  // NotFound when `type` is not registered.
  absl::Status Unregister(absl::string_view type);

  // The registration, or NotFound naming `type` and listing the registered types.
  // The pointer stays valid until that type is unregistered.
  absl::StatusOr<const StageRegistration*> Get(absl::string_view type) const;

  // Registered type names, sorted.
  std::vector<std::string> Types() const;

 private:
  std::map<std::string, StageRegistration, std::less<>> stages_;
  // Every slot type seen in a registered contract, by name: one C++ type per name.
  std::map<std::string, SlotType, std::less<>> slot_types_;
};

namespace internal {

[[noreturn]] void DieOnRegistrationError(const absl::Status& status);

// Whether StageT declares `static StageContract Contract(const Options&)`.
template <typename StageT, typename = void>
struct HasOptionsContract : std::false_type {};
template <typename StageT>
struct HasOptionsContract<StageT, std::void_t<decltype(StageT::Contract(
                                      std::declval<const typename StageT::Options&>()))>>
    : std::true_type {};

template <typename StageT>
StageContract ContractFor(const google::protobuf::Message& options) {
  if constexpr (HasOptionsContract<StageT>::value) {
    // The loader only passes messages of the registered options type.
    return StageT::Contract(static_cast<const typename StageT::Options&>(options));
  } else {
    (void)options;
    return StageT::Contract();
  }
}

template <typename StageT>
bool RegisterStageOrDie() {
  StageRegistration registration;
  registration.type = StageT::kType;
  registration.contract_for = &ContractFor<StageT>;
  registration.contract = ContractFor<StageT>(StageT::Options::default_instance());
  registration.options_prototype = &StageT::Options::default_instance();
  registration.create = [] { return std::unique_ptr<StageBase>(new StageT()); };
  absl::Status status = StageRegistry::Global().Register(std::move(registration));
  if (!status.ok()) DieOnRegistrationError(status);
  return true;
}

}  // namespace internal
}  // namespace trawl

#define TRAWL_REGISTER_STAGE(StageClass)                                   \
  static const bool trawl_stage_registered_##StageClass [[maybe_unused]] = \
      ::trawl::internal::RegisterStageOrDie<StageClass>()

#endif  // TRAWL_PIPELINES_REGISTRY_H_
