// Fuzz target for sweep files: any bytes give a SweepConfig whose axes apply to a fixed pipeline
// of the framework's test stages, or errors with FILE:LINE, never a crash. (ExpandSweep itself
// reads the base config from disk; the axes' values go through SetStageOption as there.)
#include <cstddef>
#include <cstdint>
#include <string>

#include "google/protobuf/text_format.h"
#include "pipelines/text_proto.h"
#include "tools/sweep/sweep_runner.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  trawl::sweep::SweepConfig sweep;
  if (!trawl::ParseTextProto(text, "fuzz_sweep.pbtxt", &sweep).ok()) return 0;
  trawl::PipelineConfig base;
  google::protobuf::TextFormat::ParseFromString(
      R"cfg(stage { type: "test_source" name: "src" output: "out:x" }
            stage { type: "test_scale" name: "scale" input: "in:x" output: "out:y" })cfg",
      &base);
  for (const trawl::sweep::Axis& axis : sweep.axis()) {
    for (const std::string& value : axis.values()) {
      trawl::SetStageOption(base, axis.stage(), axis.field(), value).IgnoreError();
    }
  }
  return 0;
}
