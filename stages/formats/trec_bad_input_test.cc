// Bad input, one table: for each TREC reader, the inputs that go wrong in practice and what
// happens to each — read as the same data as a clean file, or one exact error line naming the
// file, the line and what was expected. (The TREC formats are plain text: no counts or
// dimensions to check against the file size, and no gzip.)
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "stages/formats/trec.h"

namespace trawl {
namespace {

// Each reader's result as one canonical string, or "error: <message>".
std::string Canonical(const std::string& format, const std::string& bytes) {
  const std::string file = "in." + format;
  auto error = [](const absl::Status& s) { return absl::StrCat("error: ", s.message()); };
  if (format == "qrels") {
    absl::StatusOr<Qrels> qrels = ParseQrels(bytes, file);
    if (!qrels.ok()) return error(qrels.status());
    std::string out;
    for (const auto& [qid, docs] : qrels->by_query) {
      for (const auto& [doc, rel] : docs) absl::StrAppend(&out, qid, "|", doc, "|", rel, ";");
    }
    return out;
  }
  if (format == "run" || format == "msmarco") {
    absl::StatusOr<TrecRun> run =
        format == "run" ? ParseTrecRun(bytes, file) : ParseMsMarcoRun(bytes, file);
    if (!run.ok()) return error(run.status());
    return FormatTrecRun(*run, run->tag);
  }
  absl::StatusOr<std::vector<Query>> queries = ParseTrecTopics(bytes, file);
  if (!queries.ok()) return error(queries.status());
  std::string out;
  for (const Query& q : *queries) {
    absl::StrAppend(&out, q.id, "|", q.title, "|", q.description, ";");
  }
  return out;
}

struct Row {
  std::string format;  // qrels, run, msmarco, topics
  std::string what;
  std::string bytes;
  // The clean input it must read as, or "" when `error` is expected instead.
  std::string same_as;
  std::string error;
};

constexpr char kBom[] = "\xEF\xBB\xBF";
const char kQrels[] = "1 0 a 1\n1 0 b 0\n";
const char kRun[] = "1 Q0 a 1 2.5 t\n1 Q0 b 2 1.5 t\n";
const char kMsMarco[] = "1\ta\t1\n1\tb\t2\n";
const char kTopics[] = "<top>\n<num> Number: 301\n<title> oil spills\n</top>\n";

const std::vector<Row>& Table() {
  static const auto* rows = new std::vector<Row>{
      // Empty files: an error from the reader itself, naming the file.
      {"qrels", "empty", "", "", "in.qrels: no qrels lines (empty file)"},
      {"run", "empty", "", "", "in.run: no run lines (empty file)"},
      {"msmarco", "empty", "", "", "in.msmarco: no run lines (empty file)"},
      {"topics", "empty", "", "", "in.topics: no <top> topics (empty file)"},
      {"run", "comments only", "# nothing\n", "", "in.run: no run lines (empty file)"},
      // Truncated last record: the line is named.
      {"qrels", "truncated", "1 0 a 1\n1 0 b", "",
       "in.qrels:2: expected \"QID ITER DOCNO REL\" with an integer REL, found \"1 0 b\""},
      {"run", "truncated", "1 Q0 a 1 2.5 t\n1 Q0 b 2", "",
       "in.run:2: expected at least 6 columns \"QID Q0 DOCNO RANK SCORE TAG\" with a numeric "
       "SCORE, found \"1 Q0 b 2\""},
      {"msmarco", "truncated", "1\ta\t1\n1\tb", "",
       "in.msmarco:2: expected \"QID<TAB>DOCNO<TAB>RANK\" with an integer RANK, found \"1\tb\""},
      {"topics", "truncated", "<top>\n<num> Number: 301\n<title> oil", "",
       "in.topics:3: expected </top> at the end of the file, found \"end of file\""},
      // CRLF line ends and a UTF-8 byte order mark: the same data.
      {"qrels", "CRLF", "1 0 a 1\r\n1 0 b 0\r\n", kQrels, ""},
      {"run", "CRLF", "1 Q0 a 1 2.5 t\r\n1 Q0 b 2 1.5 t\r\n", kRun, ""},
      {"msmarco", "CRLF", "1\ta\t1\r\n1\tb\t2\r\n", kMsMarco, ""},
      {"topics", "CRLF", "<top>\r\n<num> Number: 301\r\n<title> oil spills\r\n</top>\r\n", kTopics,
       ""},
      {"qrels", "BOM", std::string(kBom) + kQrels, kQrels, ""},
      {"run", "BOM", std::string(kBom) + kRun, kRun, ""},
      {"msmarco", "BOM", std::string(kBom) + kMsMarco, kMsMarco, ""},
      {"topics", "BOM", std::string(kBom) + kTopics, kTopics, ""},
      // Bytes that are not UTF-8 are ids like any other (trec_eval compares bytes).
      {"qrels", "non-UTF-8 id", "1 0 \xff\xfe 1\n", "1 0 \xff\xfe 1\n", ""},
      // NaN and infinity.
      {"run", "NaN score", "1 Q0 a 1 nan t\n", "",
       "in.run:1: expected a finite SCORE, found \"nan\""},
      {"run", "infinite score", "1 Q0 a 1 inf t\n", "",
       "in.run:1: expected a finite SCORE, found \"inf\""},
      {"qrels", "NaN judgment", "1 0 a nan\n", "",
       "in.qrels:1: expected \"QID ITER DOCNO REL\" with an integer REL, found \"1 0 a nan\""},
      // Negative and 2^31+ numbers.
      {"qrels", "negative judgment (in the pool, unjudged)", "1 0 a -1\n", "1 0 a -1\n", ""},
      {"qrels", "judgment 2^31", "1 0 a 2147483648\n", "",
       "in.qrels:1: expected \"QID ITER DOCNO REL\" with an integer REL, found \"1 0 a "
       "2147483648\""},
      {"msmarco", "rank 2^63", "1\ta\t9223372036854775808\n", "",
       "in.msmarco:1: expected \"QID<TAB>DOCNO<TAB>RANK\" with an integer RANK, found "
       "\"1\ta\t9223372036854775808\""},
      // Duplicate ids.
      {"qrels", "duplicate judgment", "1 0 a 1\n1 0 a 0\n", "",
       "in.qrels:2: document a is judged twice for query 1"},
      {"run", "duplicate document", "1 Q0 a 1 2 t\n1 Q0 a 2 1 t\n", "",
       "in.run: query 1 retrieves document a twice"},
      {"topics", "duplicate topic",
       "<top>\n<num> 301\n<title> a\n</top>\n<top>\n<num> 301\n<title> b\n</top>\n", "",
       "in.topics:8: query id 301 appears twice (first at line 4)"},
  };
  return *rows;
}

TEST(TrecBadInputTest, EveryRowHasItsOutcome) {
  for (const Row& row : Table()) {
    SCOPED_TRACE(absl::StrCat(row.format, ": ", row.what));
    const std::string got = Canonical(row.format, row.bytes);
    if (row.error.empty()) {
      EXPECT_EQ(got, Canonical(row.format, row.same_as));
      EXPECT_EQ(got.rfind("error: ", 0), std::string::npos) << got;
    } else {
      EXPECT_EQ(got, "error: " + row.error);
    }
  }
}

}  // namespace
}  // namespace trawl
