// Typed values that flow between stages through named slots.
//
// A stage declares each slot's type in its contract; the loader checks that every binding
// connects slots of one type before any stage runs. A value is created once by the producing stage,
// moved into the slot, and shared (not copied) by the stages that read it; the runner drops it
// after its last reader. Not thread-safe: one pipeline runs its stages on one thread.
//
//   ctx.SetOutput("queries", DenseMatrix{...});
//   ASSIGN_OR_RETURN(const DenseMatrix* q, ctx.Input<DenseMatrix>("queries"));
//
// Value types are open: a family declares its own next to the code that knows it, with no edit
// under pipelines/. A value type is any movable C++ type with a SlotTraits specialisation naming
// it (lower_snake, unique in the program; the registry refuses a second type of the same name):
//
//   struct SparseMatrix { ... };
//   template <>
//   struct SlotTraits<SparseMatrix> {
//     static constexpr char kName[] = "sparse_matrix";
//   };
//
// The identity of a slot type is the C++ type itself (SlotType::Of<T>()), not its name, so two
// types can never be confused: SlotValue::As<T> returns nullptr for any other type.
#ifndef TRAWL_PIPELINES_SLOT_H_
#define TRAWL_PIPELINES_SLOT_H_

#include <memory>
#include <utility>

#include "absl/strings/string_view.h"

namespace trawl {

// Specialised by every value type: `static constexpr char kName[] = "dense_matrix";`.
template <typename T>
struct SlotTraits;

// The type of a slot: compared by C++ type, printed by its SlotTraits name.
class SlotType {
 public:
  // No type ("none"); equal only to itself.
  SlotType() = default;

  template <typename T>
  static SlotType Of() {
    return SlotType(&Tag<T>::kId, SlotTraits<T>::kName);
  }

  // "dense_matrix", "ranked_lists", ...: the spelling used in messages and `trawl stages`.
  absl::string_view name() const { return name_; }

  friend bool operator==(SlotType a, SlotType b) { return a.id_ == b.id_; }
  friend bool operator!=(SlotType a, SlotType b) { return a.id_ != b.id_; }

 private:
  // One address per C++ type in the whole program (an inline variable of a class template).
  template <typename T>
  struct Tag {
    static constexpr char kId = 0;
  };

  SlotType(const void* id, const char* name) : id_(id), name_(name) {}

  const void* id_ = nullptr;
  const char* name_ = "none";
};

// A type-erased, shared handle to one slot value.
class SlotValue {
 public:
  SlotValue() = default;

  template <typename T>
  static SlotValue Of(T value) {
    return SlotValue(SlotType::Of<T>(), std::make_shared<T>(std::move(value)));
  }

  bool empty() const { return data_ == nullptr; }
  // Whether this handle is the value's only owner (no copy of it kept elsewhere).
  bool sole_owner() const { return data_.use_count() == 1; }
  // Meaningful only when !empty().
  SlotType type() const { return type_; }

  // The value, or nullptr when the slot is empty or holds another C++ type.
  template <typename T>
  T* As() const {
    return (data_ != nullptr && type_ == SlotType::Of<T>()) ? static_cast<T*>(data_.get())
                                                            : nullptr;
  }

 private:
  SlotValue(SlotType type, std::shared_ptr<void> data) : type_(type), data_(std::move(data)) {}

  SlotType type_;
  std::shared_ptr<void> data_;  // owns a T of the type named by type_
};

}  // namespace trawl

#endif  // TRAWL_PIPELINES_SLOT_H_
