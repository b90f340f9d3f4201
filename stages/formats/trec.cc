#include "stages/formats/trec.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "pipelines/files.h"
#include "pipelines/paths.h"
#include "pipelines/status_util.h"
#include "stages/formats/record_ids.h"

namespace trawl {
namespace {

absl::Status LineError(absl::string_view source, int line, absl::string_view expected,
                       absl::string_view found) {
  return absl::InvalidArgumentError(
      absl::StrCat(source, ":", line, ": expected ", expected, ", found \"", found, "\""));
}

// Whitespace-separated fields, as C's isspace splits them (so CRLF line ends are whitespace).
std::vector<absl::string_view> Fields(absl::string_view line) {
  return absl::StrSplit(line, absl::ByAnyChar(" \t\r\v\f"), absl::SkipEmpty());
}

// A judgment as trec_eval reads it (atol): the integer a number starts with, so "1.5" is 1 and
// "1e+8" is 1. A field that does not start with a number is an error, not 0.
bool ParseRelevance(absl::string_view field, int* rel) {
  size_t digits = (!field.empty() && (field[0] == '-' || field[0] == '+')) ? 1 : 0;
  const size_t sign = digits;
  while (digits < field.size() && absl::ascii_isdigit(field[digits])) ++digits;
  if (digits == sign) return false;
  return absl::SimpleAtoi(field.substr(0, digits), rel);
}

// Qrels and run files are parsed whole; the bound only keeps a mistaken path (a disk image) from
// exhausting memory before the parser would reject it.
constexpr int64_t kMaxTrecFileBytes = int64_t{16} << 30;

absl::StatusOr<std::string> ReadFile(absl::string_view path) {
  return ReadWholeFile(ResolveUserPath(path), kMaxTrecFileBytes);
}

// Text editors on Windows start UTF-8 files with a byte order mark; it is not part of the data.
absl::string_view WithoutBom(absl::string_view text) {
  absl::ConsumePrefix(&text, "\xEF\xBB\xBF");
  return text;
}

// Query ids already seen, for "query id X appears twice" errors.
class UniqueIds {
 public:
  absl::Status Add(const std::string& id, absl::string_view source, int line) {
    auto [it, inserted] = lines_.emplace(id, line);
    if (inserted) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        source, ":", line, ": query id ", id, " appears twice (first at line ", it->second, ")"));
  }

 private:
  absl::flat_hash_map<std::string, int> lines_;
};

// Which lines are comments: trec_eval 10 skips qrels lines whose first byte is '#', and run
// lines whose first non-blank character is '#'. A '#' elsewhere is part of a field
// ("CR#93E-1860" is a document id).
enum class Comments { kNone, kFirstByte, kAfterBlanks };

// Calls `parse(line, line_number)` for every line that is neither blank nor a comment (numbered
// from 1, counting every line) until it fails. An empty file, or one with comments only, is an
// error naming `source`: there is nothing to evaluate.
template <typename ParseLine>
absl::Status ForEachLine(absl::string_view text, absl::string_view source, Comments comments,
                         absl::string_view what, ParseLine parse) {
  int line_number = 0;
  int data_lines = 0;
  for (absl::string_view line : absl::StrSplit(WithoutBom(text), '\n')) {
    ++line_number;
    const absl::string_view content = absl::StripAsciiWhitespace(line);
    if (content.empty()) continue;
    if (comments == Comments::kFirstByte && absl::StartsWith(line, "#")) continue;
    if (comments == Comments::kAfterBlanks && absl::StartsWith(content, "#")) continue;
    ++data_lines;
    absl::Status status = parse(line, line_number);
    if (!status.ok()) return status;
  }
  if (data_lines == 0) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": no ", what, " lines (empty file)"));
  }
  return absl::OkStatus();
}

