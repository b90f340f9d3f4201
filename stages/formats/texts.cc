#include "stages/formats/texts.h"

#include <simdjson.h>
#include <unicode/ustring.h>
#include <unicode/utypes.h>

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "pipelines/status_util.h"
#include "stages/formats/json_records.h"
#include "stages/formats/line_reader.h"
#include "stages/formats/record_ids.h"
#include "stages/formats/trec.h"

namespace trawl {
namespace {

// Progress is reported once per this many lines.
constexpr int64_t kProgressLines = 1 << 16;

// `line` with every ill-formed UTF-8 sequence replaced by U+FFFD (ICU substitutes maximal
// subparts, as Java's decoder does); false when `line` is valid and `fixed` untouched.
bool ReplaceInvalidUtf8(absl::string_view line, std::string* fixed) {
  if (simdjson::validate_utf8(line.data(), line.size())) return false;
  std::u16string utf16(line.size(), u'\0');  // UTF-16 units never outnumber UTF-8 bytes
  int32_t length = 0;
  UErrorCode status = U_ZERO_ERROR;
  u_strFromUTF8WithSub(utf16.data(), static_cast<int32_t>(utf16.size()), &length, line.data(),
                       static_cast<int32_t>(line.size()), 0xFFFD, nullptr, &status);
  utf16.resize(U_SUCCESS(status) ? length : 0);
  fixed->assign(static_cast<size_t>(length) * 3, '\0');
  int32_t bytes = 0;
  status = U_ZERO_ERROR;
  u_strToUTF8(fixed->data(), static_cast<int32_t>(fixed->size()), &bytes, utf16.data(),
              static_cast<int32_t>(utf16.size()), &status);
  fixed->resize(U_SUCCESS(status) ? bytes : 0);
  return true;
}

// Accumulates records and checks their ids for duplicates.
class TextBuilder {
 public:
  absl::Status Add(const std::string& id, std::string text, int64_t line, absl::string_view where) {
    RETURN_IF_ERROR(ids_.Add(id, line, where));
    collection_.texts.push_back(std::move(text));
    return absl::OkStatus();
  }

  int64_t size() const { return collection_.size(); }

  TextCollection Finish(int64_t replaced_lines) && {
    collection_.ids = std::move(ids_).Build();
    collection_.replaced_lines = replaced_lines;
    return std::move(collection_);
  }

 private:
  TextCollection collection_;
  RecordIds ids_;
};

absl::Status ParseJsonLine(simdjson::dom::parser& parser, absl::string_view line,
                           const std::string& where, int64_t line_number, TextBuilder& builder) {
  ASSIGN_OR_RETURN(JsonRecord record, ParseJsonRecord(parser, line, where));
  std::string_view contents, title, text;
  simdjson::dom::element value;
  if (!record.object.at_key("contents").get(value)) {
    if (value.get(contents)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": expected \"contents\" as a string"));
    }
    return builder.Add(record.id, std::string(contents), line_number, where);
  }
  if (record.object.at_key("text").get(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected a \"contents\" or a \"text\" string, found neither"));
  }
  if (value.get(text)) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": expected \"text\" as a string"));
  }
  if (!record.object.at_key("title").get(value) && value.get(title)) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": expected \"title\" as a string"));
  }
  std::string joined = title.empty() ? std::string(text)
                                     : absl::StrCat(absl::string_view(title.data(), title.size()),
                                                    text.empty() ? "" : " ",
                                                    absl::string_view(text.data(), text.size()));
  return builder.Add(record.id, std::move(joined), line_number, where);
}

absl::Status ParseTsvLine(absl::string_view line, const std::string& where, int64_t line_number,
                          TextBuilder& builder) {
  const size_t tab = line.find('\t');
  absl::string_view id =
      tab == absl::string_view::npos ? "" : absl::StripAsciiWhitespace(line.substr(0, tab));
  if (id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": expected \"ID<TAB>TEXT\", found \"",
                                                   absl::CEscape(line.substr(0, 40)), "\""));
  }
  return builder.Add(std::string(id), std::string(absl::StripAsciiWhitespace(line.substr(tab + 1))),
                     line_number, where);
}

// TREC SGML documents, fed line by line: <DOC> opens a document (anywhere on a line), </DOC>
// closes it; text outside documents is ignored, as Anserini's TrecCollection ignores it.
class TrecDocuments {
 public:
  TrecDocuments(const std::string& source, TextBuilder& builder)
      : source_(source), builder_(builder) {}

  absl::Status Line(absl::string_view line, int64_t line_number) {
    while (!line.empty()) {
      if (!in_doc_) {
        const size_t open = line.find("<DOC>");
        if (open == absl::string_view::npos) return absl::OkStatus();
        in_doc_ = true;
        opened_on_ = line_number;
        body_.clear();
        line.remove_prefix(open + 5);
        continue;
      }
      const size_t close = line.find("</DOC>");
      const size_t reopen = line.find("<DOC>");
      if (reopen < close) {
        return absl::InvalidArgumentError(
            absl::StrCat(source_, ":", line_number, ": expected </DOC> before the next <DOC> (",
                         "the document opened on line ", opened_on_, ")"));
      }
      if (close == absl::string_view::npos) {
        absl::StrAppend(&body_, line, "\n");
        return absl::OkStatus();
      }
      absl::StrAppend(&body_, line.substr(0, close));
      RETURN_IF_ERROR(EndDocument(line_number));
      line.remove_prefix(close + 6);
    }
    return absl::OkStatus();
  }

