// Parsing protobuf text files (pipeline configs, sweep files) with errors users can act on:
// "FILE:LINE:COLUMN: message", and for an unknown field the list of the message's fields.
// Thread-safe.
#ifndef TRAWL_PIPELINES_TEXT_PROTO_H_
#define TRAWL_PIPELINES_TEXT_PROTO_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"

namespace trawl {

// Parses `text` into `message`; `source` names it in errors (usually its path). InvalidArgument
// with every parser error, one per line. `locations` (optional) receives where each field was.
absl::Status ParseTextProto(absl::string_view text, absl::string_view source,
                            google::protobuf::Message* message,
                            google::protobuf::TextFormat::ParseInfoTree* locations = nullptr);

}  // namespace trawl

#endif  // TRAWL_PIPELINES_TEXT_PROTO_H_