// Checks a run for documents retrieved twice by one query.
absl::Status CheckNoDuplicates(const TrecRun& run, absl::string_view source) {
  for (const auto& [qid, docs] : run.by_query) {
    absl::flat_hash_set<std::string> seen;
    for (const RunDoc& doc : docs) {
      if (!seen.insert(doc.docno).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": query ", qid, " retrieves document ", doc.docno, " twice"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Qrels> ParseQrels(absl::string_view text, absl::string_view source) {
  Qrels qrels;
  absl::Status status = ForEachLine(
      text, source, Comments::kFirstByte, "qrels", [&](absl::string_view line, int line_number) {
        std::vector<absl::string_view> f = Fields(line);
        int rel = 0;
        if (f.size() != 4 || !ParseRelevance(f[3], &rel)) {
          return LineError(source, line_number, "\"QID ITER DOCNO REL\" with an integer REL",
                           absl::StripTrailingAsciiWhitespace(line));
        }
        if (!qrels.by_query[std::string(f[0])].emplace(std::string(f[2]), rel).second) {
          return absl::InvalidArgumentError(absl::StrCat(
              source, ":", line_number, ": document ", f[2], " is judged twice for query ", f[0]));
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return qrels;
}

absl::StatusOr<TrecRun> ParseTrecRun(absl::string_view text, absl::string_view source) {
  TrecRun run;
  absl::Status status = ForEachLine(
      text, source, Comments::kAfterBlanks, "run", [&](absl::string_view line, int line_number) {
        // trec_eval ignores the rank column and anything after the tag.
        std::vector<absl::string_view> f = Fields(line);
        double score = 0;
        if (f.size() < 6 || !absl::SimpleAtod(f[4], &score)) {
          return LineError(
              source, line_number,
              "at least 6 columns \"QID Q0 DOCNO RANK SCORE TAG\" with a numeric SCORE",
              absl::StripTrailingAsciiWhitespace(line));
        }
        if (!std::isfinite(score)) {
          // trec_eval would rank by it anyway, and the ranking would depend on the line order.
          return LineError(source, line_number, "a finite SCORE", f[4]);
        }
        run.tag = std::string(f[5]);  // trec_eval keeps the last line's
        run.by_query[std::string(f[0])].push_back(RunDoc{std::string(f[2]), score});
        return absl::OkStatus();
      });
  if (status.ok()) status = CheckNoDuplicates(run, source);
  if (!status.ok()) return status;
  return run;
}

absl::StatusOr<TrecRun> ParseMsMarcoRun(absl::string_view text, absl::string_view source) {
  TrecRun run;
  absl::Status status = ForEachLine(
      text, source, Comments::kNone, "run", [&](absl::string_view line, int line_number) {
        std::vector<absl::string_view> f =
            absl::StrSplit(absl::StripTrailingAsciiWhitespace(line), '\t');
        long long rank = 0;
        if (f.size() != 3 || !absl::SimpleAtoi(f[2], &rank)) {
          return LineError(source, line_number, "\"QID<TAB>DOCNO<TAB>RANK\" with an integer RANK",
                           line);
        }
        run.by_query[std::string(f[0])].push_back(
            RunDoc{std::string(f[1]), -static_cast<double>(rank)});
        return absl::OkStatus();
      });
  if (status.ok()) status = CheckNoDuplicates(run, source);
  if (!status.ok()) return status;
  return run;
}

absl::StatusOr<std::vector<Query>> ParseTrecTopics(absl::string_view text,
                                                   absl::string_view source) {
  std::vector<Query> topics;
  UniqueIds ids;
  Query current;
  // The field free-text lines continue: the title or the description.
  std::string* field = nullptr;
  bool in_top = false;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(WithoutBom(text), '\n')) {
    ++line_number;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (absl::StartsWith(line, "<top>")) {
      if (in_top) return LineError(source, line_number, "</top> before the next <top>", line);
      in_top = true;
      current = Query();
      continue;
    }
    if (!in_top) continue;
    if (absl::StartsWith(line, "<num>")) {
      absl::string_view num = absl::StripAsciiWhitespace(line.substr(5));
      absl::ConsumePrefix(&num, "Number:");
      current.id = std::string(absl::StripAsciiWhitespace(num));
      if (!IsRunFileId(current.id)) {
        return BadRunFileIdError(current.id, absl::StrCat(source, ":", line_number));
      }
      field = nullptr;
    } else if (absl::StartsWith(line, "<title>")) {
      absl::string_view title = absl::StripAsciiWhitespace(line.substr(7));
      absl::ConsumePrefix(&title, "Topic:");
      current.title = std::string(absl::StripAsciiWhitespace(title));
      field = &current.title;
    } else if (absl::StartsWith(line, "<desc>")) {
      absl::string_view description = absl::StripAsciiWhitespace(line.substr(6));
      absl::ConsumePrefix(&description, "Description:");
      current.description = std::string(absl::StripAsciiWhitespace(description));
      field = &current.description;
    } else if (absl::StartsWith(line, "</top>")) {
      if (current.id.empty()) return LineError(source, line_number, "a <num> in every topic", line);
      RETURN_IF_ERROR(ids.Add(current.id, source, line_number));
      topics.push_back(current);
      in_top = false;
      field = nullptr;
    } else if (absl::StartsWith(line, "<")) {
      field = nullptr;  // <narr> and other fields are not read
    } else if (field != nullptr && !line.empty()) {
      absl::StrAppend(field, field->empty() ? "" : " ", line);
    }
  }
  if (in_top) return LineError(source, line_number, "</top> at the end of the file", "end of file");
  if (topics.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": no <top> topics (empty file)"));
  }
  return topics;
}

absl::StatusOr<Qrels> ReadQrels(absl::string_view path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseQrels(*text, ResolveUserPath(path));
}

absl::StatusOr<TrecRun> ReadTrecRun(absl::string_view path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseTrecRun(*text, ResolveUserPath(path));
}

namespace {

// Each query's documents best first (stable for equal scores), with their 1-based rank.
template <typename WriteLine>
std::string FormatRanked(const TrecRun& run, WriteLine write_line) {
  std::string out;
  for (const auto& [qid, docs] : run.by_query) {
    std::vector<RunDoc> sorted = docs;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const RunDoc& a, const RunDoc& b) { return a.score > b.score; });
    for (size_t i = 0; i < sorted.size(); ++i) write_line(out, qid, sorted[i], i + 1);
  }
  return out;
}

}  // namespace

void AppendTrecRunLine(std::string& out, absl::string_view qid, absl::string_view docno,
                       int64_t rank, double score, absl::string_view tag) {
  absl::StrAppendFormat(&out, "%s Q0 %s %d %.6f %s\n", qid, docno, rank, score, tag);
}

void AppendMsMarcoRunLine(std::string& out, absl::string_view qid, absl::string_view docno,
                          int64_t rank) {
  absl::StrAppendFormat(&out, "%s\t%s\t%d\n", qid, docno, rank);
}

std::string FormatTrecRun(const TrecRun& run, absl::string_view tag) {
  return FormatRanked(
      run, [&](std::string& out, const std::string& qid, const RunDoc& doc, size_t rank) {
        AppendTrecRunLine(out, qid, doc.docno, static_cast<int64_t>(rank), doc.score, tag);
      });
}

std::string FormatMsMarcoRun(const TrecRun& run) {
  return FormatRanked(run,
                      [](std::string& out, const std::string& qid, const RunDoc& doc, size_t rank) {
                        AppendMsMarcoRunLine(out, qid, doc.docno, static_cast<int64_t>(rank));
                      });
}

}  // namespace trawl
