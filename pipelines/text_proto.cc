#include "pipelines/text_proto.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"

namespace trawl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;

// Field names of a message type, for "did you mean" hints.
std::string FieldList(const Descriptor* descriptor) {
  std::vector<std::string> names;
  for (int i = 0; i < descriptor->field_count(); ++i) names.push_back(descriptor->field(i)->name());
  return names.empty() ? "(none)" : absl::StrJoin(names, ", ");
}

// Collects protobuf parser errors as "SOURCE:LINE:COL: message", adding the list of valid fields
// when the parser names an unknown one.
class ParseErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit ParseErrors(std::string source) : source_(std::move(source)) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    std::string text = absl::StrCat(source_, ":", line + 1, ":", column + 1, ": ", message);
    const std::string kPrefix = "Message type \"";
    size_t start = message.find(kPrefix);
    if (start != std::string::npos && message.find("has no field named") != std::string::npos) {
      start += kPrefix.size();
      size_t end = message.find('"', start);
      const Descriptor* type = DescriptorPool::generated_pool()->FindMessageTypeByName(
          message.substr(start, end - start));
      if (type != nullptr) absl::StrAppend(&text, " Its fields are: ", FieldList(type), ".");
    }
    errors_.push_back(std::move(text));
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

}  // namespace

absl::Status ParseTextProto(absl::string_view text, absl::string_view source,
                            google::protobuf::Message* message,
                            google::protobuf::TextFormat::ParseInfoTree* locations) {
  ParseErrors errors{std::string(source)};
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (locations != nullptr) parser.WriteLocationsTo(locations);
  if (parser.ParseFromString(std::string(text), message)) return absl::OkStatus();
  if (errors.errors().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not a ", message->GetTypeName(), " text proto"));
  }
  return absl::InvalidArgumentError(absl::StrJoin(errors.errors(), "\n"));
}

}  // namespace trawl
