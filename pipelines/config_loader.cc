#include "pipelines/config_loader.h"

#include <algorithm>
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
#include "google/protobuf/text_format.h"
#include "pipelines/files.h"
#include "pipelines/hashing.h"
#include "pipelines/paths.h"
#include "pipelines/status_util.h"
#include "pipelines/text_proto.h"

namespace trawl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::TextFormat;

// A pipeline config is a hand-written text file; anything larger is the wrong path.
constexpr int64_t kMaxConfigBytes = int64_t{16} << 20;

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
    parts.push_back(absl::StrCat(spec.name, " (", spec.type.name(), spec.list ? ", list" : "",
                                 spec.optional ? ", optional" : "", ")"));
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
    // When the stage cannot be checked, still record what it outputs (type unknown), so later
    // stages reading it do not report a cascade.
    auto record_unchecked_outputs = [&] {
      for (const std::string& output : config.output()) {
        auto [slot, name] = SplitBinding(output);
        producers_.emplace(name, Producer{node.name, slot, std::nullopt, type_line});
      }
    };
    absl::StatusOr<const StageRegistration*> registration = registry_.Get(config.type());
    if (!registration.ok()) {
      Error(type_line, registration.status().message());
      record_unchecked_outputs();
      return;
    }
    node.registration = *registration;
    if (!ValidateOptions(config, tree, node)) {
      record_unchecked_outputs();
      return;
    }
    node.contract = node.registration->contract_for(*node.options);
    BindSlots(/*inputs=*/true, config, tree, node);
    BindSlots(/*inputs=*/false, config, tree, node);
  }

  // Unpacks the stage's options into node.options; false (with an error) when they are of
  // another type or do not decode.
  bool ValidateOptions(const StageConfig& config, const TextFormat::ParseInfoTree* tree,
                       StageNode& node) {
    const google::protobuf::Message& prototype = *node.registration->options_prototype;
    node.options.reset(prototype.New());
    if (!config.has_options()) return true;
    const std::string& expected = prototype.GetDescriptor()->full_name();
    if (config.options().type_url() != absl::StrCat("type.googleapis.com/", expected)) {
      Error(FieldLine(tree, "options", -1, node.line),
            absl::StrCat("stage '", node.name, "' of type ", config.type(),
                         " takes options [type.googleapis.com/", expected, "], found [",
                         config.options().type_url(), "]"));
      return false;
    }
    if (!config.options().UnpackTo(node.options.get())) {
      Error(FieldLine(tree, "options", -1, node.line),
            absl::StrCat("stage '", node.name, "': options could not be decoded as ", expected,
                         " (does a string option hold bytes that are not UTF-8, such as an escape "
                         "like \\351? options are UTF-8 text)"));
      return false;
    }
    return true;
  }

  // Binds the config's `input` (or `output`) lines to the contract's slots, checking each: the
  // slot exists, is bound once unless it is a list, and (inputs) reads a slot an earlier stage
  // outputs with the same type, or (outputs) writes a slot nothing else writes. Then every
  // required input must be bound.
  void BindSlots(bool inputs, const StageConfig& config, const TextFormat::ParseInfoTree* tree,
                 StageNode& node) {
    const absl::string_view direction = inputs ? "input" : "output";
    const std::vector<SlotSpec>& specs = inputs ? node.contract.inputs : node.contract.outputs;
    const auto& bindings = inputs ? config.input() : config.output();
    SlotBindings& bound = inputs ? node.inputs : node.outputs;
    for (int j = 0; j < bindings.size(); ++j) {
      const int line = FieldLine(tree, direction, j, node.line);
      auto [slot, name] = SplitBinding(bindings[j]);
      const SlotSpec* spec = FindSlot(specs, slot);
      if (spec == nullptr || name.empty()) {
        Error(line, absl::StrCat("stage '", node.name, "': ", direction, " '", bindings[j],
                                 "' does not name an ", direction, " of ", config.type(),
                                 "; expected \"slot:name\" with slot one of: ", SlotList(specs)));
        continue;
      }
      if (bound.contains(slot) && !spec->list) {
        Error(line, absl::StrCat("stage '", node.name, "': ", direction, " slot '", slot,
                                 "' is bound twice; only list inputs take several values"));
        continue;
      }
      if (inputs) {
        CheckProducer(node, *spec, name, line);
      } else if (auto previous = producers_.find(name); previous != producers_.end()) {
        Error(line, absl::StrCat("duplicate slot name '", name, "': already output by stage '",
                                 previous->second.stage, "' at line ", previous->second.line));
        continue;
      } else {
        producers_[name] = Producer{node.name, slot, spec->type, line};
      }
      bound[slot].push_back(name);
    }
    if (!inputs) return;
    for (const SlotSpec& spec : specs) {
      if (!spec.optional && !bound.contains(spec.name)) {
        Error(node.line,
              absl::StrCat("stage '", node.name, "': input '", spec.name, "' (", spec.type.name(),
                           ") is unbound; add `input: \"", spec.name, ":SLOT\"`"));
      }
    }
  }

  // Input `spec` reads pipeline slot `name`: an earlier stage must output it, with spec's type.
  void CheckProducer(const StageNode& node, const SlotSpec& spec, const std::string& name,
                     int line) {
    auto producer = producers_.find(name);
    if (producer == producers_.end()) {
      Error(line, absl::StrCat("stage '", node.name, "': input '", spec.name, "' reads slot '",
                               name, "', which no earlier stage outputs"));
    } else if (producer->second.type.has_value() && *producer->second.type != spec.type) {
      Error(line, absl::StrCat("stage '", node.name, "': input '", spec.name, "' expects ",
                               spec.type.name(), " but slot '", name, "' is ",
                               producer->second.type->name(), " (output '", producer->second.slot,
                               "' of stage '", producer->second.stage, "', line ",
                               producer->second.line, ")"));
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
  // Protobuf strings are UTF-8: other bytes would reach it only to be logged and refused.
  if (const size_t bad = FirstInvalidUtf8(text); bad != absl::string_view::npos) {
    const size_t line_start = text.rfind('\n', bad == 0 ? 0 : bad - 1);
    const size_t column =
        line_start == absl::string_view::npos || bad == 0 ? bad + 1 : bad - line_start;
    const int64_t line = 1 + std::count(text.begin(), text.begin() + bad, '\n');
    return absl::InvalidArgumentError(absl::StrCat(
        pipeline.source, ":", line, ":", column, ": expected UTF-8 text, found the byte \\x",
        absl::Hex(static_cast<unsigned char>(text[bad]), absl::kZeroPad2),
        " (save the config as UTF-8)"));
  }
  TextFormat::ParseInfoTree locations;
  RETURN_IF_ERROR(ParseTextProto(text, pipeline.source, &pipeline.config, &locations));
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
  absl::StatusOr<std::string> text = ReadWholeFile(resolved, kMaxConfigBytes);
  if (absl::IsNotFound(text.status())) {
    return absl::NotFoundError(absl::StrCat("cannot read pipeline config '", resolved, "'"));
  }
  if (!text.ok()) return text.status();  // a directory, a FIFO, a device, a file too large
  return ParsePipelineText(*text, resolved, registry);
}

}  // namespace trawl
