#include "tools/eval_command.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "stages/eval/trec_eval.h"
#include "stages/formats/trec.h"

namespace trawl {
namespace {

constexpr char kEvalUsage[] =
    "usage: trawl eval [-q] [-c] [-n] [-J] [-M N] [-l N] [-N N] [-m MEASURE[.PARAMS]]... QRELS "
    "RUN";

absl::Status UsageError(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(what, "; ", kEvalUsage));
}

}  // namespace

absl::StatusOr<std::string> RunEvalCommand(const std::vector<std::string>& args) {
  EvalOptions options;
  std::vector<std::string> measures;
  std::vector<std::string> files;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      files.push_back(arg);
      continue;
    }
    const char flag = arg[1];
    if (flag == 'q' && arg.size() == 2) {
      options.per_query = true;
      continue;
    }
    if (flag == 'c' && arg.size() == 2) {
      options.average_complete = true;
      continue;
    }
    if (flag == 'n' && arg.size() == 2) {
      options.no_summary = true;
      continue;
    }
    if (flag == 'J' && arg.size() == 2) {
      options.judged_only = true;
      continue;
    }
    if (flag != 'M' && flag != 'l' && flag != 'm' && flag != 'N')
      return UsageError(absl::StrCat("unknown option ", arg));
    std::string value = arg.substr(2);
    if (value.empty()) {
      if (++i == args.size()) return UsageError(absl::StrCat("option ", arg, " needs a value"));
      value = args[i];
    }
    if (flag == 'm') {
      measures.push_back(value);
      continue;
    }
    int64_t number = 0;
    if (!absl::SimpleAtoi(value, &number) || number < (flag == 'M' ? 1 : 0)) {
      return UsageError(absl::StrCat("-", std::string(1, flag), " expects ",
                                     flag == 'M' ? "a positive" : "a non-negative",
                                     " integer, found '", value, "'"));
    }
    if (flag == 'M') options.max_results = number;
    if (flag == 'l') options.relevance_level = static_cast<int>(number);
    if (flag == 'N') options.num_docs_in_collection = number;
  }
  if (files.size() != 2) {
    return UsageError(
        absl::StrCat("expected QRELS and RUN, found ", files.size(), " file arguments"));
  }
  absl::StatusOr<std::vector<MeasureSpec>> specs = ParseMeasures(measures);
  if (!specs.ok()) return specs.status();
  absl::StatusOr<Qrels> qrels = ReadQrels(files[0]);
  if (!qrels.ok()) return qrels.status();
  absl::StatusOr<TrecRun> run = ReadTrecRun(files[1]);
  if (!run.ok()) return run.status();
  absl::StatusOr<std::vector<EvalLine>> lines = EvaluateRun(*qrels, *run, *specs, options);
  if (!lines.ok()) return lines.status();
  std::string out;
  for (const EvalLine& line : *lines) absl::StrAppend(&out, FormatEvalLine(line), "\n");
  return out;
}

}  // namespace trawl
