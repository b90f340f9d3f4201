// Fuzz target for the pipeline config loader: any bytes give a validated pipeline or errors with
// FILE:LINE, never a crash. The framework's test stages are the registered types.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pipelines/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<trawl::Pipeline> pipeline = trawl::ParsePipelineText(text, "fuzz.pbtxt");
  if (pipeline.ok()) trawl::PipelineConfigText(pipeline->config);
  return 0;
}
