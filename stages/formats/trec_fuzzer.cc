// Fuzz targets for the TREC readers, one per format family, chosen at build time by
// TRAWL_FUZZ_FORMAT: qrels (then evaluated against a fixed run), runs (TREC and MS MARCO, then
// evaluated against fixed qrels and written back), topics (TREC SGML). Whatever
// the bytes, a parser returns a value or an error; it never crashes, hangs or reads out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "stages/eval/trec_eval.h"
#include "stages/formats/trec.h"

namespace {

[[maybe_unused]] const std::vector<trawl::MeasureSpec>& AllTrec() {
  static const auto* measures = new std::vector<trawl::MeasureSpec>(
      *trawl::ParseMeasures({"all_trec", "relstring.5", "ndcg.1=3,2=0.5", "rbp.p=0.5"}));
  return *measures;
}

[[maybe_unused]] void Evaluate(const trawl::Qrels& qrels, const trawl::TrecRun& run) {
  trawl::EvalOptions options;
  options.per_query = true;
  for (bool complete : {false, true}) {
    options.average_complete = complete;
    absl::StatusOr<std::vector<trawl::EvalLine>> lines =
        trawl::EvaluateRun(qrels, run, AllTrec(), options);
    if (lines.ok()) {
      for (const trawl::EvalLine& line : *lines) trawl::FormatEvalLine(line);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
#if TRAWL_FUZZ_FORMAT == 1  // qrels
  absl::StatusOr<trawl::Qrels> qrels = trawl::ParseQrels(text, "fuzz.qrels");
  if (qrels.ok()) {
    Evaluate(*qrels, *trawl::ParseTrecRun("1 Q0 a 1 1.0 t\n2 Q0 b 1 0.5 t\n", "fixed.run"));
  }
#elif TRAWL_FUZZ_FORMAT == 2  // runs
  for (bool msmarco : {false, true}) {
    absl::StatusOr<trawl::TrecRun> run =
        msmarco ? trawl::ParseMsMarcoRun(text, "fuzz.tsv") : trawl::ParseTrecRun(text, "fuzz.run");
    if (!run.ok()) continue;
    Evaluate(*trawl::ParseQrels("1 0 a 1\n1 0 b 2\n2 0 c 0\n", "fixed.qrels"), *run);
    trawl::FormatTrecRun(*run, "t");
    trawl::FormatMsMarcoRun(*run);
  }
#elif TRAWL_FUZZ_FORMAT == 3  // topics
  trawl::ParseTrecTopics(text, "fuzz.topics").IgnoreError();
#else
#error "define TRAWL_FUZZ_FORMAT"
#endif
  return 0;
}
