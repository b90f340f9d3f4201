// Loads a PipelineConfig text proto and validates it against the stage registry before any work.
//
//   absl::StatusOr<Pipeline> pipeline = LoadPipelineFile("configs/quickstart.pbtxt");
//
// Every problem is reported as "FILE:LINE: what was wrong; what was expected": syntax errors and
// unknown option fields (from protobuf's parser), unknown stage types (with the registered ones),
// options of the wrong type, unbound or unknown input slots, slots no earlier stage produces, slot
// type mismatches, duplicate stage names and slots produced twice. All problems of a config are
// collected; the status message holds one per line. Thread-compatible.
#ifndef TRAWL_PIPELINES_CONFIG_LOADER_H_
#define TRAWL_PIPELINES_CONFIG_LOADER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pipelines/pipeline.h"
#include "pipelines/registry.h"

namespace trawl {

// Reads and validates the config at `path` (resolved against the user's working directory, see
// pipelines/paths.h). NotFound when the file cannot be read; InvalidArgument listing every problem.
absl::StatusOr<Pipeline> LoadPipelineFile(absl::string_view path,
                                          const StageRegistry& registry = StageRegistry::Global());

// The same for config text; `source` names it in messages.
absl::StatusOr<Pipeline> ParsePipelineText(absl::string_view text, absl::string_view source,
                                           const StageRegistry& registry = StageRegistry::Global());

// The config as text with stage options expanded ("[type.googleapis.com/...] { ... }"): what
// configs look like when written by hand, and the canonical form hashed into reports.
std::string PipelineConfigText(const PipelineConfig& config);

}  // namespace trawl

#endif  // TRAWL_PIPELINES_CONFIG_LOADER_H_
