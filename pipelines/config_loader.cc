#include "pipelines/config_loader.h"

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "pipelines/hashing.h"
#include "pipelines/paths.h"

namespace trawl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::FieldDescriptor;
using google::protobuf::TextFormat;

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
      const Descriptor* type =
          DescriptorPool::generated_pool()->FindMessageTypeByName(message.substr(start, end - start));
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

// Where a slot of the pipeline comes from.
struct Producer {
  std::string stage;
  std::string slot;
  std::optional<SlotType> type;  // unknown when the producing stage's type is not registered
  int line;
};

std::string SlotList(const std::vector<SlotSpec>& slots) {
  if (slots.empty()) return "none";
  std::vector<std::string> parts;
  for (const SlotSpec& spec : slots) {
    parts.push_back(absl::StrCat(spec.name, " (", SlotTypeName(spec.type), ")"));
  }
  return absl::StrJoin(parts, ", ");
}

const SlotSpec* FindSlot(const std::vector<SlotSpec>& slots, absl::string_view name) {
  for (const SlotSpec& spec : slots) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// Splits "slot:pipeline_name" (or a bare "name", which binds the slot of the same name).
std::pair<std::string, std::string> SplitBinding(absl::string_view binding) {
  std::pair<std::string, std::string> parts = absl::StrSplit(binding, absl::MaxSplits(':', 1));
  if (parts.second.empty() && binding.find(':') == absl::string_view::npos) {
    parts.second = parts.first;
  }
  return parts;
}

class Validator {
 public:
  Validator(std::string source, const TextFormat::ParseInfoTree& locations,
            const StageRegistry& registry)
      : source_(std::move(source)), locations_(locations), registry_(registry) {}

  void Validate(Pipeline& pipeline) {
    const FieldDescriptor* stage_field = PipelineConfig::descriptor()->FindFieldByName("stage");
    if (pipeline.config.stage_size() == 0) {
      Error(0, "the pipeline has no stages; expected at least one `stage { type: ... }`");
    }
    for (int i = 0; i < pipeline.config.stage_size(); ++i) {
      const StageConfig& config = pipeline.config.stage(i);
      const TextFormat::ParseInfoTree* tree = locations_.GetTreeForNested(stage_field, i);
      StageNode node;
      node.line = Line(locations_, stage_field, i);
      node.name = config.name().empty() ? config.type() : config.name();
      ValidateStage(config, tree, node);
      pipeline.stages.push_back(std::move(node));
    }
  }

  std::vector<std::string>& errors() { return errors_; }

 private:
  static int Line(const TextFormat::ParseInfoTree& tree, const FieldDescriptor* field, int index) {
    TextFormat::ParseLocation location = tree.GetLocation(field, index);
    return location.line < 0 ? 0 : location.line + 1;
  }

  // Line of field `name` of a stage (index -1 for singular fields), else the stage's own line.
  int FieldLine(const TextFormat::ParseInfoTree* tree, absl::string_view name, int index,
                int stage_line) const {
    if (tree == nullptr) return stage_line;
    const FieldDescriptor* field = StageConfig::descriptor()->FindFieldByName(std::string(name));
    int line = Line(*tree, field, index);
    return line == 0 ? stage_line : line;
  }

  void Error(int line, absl::string_view message) {
    errors_.push_back(line > 0 ? absl::StrCat(source_, ":", line, ": ", message)
                               : absl::StrCat(source_, ": ", message));
  }

  void ValidateStage(const StageConfig& config, const TextFormat::ParseInfoTree* tree,
                     StageNode& node) {
    const int type_line = FieldLine(tree, "type", -1, node.line);
    if (config.type().empty()) {
      Error(node.line, absl::StrCat("stage '", node.name, "' has no type; registered types: ",
                                    absl::StrJoin(registry_.Types(), ", ")));
      return;
    }
    auto first = stage_lines_.find(node.name);
    if (first != stage_lines_.end()) {
      Error(FieldLine(tree, "name", -1, node.line),
            absl::StrCat("duplicate stage name '", node.name, "' (first used at line ",
                         first->second, "); give each stage a unique `name`"));
    } else {
      stage_lines_[node.name] = node.line;
    }
    absl::StatusOr<const StageRegistration*> registration = registry_.Get(config.type());
    if (!registration.ok()) {
      Error(type_line, registration.status().message());
      // Still record what it outputs, so later stages reading it do not report a cascade.
      for (const std::string& output : config.output()) {
        auto [slot, name] = SplitBinding(output);
        producers_.emplace(name, Producer{node.name, slot, std::nullopt, type_line});
      }
      return;
    }
    node.registration = *registration;
    ValidateOptions(config, tree, node);
    ValidateInputs(config, tree, node);
    ValidateOutputs(config, tree, node);
  }

  void ValidateOptions(const StageConfig& config, const TextFormat::ParseInfoTree* tree,
                       StageNode& node) {
    const google::protobuf::Message& prototype = *node.registration->options_prototype;
    node.options.reset(prototype.New());
    if (!config.has_options()) return;
    const std::string& expected = prototype.GetDescriptor()->full_name();
    if (config.options().type_url() != absl::StrCat("type.googleapis.com/", expected)) {
      Error(FieldLine(tree, "options", -1, node.line),
            absl::StrCat("stage '", node.name, "' of type ", config.type(),
                         " takes options [type.googleapis.com/", expected, "], found [",
                         config.options().type_url(), "]"));
      return;
    }
    if (!config.options().UnpackTo(node.options.get())) {
      Error(FieldLine(tree, "options", -1, node.line),
            absl::StrCat("stage '", node.name, "': options could not be decoded as ", expected));
    }
  }

  void ValidateInputs(const StageConfig& config, const TextFormat::ParseInfoTree* tree,
                      StageNode& node) {
    const StageContract& contract = node.registration->contract;
    for (int j = 0; j < config.input_size(); ++j) {
      const int line = FieldLine(tree, "input", j, node.line);
      auto [slot, name] = SplitBinding(config.input(j));
      const SlotSpec* spec = FindSlot(contract.inputs, slot);
      if (spec == nullptr || name.empty()) {
        Error(line, absl::StrCat("stage '", node.name, "': input '", config.input(j),
                                 "' does not name an input of ", config.type(),
                                 "; expected \"slot:name\" with slot one of: ",
                                 SlotList(contract.inputs)));
        continue;
      }
      if (node.inputs.contains(slot)) {
        Error(line, absl::StrCat("stage '", node.name, "': input slot '", slot, "' is bound twice"));
        continue;
      }
      node.inputs[slot] = name;
      auto producer = producers_.find(name);
      if (producer == producers_.end()) {
        Error(line, absl::StrCat("stage '", node.name, "': input '", slot, "' reads slot '", name,
                                 "', which no earlier stage outputs"));
      } else if (producer->second.type.has_value() && *producer->second.type != spec->type) {
        Error(line, absl::StrCat("stage '", node.name, "': input '", slot, "' expects ",
                                 SlotTypeName(spec->type), " but slot '", name, "' is ",
                                 SlotTypeName(*producer->second.type), " (output '",
                                 producer->second.slot, "' of stage '", producer->second.stage,
                                 "', line ", producer->second.line, ")"));
      }
    }
    for (const SlotSpec& spec : contract.inputs) {
      if (!node.inputs.contains(spec.name)) {
        Error(node.line, absl::StrCat("stage '", node.name, "': input '", spec.name, "' (",
                                      SlotTypeName(spec.type), ") is unbound; add `input: \"",
                                      spec.name, ":SLOT\"`"));
      }
    }
  }

  void ValidateOutputs(const StageConfig& config, const TextFormat::ParseInfoTree* tree,
                       StageNode& node) {
    const StageContract& contract = node.registration->contract;
    for (int j = 0; j < config.output_size(); ++j) {
      const int line = FieldLine(tree, "output", j, node.line);
      auto [slot, name] = SplitBinding(config.output(j));
      const SlotSpec* spec = FindSlot(contract.outputs, slot);
      if (spec == nullptr || name.empty()) {
        Error(line, absl::StrCat("stage '", node.name, "': output '", config.output(j),
                                 "' does not name an output of ", config.type(),
                                 "; expected \"slot:name\" with slot one of: ",
                                 SlotList(contract.outputs)));
        continue;
      }
      auto previous = producers_.find(name);
      if (previous != producers_.end()) {
        Error(line, absl::StrCat("duplicate slot name '", name, "': already output by stage '",
                                 previous->second.stage, "' at line ", previous->second.line));
        continue;
      }
      node.outputs[slot] = name;
      producers_[name] = Producer{node.name, slot, spec->type, line};
    }
  }

  std::string source_;
  const TextFormat::ParseInfoTree& locations_;
  const StageRegistry& registry_;
  absl::flat_hash_map<std::string, Producer> producers_;  // pipeline slot -> its producer
  absl::flat_hash_map<std::string, int> stage_lines_;     // stage name -> first line
  std::vector<std::string> errors_;
};

}  // namespace