  absl::Status Finish(int64_t last_line) const {
    if (!in_doc_) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ":", last_line, ": expected </DOC> for the document opened on line ",
                     opened_on_, ", found the end of the file"));
  }

 private:
  absl::Status EndDocument(int64_t line_number) {
    in_doc_ = false;
    const std::string where = absl::StrCat(source_, ":", line_number);
    const size_t open = body_.find("<DOCNO>");
    const size_t close = open == std::string::npos ? open : body_.find("</DOCNO>", open);
    if (close == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": expected <DOCNO>...</DOCNO> in the document opened on line ", opened_on_));
    }
    std::string id(
        absl::StripAsciiWhitespace(absl::string_view(body_).substr(open + 7, close - open - 7)));
    if (id.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": expected a non-empty <DOCNO> in the document opened on line ", opened_on_));
    }
    body_.erase(open, close + 8 - open);
    return builder_.Add(id, WithoutTags(body_), opened_on_, where);
  }

  // The text between tags, whitespace runs (tags included) collapsed to one space.
  static std::string WithoutTags(absl::string_view body) {
    std::string text;
    bool in_tag = false, space = false;
    for (char c : body) {
      if (in_tag) {
        in_tag = c != '>';
        space = true;
      } else if (c == '<') {
        in_tag = true;
      } else if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
        space = true;
      } else {
        if (space && !text.empty()) text.push_back(' ');
        space = false;
        text.push_back(c);
      }
    }
    return text;
  }

  const std::string& source_;
  TextBuilder& builder_;
  bool in_doc_ = false;
  int64_t opened_on_ = 0;
  std::string body_;
};

absl::StatusOr<TextCollection> ParseTopics(LineReader& lines, TopicField field) {
  // Topic files are small: parsed whole, by the one TREC topic parser (trec.h).
  std::string text, fixed;
  int64_t replaced_lines = 0;
  absl::string_view line;
  while (lines.Next(&line)) {
    if (ReplaceInvalidUtf8(line, &fixed)) {
      ++replaced_lines;
      line = fixed;
    }
    absl::StrAppend(&text, line, "\n");
  }
  RETURN_IF_ERROR(lines.status());
  ASSIGN_OR_RETURN(std::vector<Query> topics, ParseTrecTopics(text, lines.source()));
  TextCollection collection;
  IdTable::Builder ids;
  for (Query& topic : topics) {
    ids.Add(topic.id);
    switch (field) {
      case TopicField::kTitle:
        collection.texts.push_back(std::move(topic.title));
        break;
      case TopicField::kDescription:
        collection.texts.push_back(std::move(topic.description));
        break;
      case TopicField::kTitleAndDescription:
        collection.texts.push_back(
            absl::StrCat(topic.title, topic.description.empty() ? "" : " ", topic.description));
        break;
    }
  }
  collection.ids = std::move(ids).Build();
  collection.replaced_lines = replaced_lines;
  return collection;
}

absl::StatusOr<TextCollection> Parse(LineReader& lines, const TextReadOptions& options) {
  if (options.format == TextFormat::kTrecTopics) return ParseTopics(lines, options.topic_field);
  TextBuilder builder;
  TrecDocuments trec(lines.source(), builder);
  simdjson::dom::parser parser;
  std::string fixed;
  int64_t replaced_lines = 0;
  absl::string_view line;
  while (lines.Next(&line)) {
    if (options.progress && lines.line_number() % kProgressLines == 0) {
      options.progress(lines.bytes_read(), lines.total_bytes());
    }
    if (ReplaceInvalidUtf8(line, &fixed)) {
      ++replaced_lines;
      line = fixed;
    }
    if (options.format == TextFormat::kTrecDocuments) {
      RETURN_IF_ERROR(trec.Line(line, lines.line_number()));
      continue;
    }
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    const std::string where = absl::StrCat(lines.source(), ":", lines.line_number());
    if (options.format == TextFormat::kJsonLines) {
      RETURN_IF_ERROR(ParseJsonLine(parser, line, where, lines.line_number(), builder));
    } else {
      RETURN_IF_ERROR(ParseTsvLine(line, where, lines.line_number(), builder));
    }
  }
  RETURN_IF_ERROR(lines.status());
  RETURN_IF_ERROR(trec.Finish(lines.line_number()));
  if (builder.size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(lines.source(), options.format == TextFormat::kTrecDocuments
                                         ? ": expected <DOC> documents, found none"
                                         : ": expected records, found none"));
  }
  if (options.progress) options.progress(lines.bytes_read(), lines.total_bytes());
  return std::move(builder).Finish(replaced_lines);
}

}  // namespace

absl::StatusOr<TextFormat> TextFormatFromPath(absl::string_view path) {
  absl::string_view name = path;
  absl::ConsumeSuffix(&name, ".gz");
  if (absl::EndsWith(name, ".jsonl") || absl::EndsWith(name, ".json")) {
    return TextFormat::kJsonLines;
  }
  if (absl::EndsWith(name, ".tsv")) return TextFormat::kTsv;
  if (absl::EndsWith(name, ".trec") || absl::EndsWith(name, ".sgml")) {
    return TextFormat::kTrecDocuments;
  }
  if (absl::EndsWith(name, ".topics")) return TextFormat::kTrecTopics;
  return absl::InvalidArgumentError(absl::StrCat(
      "cannot tell the text format of '", path,
      "' from its extension (.jsonl, .json, .tsv, .trec, .sgml, .topics, and .gz forms); set "
      "format"));
}

absl::StatusOr<TextCollection> ReadTexts(absl::string_view path, const TextReadOptions& options) {
  ASSIGN_OR_RETURN(LineReader lines, LineReader::Open(path));
  return Parse(lines, options);
}

absl::StatusOr<TextCollection> ParseTexts(absl::string_view text, absl::string_view source,
                                          const TextReadOptions& options) {
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": the file is empty"));
  LineReader lines = LineReader::FromText(text, source);
  return Parse(lines, options);
}

}  // namespace trawl
