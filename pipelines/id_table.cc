#include "pipelines/id_table.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace trawl {

void IdTable::Builder::Reserve(int64_t ids, int64_t chars) {
  strings_->ends.reserve(ids);
  strings_->chars.reserve(chars);
}

void IdTable::Builder::Add(absl::string_view id) {
  strings_->chars.append(id.data(), id.size());
  strings_->ends.push_back(strings_->chars.size());
}

IdTable IdTable::Builder::Build() && {
  IdTable table;
  table.size_ = size();
  strings_->chars.shrink_to_fit();
  strings_->ends.shrink_to_fit();
  table.strings_ = std::move(strings_);
  return table;
}

IdTable IdTable::RowNumbers(int64_t size) {
  IdTable table;
  table.size_ = size;
  return table;
}

IdTable IdTable::Of(const std::vector<std::string>& ids) {
  Builder builder;
  for (const std::string& id : ids) builder.Add(id);
  return std::move(builder).Build();
}

std::string IdTable::Get(int64_t row) const {
  if (strings_ == nullptr) return absl::StrCat(row);
  const uint64_t begin = row == 0 ? 0 : strings_->ends[row - 1];
  return strings_->chars.substr(begin, strings_->ends[row] - begin);
}

int64_t IdTable::memory_bytes() const {
  if (strings_ == nullptr) return 0;
  return static_cast<int64_t>(strings_->chars.capacity() +
                              strings_->ends.capacity() * sizeof(uint64_t));
}

}  // namespace trawl
