// TREC evaluation files: qrels, run files, topics and MS MARCO runs.
//
//   qrels:     "QID ITER DOCNO REL"            (REL an integer; negative = in pool, not judged;
//                                              as trec_eval's atol, "1.5" reads as 1)
//   TREC run:  "QID Q0 DOCNO RANK SCORE TAG ..." (trec_eval ignores RANK, ranks by SCORE and
//                                              ignores columns after TAG; the run's tag is the
//                                              last line's)
//   MS MARCO:  "QID<TAB>DOCNO<TAB>RANK"        (no score: read as score = -RANK)
//   topics:    TREC SGML, <top> <num> Number: 301 <title> ... <desc> ... </top> (texts.h reads
//              topics, TSV queries and documents for pipelines)
//
// Input as trec_eval 10 takes it: blank lines are skipped, CRLF line ends are whitespace, qrels
// lines starting with '#' and run lines whose first non-blank character is '#' are comments
// ('#' inside a field is part of it: "CR#93E-1860"). Every reader reports a malformed line as
// InvalidArgument "FILE:LINE: expected ..., found ..."; an empty file (or comments only), a NaN
// or infinite score, a duplicate judgment or a document retrieved twice for a query is an error
// too. Qrels and run readers keep queries in QID order (string order, as trec_eval prints them);
// topic and query readers keep the file order.
// Thread-safe (no shared state).
#ifndef TRAWL_STAGES_FORMATS_TREC_H_
#define TRAWL_STAGES_FORMATS_TREC_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pipelines/slot.h"

namespace trawl {

struct Qrels {
  std::map<std::string, std::map<std::string, int>> by_query;  // qid -> docno -> relevance
};

template <>
struct SlotTraits<Qrels> {
  static constexpr char kName[] = "qrels";
};

struct RunDoc {
  std::string docno;
  double score = 0;
};

struct TrecRun {
  std::map<std::string, std::vector<RunDoc>> by_query;  // in file order within a query
  std::string tag;  // the last line's run tag, as trec_eval prints it ("" for MS MARCO runs)
};

// A TREC topic: its title and description, each joined onto one line.
struct Query {
  std::string id;
  std::string title;
  std::string description;
};

// `source` names the text in messages (usually its path).
absl::StatusOr<Qrels> ParseQrels(absl::string_view text, absl::string_view source);
absl::StatusOr<TrecRun> ParseTrecRun(absl::string_view text, absl::string_view source);
absl::StatusOr<TrecRun> ParseMsMarcoRun(absl::string_view text, absl::string_view source);
absl::StatusOr<std::vector<Query>> ParseTrecTopics(absl::string_view text,
                                                   absl::string_view source);

// The same from files (paths resolved as user paths); NotFound when unreadable.
absl::StatusOr<Qrels> ReadQrels(absl::string_view path);
absl::StatusOr<TrecRun> ReadTrecRun(absl::string_view path);

// One run line, appended to `out`: "QID Q0 DOCNO RANK SCORE TAG\n" (score with 6 decimals), and
// MS MARCO's "QID<TAB>DOCNO<TAB>RANK\n". The run writer and the formatters below share them.
void AppendTrecRunLine(std::string& out, absl::string_view qid, absl::string_view docno,
                       int64_t rank, double score, absl::string_view tag);
void AppendMsMarcoRunLine(std::string& out, absl::string_view qid, absl::string_view docno,
                          int64_t rank);

// "QID Q0 DOCNO RANK SCORE TAG\n" lines, each query's documents best first.
std::string FormatTrecRun(const TrecRun& run, absl::string_view tag);

// "QID<TAB>DOCNO<TAB>RANK\n" lines (MS MARCO's run format), each query's documents best first.
std::string FormatMsMarcoRun(const TrecRun& run);

}  // namespace trawl

#endif  // TRAWL_STAGES_FORMATS_TREC_H_
