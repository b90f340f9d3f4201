#include "stages/formats/json_records.h"

#include "absl/strings/str_cat.h"

namespace trawl {

absl::StatusOr<JsonRecord> ParseJsonRecord(simdjson::dom::parser& parser, absl::string_view line,
                                           absl::string_view where) {
  simdjson::dom::element element;
  if (auto error = parser.parse(line.data(), line.size()).get(element)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected a JSON object, found ", simdjson::error_message(error)));
  }
  JsonRecord record;
  if (element.get(record.object)) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": expected a JSON object"));
  }
  for (const char* key : {"id", "docid", "qid", "_id"}) {
    simdjson::dom::element value;
    if (record.object.at_key(key).get(value)) continue;
    std::string_view text;
    int64_t number;
    uint64_t unsigned_number;
    if (!value.get(text)) {
      record.id = std::string(text);
    } else if (!value.get(number)) {
      record.id = absl::StrCat(number);
    } else if (!value.get(unsigned_number)) {
      record.id = absl::StrCat(unsigned_number);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected \"", key, "\" as a string or an integer"));
    }
    return record;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": expected an \"id\", \"docid\", \"qid\" or \"_id\" key"));
}

}  // namespace trawl
