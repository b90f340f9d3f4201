// Bad input, one table (as the other *_bad_input_test.cc): for each text reader, the inputs that
// go wrong in practice and each one's outcome — the same records as a clean file, or one exact
// error naming the file, the line and what was expected.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "stages/formats/file_testing.h"
#include "stages/formats/texts.h"

namespace trawl {
namespace {

std::string TempDir() { return std::string(std::getenv("TEST_TMPDIR")) + "/"; }

// Writes the bytes to in.<extension> (gzip when it ends in .gz) and reads them back as
// "id=text;..." (with "[replaced N]" when bytes were not UTF-8), or "error: <message>".
std::string ReadAsText(const std::string& extension, const std::string& bytes) {
  const std::string path = TempDir() + "in." + extension;
  testing::WriteTestFile(path, bytes);
  auto error = [](const absl::Status& s) {
    return absl::StrCat("error: ", absl::StrReplaceAll(s.message(), {{TempDir(), ""}}));
  };
  absl::StatusOr<TextFormat> format = TextFormatFromPath(path);
  if (!format.ok()) return error(format.status());
  absl::StatusOr<TextCollection> texts = ReadTexts(path, {*format, TopicField::kTitle, nullptr});
  if (!texts.ok()) return error(texts.status());
  std::string out =
      texts->replaced_lines ? absl::StrCat("[replaced ", texts->replaced_lines, "] ") : "";
  for (int64_t i = 0; i < texts->size(); ++i) {
    absl::StrAppend(&out, texts->ids.Get(i), "=", texts->texts[i], ";");
  }
  return out;
}

struct Row {
  std::string extension;
  std::string what;
  std::string bytes;
  std::string expected;  // the canonical text, or "error: ..."
};

constexpr char kBom[] = "\xEF\xBB\xBF";
const char kJsonl[] =
    "{\"id\": \"d1\", \"contents\": \"oil spills\"}\n{\"id\": \"d2\", "
    "\"contents\": \"sea birds\"}\n";
const char kTsv[] = "1\toil spills\n2\tsea birds\n";
const char kTrec[] =
    "<DOC>\n<DOCNO>d1</DOCNO>\noil spills\n</DOC>\n<DOC>\n<DOCNO>d2</DOCNO>\n"
    "sea birds\n</DOC>\n";
const char kTopics[] = "<top>\n<num> Number: 1\n<title> oil spills\n</top>\n";

std::vector<Row> Table() {
  const std::string jsonl = kJsonl, tsv = kTsv, trec = kTrec, topics = kTopics;
  return {
      {"jsonl", "clean", jsonl, "d1=oil spills;d2=sea birds;"},
      {"tsv", "clean", tsv, "1=oil spills;2=sea birds;"},
      {"trec", "clean", trec, "d1=oil spills;d2=sea birds;"},
      {"topics", "clean", topics, "1=oil spills;"},
      // Empty files, and files without a single record.
      {"jsonl", "empty file", "", "error: in.jsonl: the file is empty"},
      {"tsv", "empty file", "", "error: in.tsv: the file is empty"},
      {"trec", "empty file", "", "error: in.trec: the file is empty"},
      {"topics", "empty file", "", "error: in.topics: the file is empty"},
      {"jsonl", "blank lines only", "\n\n", "error: in.jsonl: expected records, found none"},
      {"trec", "no <DOC>", "just text\n", "error: in.trec: expected <DOC> documents, found none"},
      {"topics", "no <top>", "just text\n", "error: in.topics: no <top> topics (empty file)"},
      // Truncated last records.
      {"jsonl", "truncated last line", jsonl.substr(0, jsonl.size() - 10),
       "error: in.jsonl:2: expected a JSON object, found A string is opened, but never closed."},
      {"tsv", "truncated last line", "1\toil spills\n2",
       "error: in.tsv:2: expected \"ID<TAB>TEXT\", found \"2\""},
      {"trec", "unterminated <DOC>", trec.substr(0, trec.size() - 7),
       "error: in.trec:7: expected </DOC> for the document opened on line 5, found the end of the "
       "file"},
      {"trec", "<DOC> inside a <DOC>", "<DOC>\n<DOCNO>1</DOCNO>\n<DOC>\n",
       "error: in.trec:3: expected </DOC> before the next <DOC> (the document opened on line 1)"},
      {"topics", "unterminated <top>", "<top>\n<num> 1\n<title> oil",
       "error: in.topics:4: expected </top> at the end of the file, found \"end of file\""},
      // Records without what the format needs.
      {"jsonl", "a JSON line without contents", "{\"id\": \"d1\", \"title\": \"t\"}\n",
       "error: in.jsonl:1: expected a \"contents\" or a \"text\" string, found neither"},
      {"jsonl", "contents not a string", "{\"id\": \"d1\", \"contents\": 3}\n",
       "error: in.jsonl:1: expected \"contents\" as a string"},
      {"jsonl", "no id", "{\"contents\": \"x\"}\n",
       "error: in.jsonl:1: expected an \"id\", \"docid\", \"qid\" or \"_id\" key"},
      {"trec", "no <DOCNO>", "<DOC>\ntext\n</DOC>\n",
       "error: in.trec:3: expected <DOCNO>...</DOCNO> in the document opened on line 1"},
      {"trec", "empty <DOCNO>", "<DOC><DOCNO> </DOCNO>text</DOC>\n",
       "error: in.trec:1: expected a non-empty <DOCNO> in the document opened on line 1"},
      {"tsv", "no tab", "1 oil spills\n",
       "error: in.tsv:1: expected \"ID<TAB>TEXT\", found \"1 oil spills\""},
      // Line ends and byte order marks read as the clean file.
      {"jsonl", "CRLF",
       "{\"id\": \"d1\", \"contents\": \"oil spills\"}\r\n{\"id\": \"d2\", "
       "\"contents\": \"sea birds\"}\r\n",
       "d1=oil spills;d2=sea birds;"},
      {"tsv", "CRLF", "1\toil spills\r\n2\tsea birds\r\n", "1=oil spills;2=sea birds;"},
      {"trec", "CRLF", absl::StrReplaceAll(trec, {{"\n", "\r\n"}}), "d1=oil spills;d2=sea birds;"},
      {"topics", "CRLF", absl::StrReplaceAll(topics, {{"\n", "\r\n"}}), "1=oil spills;"},
      {"jsonl", "BOM", kBom + jsonl, "d1=oil spills;d2=sea birds;"},
      {"tsv", "BOM", kBom + tsv, "1=oil spills;2=sea birds;"},
      {"trec", "BOM", kBom + trec, "d1=oil spills;d2=sea birds;"},
      {"topics", "BOM", kBom + topics, "1=oil spills;"},
      {"tsv.gz", "gzip", tsv, "1=oil spills;2=sea birds;"},
      // Bytes that are not UTF-8 (Latin-1 "café"): U+FFFD, as Java's decoder reads them.
      {"tsv", "non-UTF-8 byte", "1\tcaf\xe9 au lait\n", "[replaced 1] 1=caf\xef\xbf\xbd au lait;"},
      {"jsonl", "non-UTF-8 byte", "{\"id\": \"d1\", \"contents\": \"caf\xe9\"}\n",
       "[replaced 1] d1=caf\xef\xbf\xbd;"},
      {"trec", "non-UTF-8 byte", "<DOC><DOCNO>1</DOCNO>caf\xe9</DOC>\n",
       "[replaced 1] 1=caf\xef\xbf\xbd;"},
      // Duplicate ids.
      {"jsonl", "duplicate ids", jsonl + "{\"id\": \"d1\", \"contents\": \"x\"}\n",
       "error: in.jsonl:3: id \"d1\" appears twice (first on line 1)"},
      {"tsv", "duplicate ids", "1\ta\n1\tb\n",
       "error: in.tsv:2: id \"1\" appears twice (first on line 1)"},
      {"trec", "duplicate ids", trec + "<DOC><DOCNO>d1</DOCNO></DOC>\n",
       "error: in.trec:9: id \"d1\" appears twice (first on line 1)"},
      {"topics", "duplicate ids", topics + topics,
       "error: in.topics:8: query id 1 appears twice (first at line 4)"},
      // Ids a run file cannot carry: empty, or with whitespace (they would shift or split lines).
      {"jsonl", "an id with a space", "{\"id\": \"d 1\", \"contents\": \"x\"}\n",
       "error: in.jsonl:1: id \"d 1\" is empty or holds whitespace; TREC run and qrels files "
       "cannot carry it"},
      {"jsonl", "an id with a newline", "{\"id\": \"d\\n1\", \"contents\": \"x\"}\n",
       "error: in.jsonl:1: id \"d\\n1\" is empty or holds whitespace; TREC run and qrels files "
       "cannot carry it"},
      {"jsonl", "an empty id", "{\"id\": \"\", \"contents\": \"x\"}\n",
       "error: in.jsonl:1: id \"\" is empty or holds whitespace; TREC run and qrels files cannot "
       "carry it"},
      {"tsv", "an id with a space", "q 1\ttext\n",
       "error: in.tsv:1: id \"q 1\" is empty or holds whitespace; TREC run and qrels files cannot "
       "carry it"},
      {"tsv", "an empty id", "\ttext\n",
       "error: in.tsv:1: expected \"ID<TAB>TEXT\", found \"\\ttext\""},
      {"trec", "a DOCNO with a space", "<DOC><DOCNO>d 1</DOCNO>text</DOC>\n",
       "error: in.trec:1: id \"d 1\" is empty or holds whitespace; TREC run and qrels files "
       "cannot carry it"},
      {"topics", "a topic number with a space",
       "<top>\n<num> Number: 5 1\n<title> oil spills\n</top>\n",
       "error: in.topics:2: id \"5 1\" is empty or holds whitespace; TREC run and qrels files "
       "cannot carry it"},
  };
}

TEST(TextsBadInputTest, EachRowAsDocumented) {
  for (const Row& row : Table()) {
    SCOPED_TRACE(row.extension + ": " + row.what);
    EXPECT_EQ(ReadAsText(row.extension, row.bytes), row.expected);
  }
}

TEST(TextsBadInputTest, GzipCutShort) {
  const std::string path = TempDir() + "cut.tsv.gz";
  std::string text;
  for (int i = 0; i < 3000; ++i) absl::StrAppend(&text, i, "\tsome text\n");
  testing::WriteCutGzip(path, text);
  absl::Status status = ReadTexts(path, {TextFormat::kTsv, TopicField::kTitle, nullptr}).status();
  EXPECT_TRUE(
      absl::StartsWith(status.message(), path + ": the gzip stream is cut short after line "))
      << status;
}

}  // namespace
}  // namespace trawl
