// A loaded and validated pipeline: the config plus, for every stage, its registration, unpacked
// options, slot bindings and source line. Produced by pipelines/config_loader.h, consumed by
// pipelines/runner.h. Immutable after loading; safe to share between threads.
#ifndef TRAWL_PIPELINES_PIPELINE_H_
#define TRAWL_PIPELINES_PIPELINE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "google/protobuf/message.h"
#include "pipelines/pipeline.pb.h"
#include "pipelines/registry.h"

namespace trawl {

struct StageNode {
  std::string name;                                    // unique in the pipeline
  const StageRegistration* registration = nullptr;     // owned by the registry
  std::unique_ptr<google::protobuf::Message> options;  // of registration->options_prototype's type
  StageContract contract;  // the registration's contract for these options
  SlotBindings inputs;     // stage slot -> pipeline slots, in binding order
  SlotBindings outputs;    // stage slot -> its one pipeline slot
  int line = 0;            // 1-based line of the stage in the config source; 0 when unknown
};

struct Pipeline {
  std::string source;  // the config's path (or a label for configs built in memory)
  PipelineConfig config;
  std::vector<StageNode> stages;
  std::string config_sha256;  // of the canonical text form: comments and layout do not count
};

}  // namespace trawl

#endif  // TRAWL_PIPELINES_PIPELINE_H_
