// Bad input, one table (as trec_bad_input_test.cc and vectors_bad_input_test.cc): for each sparse
// reader, the inputs that go wrong in practice and each one's outcome — the same vectors as a
// clean file, or one exact error naming the file, the line and what was expected.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "stages/formats/file_testing.h"
#include "stages/formats/sparse_vectors.h"

namespace trawl {
namespace {

std::string TempDir() { return std::string(std::getenv("TEST_TMPDIR")) + "/"; }

// Writes the bytes to in.<extension> (gzip when it ends in .gz), reads them back: rows as
// "id: term=weight ...;" (and the weight kind), or "error: <message>" without the directory.
std::string ReadAsText(const std::string& extension, const std::string& bytes,
                       double quantize_scale = 0) {
  const std::string path = TempDir() + "in." + extension;
  testing::WriteTestFile(path, bytes);
  auto error = [](const absl::Status& s) {
    return absl::StrCat("error: ", absl::StrReplaceAll(s.message(), {{TempDir(), ""}}));
  };
  absl::StatusOr<SparseFormat> format = SparseFormatFromPath(path);
  if (!format.ok()) return error(format.status());
  absl::StatusOr<SparseMatrix> m = ReadSparseVectors(path, {*format, quantize_scale});
  if (!m.ok()) return error(m.status());
  std::string out = m->integer_weights ? "[int] " : "[float] ";
  for (int64_t r = 0; r < m->rows; ++r) {
    absl::StrAppend(&out, m->ids.Get(r), ":");
    for (int64_t e = m->row_offsets[r]; e < m->row_offsets[r + 1]; ++e) {
      absl::StrAppend(&out, " ", (*m->vocabulary)[m->terms[e]], "=", m->weights[e]);
    }
    out += ";";
  }
  return out;
}

struct Row {
  std::string extension;
  std::string what;
  std::string bytes;
  std::string expected;  // the canonical text, or "error: ..."
};

const char kClean[] =
    "{\"id\": \"d1\", \"vector\": {\"cat\": 3, \"##s\": 1}}\n"
    "{\"id\": \"d2\", \"vector\": {\"naïve\": 2}}\n";
const char kCleanText[] = "[int] d1: cat=3 ##s=1;d2: naïve=2;";

std::vector<Row> Table() {
  const std::string clean = kClean;
  return {
      {"jsonl", "clean", clean, kCleanText},
      {"jsonl", "empty file", "", "error: in.jsonl: the file is empty"},
      {"jsonl", "CRLF", absl::StrReplaceAll(clean, {{"\n", "\r\n"}}), kCleanText},
      {"jsonl", "UTF-8 byte order mark", "\xEF\xBB\xBF" + clean, kCleanText},
      {"jsonl.gz", "gzip", clean, kCleanText},
      {"jsonl", "truncated last record", clean.substr(0, clean.size() - 4),
       "error: in.jsonl:2: expected a JSON object, found The JSON document has an improper "
       "structure: missing or superfluous commas, braces, missing keys, etc."},
      {"jsonl", "non-UTF-8 bytes in a term", "{\"id\": 1, \"vector\": {\"c\xff\": 1}}\n",
       "error: in.jsonl:1: expected a JSON object, found The input is not valid UTF-8"},
      {"jsonl", "no vector", "{\"id\": 1, \"contents\": \"x\"}\n",
       "error: in.jsonl:1: expected a \"vector\" object of term weights, found no \"vector\" key"},
      {"jsonl", "a dense vector", "{\"id\": 1, \"vector\": [0.5, 1]}\n",
       "error: in.jsonl:1: expected \"vector\" as an object of term weights"},
      {"jsonl", "no terms", "{\"id\": 1, \"vector\": {}}\n", "[int] 1:;"},
      {"jsonl", "duplicate ids", clean + "{\"id\": \"d1\", \"vector\": {\"x\": 1}}\n",
       "error: in.jsonl:3: id \"d1\" appears twice (first on line 1)"},
      {"jsonl", "an id with a tab", "{\"id\": \"d\\t1\", \"vector\": {\"x\": 1}}\n",
       "error: in.jsonl:1: id \"d\\t1\" is empty or holds whitespace; TREC run and qrels files "
       "cannot carry it"},
      {"jsonl", "an empty id", "{\"id\": \"\", \"vector\": {\"x\": 1}}\n",
       "error: in.jsonl:1: id \"\" is empty or holds whitespace; TREC run and qrels files cannot "
       "carry it"},
      {"tsv", "a query id with a space", "q 1\tcat cat\n",
       "error: in.tsv:1: id \"q 1\" is empty or holds whitespace; TREC run and qrels files cannot "
       "carry it"},
      {"jsonl", "a term twice", "{\"id\": 1, \"vector\": {\"a\": 1, \"a\": 2}}\n",
       "error: in.jsonl:1: term \"a\" appears twice in one vector"},
      {"jsonl", "negative weight", "{\"id\": 1, \"vector\": {\"a\": -1}}\n",
       "error: in.jsonl:1: expected a non-negative weight for \"a\", found -1"},
      {"jsonl", "infinite weight (beyond double)", "{\"id\": 1, \"vector\": {\"a\": 1e999}}\n",
       "error: in.jsonl:1: expected a JSON object, found Problem while parsing a number"},
      {"jsonl", "NaN literal", "{\"id\": 1, \"vector\": {\"a\": NaN}}\n",
       "error: in.jsonl:1: expected a JSON object, found The JSON document has an improper "
       "structure: missing or superfluous commas, braces, missing keys, etc."},
      {"jsonl", "integer past 2^31", "{\"id\": 1, \"vector\": {\"a\": 3000000000}}\n",
       "error: in.jsonl:1: expected an integer weight up to 2^24 for \"a\", found 3000000000"},
      {"jsonl", "beyond float32", "{\"id\": 1, \"vector\": {\"a\": 1e39}}\n",
       "error: in.jsonl:1: expected a weight within float32's range for \"a\", found 1e+39"},
      {"jsonl", "below float32 (dropped, as a zero weight)",
       "{\"id\": 1, \"vector\": {\"a\": 1e-50, \"b\": 0.5}}\n", "[float] 1: b=0.5;"},
      {"jsonl", "a string weight", "{\"id\": 1, \"vector\": {\"a\": \"1\"}}\n",
       "error: in.jsonl:1: expected a number as the weight of \"a\""},
      {"jsonl", "float weights", "{\"id\": 1, \"vector\": {\"a\": 0.25, \"b\": 2}}\n",
       "[float] 1: a=0.25 b=2;"},
      {"tsv", "queries", "q1\tcat cat dog\nq2\t##s\r\n", "[int] q1: cat=2 dog=1;q2: ##s=1;"},
      {"tsv", "a query with no tokens", "q1\t\n", "[int] q1:;"},
      {"tsv", "no tab", "q1 cat dog\n",
       "error: in.tsv:1: expected \"QID<TAB>TOKENS\", found \"q1 cat dog\""},
      {"tsv", "duplicate ids", "q1\ta\nq1\tb\n",
       "error: in.tsv:2: id \"q1\" appears twice (first on line 1)"},
      {"tsv", "empty file", "", "error: in.tsv: the file is empty"},
  };
}

TEST(SparseVectorsBadInputTest, EachRowAsDocumented) {
  for (const Row& row : Table()) {
    SCOPED_TRACE(row.extension + ": " + row.what);
    EXPECT_EQ(ReadAsText(row.extension, row.bytes), row.expected);
  }
}

TEST(SparseVectorsBadInputTest, QuantisationAsAnserini) {
  // round(weight * 100); a weight that rounds to 0 is dropped.
  EXPECT_EQ(ReadAsText("jsonl",
                       "{\"id\": 1, \"vector\": {\"a\": 0.256, \"b\": 1.5, \"c\": 0.004}}\n", 100),
            "[int] 1: a=26 b=150;");
  // A scale that rounds a whole vector away is an error, not an empty vector (an empty run).
  EXPECT_EQ(ReadAsText("jsonl", "{\"id\": 1, \"vector\": {\"a\": 0.256, \"b\": 1.5}}\n", 1e-300),
            "error: in.jsonl:1: every weight rounds to 0 at quantize_scale 1e-300 (the largest is "
            "1.5); expected a scale that keeps them (Anserini quantises SPLADE weights by 100)");
  // A vector with no terms at all stays an empty vector.
  EXPECT_EQ(ReadAsText("jsonl", "{\"id\": 1, \"vector\": {}}\n", 100), "[int] 1:;");
}

TEST(SparseVectorsBadInputTest, GzipCutShort) {
  const std::string path = TempDir() + "cut.jsonl.gz";
  std::string text;
  for (int i = 0; i < 3000; ++i)
    absl::StrAppend(&text, "{\"id\": ", i, ", \"vector\": {\"a\": 1}}\n");
  testing::WriteCutGzip(path, text);
  absl::Status status = ReadSparseVectors(path, {}).status();
  EXPECT_TRUE(
      absl::StartsWith(status.message(), path + ": the gzip stream is cut short after line "))
      << status;
}

}  // namespace
}  // namespace trawl
