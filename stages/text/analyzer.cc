#include "stages/text/analyzer.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/rbbi.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "stages/text/porter_stemmer.h"

namespace trawl {
namespace {

// Lucene's StandardAnalyzer.DEFAULT_MAX_TOKEN_LENGTH, in UTF-16 units.
constexpr int32_t kMaxTokenLength = 255;

// How StandardTokenizer's grammar emits a character's run.
enum class Run {
  kWord,       // letters and digits: one token per UAX #29 word
  kSingle,     // Han ideographs and Hiragana: one token per character
  kJoined,     // Katakana and Southeast Asian scripts: one token per run
  kSeparator,  // not part of any token
};

Run RunOf(UChar32 c) {
  // ICU's rules keep e-mail addresses whole; UAX #29 and Lucene break at '@' (Word_Break=Other).
  if (c == '@') return Run::kSeparator;
  if (u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC)) return Run::kSingle;
  const UScriptCode script = static_cast<UScriptCode>(u_getIntPropertyValue(c, UCHAR_SCRIPT));
  if (script == USCRIPT_HAN || script == USCRIPT_HIRAGANA) return Run::kSingle;
  // Word_Break=Katakana also covers the prolonged sound mark (U+30FC), whose script is Common.
  if (u_getIntPropertyValue(c, UCHAR_WORD_BREAK) == U_WB_KATAKANA) return Run::kJoined;
  if (u_getIntPropertyValue(c, UCHAR_LINE_BREAK) == U_LB_COMPLEX_CONTEXT) return Run::kJoined;
  return Run::kWord;
}

// Combining marks, format characters and joiners (UAX #29 Extend, Format, ZWJ) belong to the
// character before them (WB4): "か" + U+3099 is one Hiragana token.
bool Attaches(UChar32 c) {
  const int wb = u_getIntPropertyValue(c, UCHAR_WORD_BREAK);
  return wb == U_WB_EXTEND || wb == U_WB_FORMAT || wb == U_WB_ZWJ;
}

bool IsApostrophe(char16_t c) { return c == u'\'' || c == u'\u2019' || c == u'\uFF07'; }

}  // namespace

const std::vector<std::string>& TextAnalyzer::EnglishStopWords() {
  static const auto* words = new std::vector<std::string>{
      "a",   "an",    "and",  "are",   "as",    "at",   "be",   "but", "by",  "for",  "if",
      "in",  "into",  "is",   "it",    "no",    "not",  "of",   "on",  "or",  "such", "that",
      "the", "their", "then", "there", "these", "they", "this", "to",  "was", "will", "with"};
  return *words;
}

absl::StatusOr<TextAnalyzer> TextAnalyzer::Create(const text::AnalyzerOptions& options) {
  if (options.keep_stopwords() && !options.stopwords().empty()) {
    return absl::InvalidArgumentError(
        "stopwords and keep_stopwords contradict each other; set one");
  }
  UErrorCode status = U_ZERO_ERROR;
  TextAnalyzer analyzer;
  analyzer.words_.reset(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
  if (U_FAILURE(status) || analyzer.words_ == nullptr) {
    return absl::InternalError(
        absl::StrCat("ICU cannot create a word break iterator: ", u_errorName(status)));
  }
  if (!options.keep_stopwords()) {
    if (options.stopwords().empty()) {
      analyzer.stopwords_.insert(EnglishStopWords().begin(), EnglishStopWords().end());
    } else {
      analyzer.stopwords_.insert(options.stopwords().begin(), options.stopwords().end());
    }
  }
  analyzer.stem_ = options.stemmer() == text::AnalyzerOptions::PORTER;
  return analyzer;
}

TextAnalyzer::TextAnalyzer(const TextAnalyzer& other)
    : words_(other.words_->clone()), stopwords_(other.stopwords_), stem_(other.stem_) {}
TextAnalyzer::TextAnalyzer(TextAnalyzer&&) noexcept = default;
TextAnalyzer::~TextAnalyzer() = default;

void TextAnalyzer::Analyze(absl::string_view text, std::vector<std::string>* terms) {
  const icu::UnicodeString unicode = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  // The tokenizer's output before the filters: [start, end) ranges of `unicode`.
  std::vector<std::pair<int32_t, int32_t>> tokens;
  bool last_joined = false;  // the last token is a Katakana or Southeast Asian run
  words_->setText(unicode);
  for (int32_t start = words_->first(), end = words_->next(); end != icu::BreakIterator::DONE;
       start = end, end = words_->next()) {
    if (words_->getRuleStatus() < UBRK_WORD_NONE_LIMIT) {  // spaces, punctuation
      last_joined = false;
      continue;
    }
    // Split the word where the run kind changes; single characters each on their own.
    int32_t piece = start;
    while (piece < end) {
      const Run run = RunOf(unicode.char32At(piece));
      int32_t next = unicode.moveIndex32(piece, 1);
      while (next < end && (Attaches(unicode.char32At(next)) ||
                            (run != Run::kSingle && RunOf(unicode.char32At(next)) == run))) {
        next = unicode.moveIndex32(next, 1);
      }
      if (run == Run::kSeparator) {
        last_joined = false;
        piece = next;
        continue;
      }
      // ICU's dictionaries cut Katakana and Thai runs into words; Lucene keeps the run whole.
      if (run == Run::kJoined && last_joined && !tokens.empty() && tokens.back().second == piece) {
        tokens.back().second = next;
      } else {
        tokens.emplace_back(piece, next);
      }
      last_joined = run == Run::kJoined;
      piece = next;
    }
  }

  std::string term;
  for (auto [start, end] : tokens) {
    for (int32_t chunk = start, chunk_end; chunk < end; chunk = chunk_end) {
      chunk_end = std::min(end, chunk + kMaxTokenLength);
      // Never between the two halves of a surrogate pair.
      if (chunk_end < end && U16_IS_LEAD(unicode.charAt(chunk_end - 1))) --chunk_end;
      int32_t term_end = chunk_end;
      // EnglishPossessiveFilter, before lower-casing (so 'S counts too).
      if (term_end - chunk >= 2 && IsApostrophe(unicode.charAt(term_end - 2)) &&
          (unicode.charAt(term_end - 1) == u's' || unicode.charAt(term_end - 1) == u'S')) {
        term_end -= 2;
      }
      // LowerCaseFilter: code point by code point, simple case mapping.
      icu::UnicodeString lower;
      for (int32_t i = chunk; i < term_end; i = unicode.moveIndex32(i, 1)) {
        lower.append(u_tolower(unicode.char32At(i)));
      }
      if (lower.isEmpty()) continue;
      term.clear();
      lower.toUTF8String(term);
      if (stopwords_.contains(term)) continue;
      terms->push_back(stem_ ? PorterStem(term) : term);
    }
  }
}

}  // namespace trawl
