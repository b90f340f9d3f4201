// TextAnalyzer: text to index terms the way Anserini's default English analyzer
// (DefaultEnglishAnalyzer with the Porter stemmer) makes them, so that BM25 over these terms
// scores as Anserini's does:
//
//   1. Lucene's StandardTokenizer: Unicode word boundaries (UAX #29, from ICU's word break
//      iterator); only words with letters, digits or ideographs become tokens; each Han ideograph
//      and each Hiragana character is a token of its own, while runs of Katakana and of Southeast
//      Asian scripts (Thai, Lao, Khmer, Myanmar) stay one token, as Lucene emits them; tokens are
//      cut into pieces of at most 255 UTF-16 units (Lucene's default maximum).
//   2. EnglishPossessiveFilter: a trailing 's, ’s or ＇s (s or S) is removed.
//   3. LowerCaseFilter: each code point's simple lower-case mapping (Java's Character.toLowerCase).
//   4. StopFilter: Lucene's 33 English stop words (EnglishAnalyzer.ENGLISH_STOP_WORDS_SET), or the
//      options' own list, or none.
//   5. PorterStemFilter: Lucene's Porter stemmer (porter_stemmer.h), or none.
//
// So "John's 3.14-inch e-mail, from http://example.com" gives
// [john, 3.14, inch, e, mail, from, http, example.com].
//
// Where ICU and Lucene's JFlex grammar differ: ICU's dictionaries split runs of Thai or Katakana
// into words, which are joined back here; ICU keeps "me@mail.com" one word, which is split at the
// '@' here as UAX #29 and Lucene split it; emoji, which Lucene 8+ emits as tokens, are dropped;
// both follow their own Unicode versions (ICU 72: Unicode 15).
//
// A TextAnalyzer is not thread-safe (ICU's break iterator keeps state); copies are independent,
// so give each thread its own copy.
#ifndef TRAWL_STAGES_TEXT_ANALYZER_H_
#define TRAWL_STAGES_TEXT_ANALYZER_H_

#include <unicode/brkiter.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "stages/text/analyzer.pb.h"

namespace trawl {

class TextAnalyzer {
 public:
  // InvalidArgument for stopwords with keep_stopwords; Internal when ICU cannot create its word
  // break iterator (missing ICU data).
  static absl::StatusOr<TextAnalyzer> Create(const text::AnalyzerOptions& options);

  TextAnalyzer(const TextAnalyzer& other);
  TextAnalyzer& operator=(const TextAnalyzer& other) = delete;
  TextAnalyzer(TextAnalyzer&&) noexcept;
  ~TextAnalyzer();

  // The terms of `text` (UTF-8; invalid bytes read as U+FFFD), in order, appended to `terms`.
  void Analyze(absl::string_view text, std::vector<std::string>* terms);

  // Lucene's English stop words.
  static const std::vector<std::string>& EnglishStopWords();

 private:
  TextAnalyzer() = default;

  std::unique_ptr<icu::BreakIterator> words_;
  absl::flat_hash_set<std::string> stopwords_;
  bool stem_ = true;
};

}  // namespace trawl

#endif  // TRAWL_STAGES_TEXT_ANALYZER_H_