absl::StatusOr<Pipeline> ParsePipelineText(absl::string_view text, absl::string_view source,
                                           const StageRegistry& registry) {
  Pipeline pipeline;
  pipeline.source = std::string(source);
  ParseErrors parse_errors(pipeline.source);
  TextFormat::ParseInfoTree locations;
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&parse_errors);
  parser.WriteLocationsTo(&locations);
  if (!parser.ParseFromString(std::string(text), &pipeline.config)) {
    return absl::InvalidArgumentError(absl::StrJoin(parse_errors.errors(), "\n"));
  }
  Validator validator(pipeline.source, locations, registry);
  validator.Validate(pipeline);
  if (!validator.errors().empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(validator.errors(), "\n"));
  }
  pipeline.config_sha256 = Sha256Hex(PipelineConfigText(pipeline.config));
  return pipeline;
}

std::string PipelineConfigText(const PipelineConfig& config) {
  TextFormat::Printer printer;
  printer.SetExpandAny(true);
  std::string text;
  printer.PrintToString(config, &text);
  return text;
}

absl::StatusOr<Pipeline> LoadPipelineFile(absl::string_view path, const StageRegistry& registry) {
  const std::string resolved = ResolveUserPath(path);
  std::ifstream in(resolved);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read pipeline config '", resolved, "'"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParsePipelineText(text.str(), resolved, registry);
}

}  // namespace trawl
