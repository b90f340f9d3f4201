// The ids of a file's records, as a reader adds them: an id seen before is an error naming both
// lines, so every record reader reports duplicates the same way. Not thread-safe.
#ifndef TRAWL_STAGES_FORMATS_RECORD_IDS_H_
#define TRAWL_STAGES_FORMATS_RECORD_IDS_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "pipelines/id_table.h"

namespace trawl {

class RecordIds {
 public:
  // Adds the id of the record on `line`; InvalidArgument
  // "WHERE: id "X" appears twice (first on line N)" when an earlier record has it.
  absl::Status Add(const std::string& id, int64_t line, absl::string_view where) {
    auto [it, inserted] = first_line_of_.emplace(id, line);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": id \"", absl::CEscape(id),
                                                     "\" appears twice (first on line ", it->second,
                                                     ")"));
    }
    ids_.Add(id);
    return absl::OkStatus();
  }

  int64_t size() const { return ids_.size(); }
  IdTable Build() && { return std::move(ids_).Build(); }

 private:
  absl::flat_hash_map<std::string, int64_t> first_line_of_;
  IdTable::Builder ids_;
};

}  // namespace trawl

#endif  // TRAWL_STAGES_FORMATS_RECORD_IDS_H_
