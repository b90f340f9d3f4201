#include "stages/formats/json_ids.h"

#include "absl/strings/str_cat.h"

namespace trawl {

absl::StatusOr<std::string> JsonRecordId(const simdjson::dom::object& object,
                                         absl::string_view where) {
  for (const char* key : {"id", "docid", "qid", "_id"}) {
    simdjson::dom::element value;
    if (object.at_key(key).get(value)) continue;
    std::string_view text;
    int64_t number;
    uint64_t unsigned_number;
    if (!value.get(text)) return std::string(text);
    if (!value.get(number)) return absl::StrCat(number);
    if (!value.get(unsigned_number)) return absl::StrCat(unsigned_number);
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected \"", key, "\" as a string or an integer"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": expected an \"id\", \"docid\", \"qid\" or \"_id\" key"));
}

}  // namespace trawl
