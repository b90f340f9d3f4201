// One record of a JSON-lines file as Pyserini, Anserini and BEIR write them: an object on one
// line, named by the first of the keys "id", "docid", "qid", "_id" (a string, or an integer read
// as "160885"). Shared by the JSON readers so every format parses and names its records the same
// way.
#ifndef TRAWL_STAGES_FORMATS_JSON_RECORDS_H_
#define TRAWL_STAGES_FORMATS_JSON_RECORDS_H_

#include <simdjson.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace trawl {

struct JsonRecord {
  simdjson::dom::object object;  // valid until `parser` parses again
  std::string id;
};

// `where` ("FILE:LINE") prefixes the error: not JSON, not an object, no id key, or an id that is
// neither a string nor an integer.
absl::StatusOr<JsonRecord> ParseJsonRecord(simdjson::dom::parser& parser, absl::string_view line,
                                           absl::string_view where);

}  // namespace trawl

#endif  // TRAWL_STAGES_FORMATS_JSON_RECORDS_H_
