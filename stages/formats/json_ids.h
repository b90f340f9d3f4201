// The id of a JSON-lines record as Pyserini, Anserini and BEIR write it: the first of the keys
// "id", "docid", "qid", "_id", a string or an integer ("160885"). Shared by the JSON readers so
// every format names its records the same way.
#ifndef TRAWL_STAGES_FORMATS_JSON_IDS_H_
#define TRAWL_STAGES_FORMATS_JSON_IDS_H_

#include <simdjson.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace trawl {

// `where` ("FILE:LINE") prefixes the error: no id key, or an id that is neither string nor integer.
absl::StatusOr<std::string> JsonRecordId(const simdjson::dom::object& object,
                                         absl::string_view where);

}  // namespace trawl

#endif  // TRAWL_STAGES_FORMATS_JSON_IDS_H_
