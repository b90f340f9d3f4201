// IdTable: the external ids of a collection's rows ("MED-10", "doc-000123", "160885"), as users'
// data names documents and queries, or simply the row numbers 0..n-1 (fvecs files and generated
// data) without storing anything.
//
// A reader builds one table per file; every value derived from those rows (the matrix, the index
// built from it, the results searched in it) holds a copy of the handle, which shares the one
// immutable table: no stage copies the strings. The strings are stored back to back with one end
// offset each, so 8.8M MS MARCO ids take about 8.8M x (8 + id length) bytes.
//
//   IdTable::Builder builder;
//   builder.Add("MED-1");
//   builder.Add("MED-2");
//   IdTable ids = std::move(builder).Build();
//   ids.Get(1);                // "MED-2"
//   IdTable::RowNumbers(3).Get(2);  // "2"
//
// Thread-safe after construction (immutable).
#ifndef TRAWL_PIPELINES_ID_TABLE_H_
#define TRAWL_PIPELINES_ID_TABLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace trawl {

class IdTable {
 public:
  class Builder {
   public:
    void Reserve(int64_t ids, int64_t chars);
    void Add(absl::string_view id);
    int64_t size() const { return static_cast<int64_t>(strings_->ends.size()); }
    IdTable Build() &&;

   private:
    friend class IdTable;
    struct Strings {
      std::string chars;           // every id, back to back
      std::vector<uint64_t> ends;  // ends[i]: one past id i's last char
    };
    std::shared_ptr<Strings> strings_ = std::make_shared<Strings>();
  };

  // An empty table (no rows).
  IdTable() = default;

  // Rows named by their numbers, "0" .. "size-1"; stores nothing.
  static IdTable RowNumbers(int64_t size);

  // A table of the given strings (for tests and small collections; readers use Builder).
  static IdTable Of(const std::vector<std::string>& ids);

  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Whether the ids are the row numbers (no strings stored).
  bool row_numbers() const { return strings_ == nullptr; }

  // The id of `row`, 0 <= row < size().
  std::string Get(int64_t row) const;

  // Bytes the shared table holds (0 for row numbers).
  int64_t memory_bytes() const;

  // Whether both handles share one table (or are row numbers of the same size): values derived
  // from the same rows.
  bool SameRows(const IdTable& other) const {
    return strings_ == other.strings_ && size_ == other.size_;
  }

 private:
  std::shared_ptr<const Builder::Strings> strings_;  // null: row numbers
  int64_t size_ = 0;
};

}  // namespace trawl

#endif  // TRAWL_PIPELINES_ID_TABLE_H_
