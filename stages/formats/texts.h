// Documents and topics as text, in the formats Pyserini, Anserini, BEIR and TREC ship them:
//
//   JSON lines (.jsonl, .json): one object per line, named by "id", "docid", "qid" or "_id"
//     (json_records.h). The text is "contents" (Pyserini's JsonCollection); without it, BEIR's
//     "title" and "text" joined by a space (a missing title is skipped).
//   TSV (.tsv): "ID<TAB>TEXT" per line: MS MARCO collections, and topics as Anserini ships them.
//   TREC documents (.trec, .sgml): <DOC> ... <DOCNO>id</DOCNO> ... </DOC>; the text is every other
//     field's content with the tags removed, as Anserini's TrecCollection indexes it.
//   TREC topics (.topics): <top> <num> Number: 301 <title> ... <desc> Description: ... </top>;
//     the text is the title, the description, or both (TopicField).
//
// All of them plain or gzip-compressed (".gz" after the extension). Blank lines are skipped; CRLF
// line ends and a UTF-8 byte order mark read as the plain file does. Bytes that are not UTF-8
// (legacy Latin-1 collections) are replaced by U+FFFD, as Java's UTF-8 decoder does when Anserini
// reads such a file — in ids too, so two ids differing only there become one id, reported as a
// duplicate; `replaced_lines` counts the lines where that happened. A record without text
// (an empty "contents") is kept: it is a document that matches nothing.
//
// Errors are InvalidArgument naming the file and line: a line that is not a record of the format,
// a JSON record without "contents" or "text", a <DOC> without </DOC> (naming the line it opened
// on) or without <DOCNO>, an id that appears twice, a file with no records.
#ifndef TRAWL_STAGES_FORMATS_TEXTS_H_
#define TRAWL_STAGES_FORMATS_TEXTS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pipelines/id_table.h"
#include "pipelines/slot.h"

namespace trawl {

// Documents or queries as UTF-8 text, with their ids.
struct TextCollection {
  std::vector<std::string> texts;
  IdTable ids;  // texts.size() entries
  int64_t replaced_lines = 0;

  int64_t size() const { return static_cast<int64_t>(texts.size()); }
};

template <>
struct SlotTraits<TextCollection> {
  static constexpr char kName[] = "texts";
};

enum class TextFormat { kJsonLines, kTsv, kTrecDocuments, kTrecTopics };
enum class TopicField { kTitle, kDescription, kTitleAndDescription };

// ".jsonl"/".json" -> JSON lines, ".tsv" -> TSV, ".trec"/".sgml" -> TREC documents, ".topics" ->
// TREC topics (".gz" forms too); InvalidArgument for anything else, asking for `format`.
absl::StatusOr<TextFormat> TextFormatFromPath(absl::string_view path);

struct TextReadOptions {
  TextFormat format = TextFormat::kJsonLines;
  TopicField topic_field = TopicField::kTitle;  // TREC topics only
  // Called now and then with the bytes read so far and the file's size (progress lines).
  std::function<void(int64_t bytes_read, int64_t total_bytes)> progress;
};

// A file (the path resolved as a user path); NotFound when it cannot be opened.
absl::StatusOr<TextCollection> ReadTexts(absl::string_view path, const TextReadOptions& options);
// The same on text in memory (tests, fuzzing); `source` names it in messages.
absl::StatusOr<TextCollection> ParseTexts(absl::string_view text, absl::string_view source,
                                          const TextReadOptions& options);

}  // namespace trawl

#endif  // TRAWL_STAGES_FORMATS_TEXTS_H_
