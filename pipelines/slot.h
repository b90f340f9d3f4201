// Typed values that flow between stages through named slots.
//
// A stage declares each slot's SlotType in its contract; the runner checks that every binding
// connects slots of one type before any stage runs. A value is created once by the producing stage,
// moved into the slot, and shared (not copied) by the stages that read it; the runner drops it
// after its last reader. Not thread-safe: one pipeline runs its stages on one thread.
//
//   ctx.SetOutput("queries", DenseMatrix{...});
//   ASSIGN_OR_RETURN(const DenseMatrix* q, ctx.Input<DenseMatrix>("queries"));
//
// Value types live next to the code that knows them (values.h for the common ones,
// stages/dense/dense_index.h for FAISS indexes); each specialises SlotTraits.
#ifndef TRAWL_PIPELINES_SLOT_H_
#define TRAWL_PIPELINES_SLOT_H_

#include <memory>
#include <utility>

#include "absl/strings/string_view.h"

namespace trawl {

enum class SlotType {
  kDenseMatrix,   // DenseMatrix (values.h)
  kSparseMatrix,  // CSR matrix with a term vocabulary
  kIndex,         // DenseIndex (stages/dense/dense_index.h)
  kRankedLists,   // RankedLists (values.h)
  kQrels,         // relevance judgments
  kMetrics,       // Metrics (values.h)
};

// "dense_matrix", "ranked_lists", ...: the spelling used in messages and `trawl stages`.
absl::string_view SlotTypeName(SlotType type);

// Specialised by every value type: `static constexpr SlotType kType = ...;`.
template <typename T>
struct SlotTraits;

// A type-erased, shared handle to one slot value.
class SlotValue {
 public:
  SlotValue() = default;

  template <typename T>
  static SlotValue Of(T value) {
    return SlotValue(SlotTraits<T>::kType, std::make_shared<T>(std::move(value)));
  }

  bool empty() const { return data_ == nullptr; }
  SlotType type() const { return type_; }

  // The value, or nullptr when the slot is empty or holds another type.
  template <typename T>
  T* As() const {
    return (data_ != nullptr && type_ == SlotTraits<T>::kType) ? static_cast<T*>(data_.get())
                                                                 : nullptr;
  }

 private:
  SlotValue(SlotType type, std::shared_ptr<void> data) : type_(type), data_(std::move(data)) {}

  SlotType type_ = SlotType::kDenseMatrix;  // meaningful only when data_ is set
  std::shared_ptr<void> data_;              // owns a T of the type named by type_
};

}  // namespace trawl

#endif  // TRAWL_PIPELINES_SLOT_H_
