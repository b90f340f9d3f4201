// The ids of a file's records, as a reader adds them: an id seen before, an empty id or one with
// whitespace is an error naming the line, so every record reader reports them the same way.
// Not thread-safe.
#ifndef TRAWL_STAGES_FORMATS_RECORD_IDS_H_
#define TRAWL_STAGES_FORMATS_RECORD_IDS_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "pipelines/id_table.h"

namespace trawl {

// Whether `id` can stand in a run, qrels or docid file: not empty, no whitespace (those formats
// split fields at whitespace, so such an id would shift or split a line).
inline bool IsRunFileId(absl::string_view id) {
  if (id.empty()) return false;
  for (const char c : id) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "WHERE: id "X" is empty or holds whitespace, ...": the one message for such ids.
inline absl::Status BadRunFileIdError(absl::string_view id, absl::string_view where) {
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": id \"", absl::CEscape(id.substr(0, 200)),
                   "\" is empty or holds whitespace; TREC run and qrels files cannot carry it"));
}

class RecordIds {
 public:
  // Adds the id of the record on `line`; InvalidArgument
  // "WHERE: id "X" appears twice (first on line N)" when an earlier record has it.
  // InvalidArgument (BadRunFileIdError) for an empty id or one with whitespace.
  absl::Status Add(const std::string& id, int64_t line, absl::string_view where) {
    if (!IsRunFileId(id)) return BadRunFileIdError(id, where);
    auto [it, inserted] = first_line_of_.emplace(id, line);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": id \"", absl::CEscape(id.substr(0, 200)),
                       "\" appears twice (first on line ", it->second, ")"));
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
