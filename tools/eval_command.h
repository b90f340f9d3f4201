// `trawl eval`: trec_eval's command line over Trawl's trec_eval implementation, so it drops in
// where trec_eval is used:
//
//   trawl eval [-q] [-c] [-M N] [-l N] [-m MEASURE[.CUTOFFS]]... QRELS RUN
//
// Options may be joined to their value as trec_eval allows (-M1000, -mP.5,10). -m also takes
// ir_measures names (-m nDCG@10). Output lines are trec_eval's (stages/eval/trec_eval.h).
#ifndef TRAWL_TOOLS_EVAL_COMMAND_H_
#define TRAWL_TOOLS_EVAL_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace trawl {

// The report text (one line per measure and query), or InvalidArgument for a bad command line
// (with the usage), NotFound / InvalidArgument from the files.
absl::StatusOr<std::string> RunEvalCommand(const std::vector<std::string>& args);

}  // namespace trawl

#endif  // TRAWL_TOOLS_EVAL_COMMAND_H_
