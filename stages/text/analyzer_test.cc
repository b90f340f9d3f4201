#include "stages/text/analyzer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trawl {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Analyze(const std::string& text, const text::AnalyzerOptions& options) {
  absl::StatusOr<TextAnalyzer> analyzer = TextAnalyzer::Create(options);
  EXPECT_TRUE(analyzer.ok()) << analyzer.status();
  std::vector<std::string> terms;
  analyzer->Analyze(text, &terms);
  return terms;
}

// The tokenizer, possessive filter and lower-casing only: stop words kept, no stemming.
std::vector<std::string> Tokens(const std::string& text) {
  text::AnalyzerOptions options;
  options.set_keep_stopwords(true);
  options.set_stemmer(text::AnalyzerOptions::NONE);
  return Analyze(text, options);
}

// Anserini's default chain.
std::vector<std::string> Terms(const std::string& text) { return Analyze(text, {}); }

// Expected tokens follow UAX #29 (Lucene's StandardTokenizer grammar) rule by rule.
TEST(AnalyzerTest, WordBoundaries) {
  // WB6/7: letters joined across one '.', ':' or '\'' (MidLetter/MidNumLet); a trailing '.' or
  // a '.' before another punctuation mark is not part of the word.
  EXPECT_THAT(Tokens("U.S.A. example.com wasn't"), ElementsAre("u.s.a", "example.com", "wasn't"));
  // WB11/12: digits joined across one ',' or '.'; WB9/10: letters and digits join.
  EXPECT_THAT(Tokens("1,000.50 3.14-inch 2nd B52"),
              ElementsAre("1,000.50", "3.14", "inch", "2nd", "b52"));
  // Hyphens, slashes and '@' break; underscores (ExtendNumLet) join.
  EXPECT_THAT(
      Tokens("state-of-the-art http://x.org/a_b?q=1 me@mail.com"),
      ElementsAre("state", "of", "the", "art", "http", "x.org", "a_b", "q", "1", "me", "mail.com"));
}

TEST(AnalyzerTest, Possessives) {
  // 's, ’s and ＇s with s or S are removed; a bare trailing apostrophe never reaches the filter
  // (the tokenizer ends the word before it).
  EXPECT_THAT(Tokens("John's dog\u2019s DOG'S dogs' it\uFF07s"),
              ElementsAre("john", "dog", "dog", "dogs", "it"));
}

TEST(AnalyzerTest, AccentedAndNonLatinLetters) {
  EXPECT_THAT(Tokens("Café NAÏVE Résumé Москва Ωμέγα"),
              ElementsAre("café", "naïve", "résumé", "москва", "ωμέγα"));
  // Each Han ideograph and each Hiragana character is a token; a Katakana run (with its
  // prolonged sound mark) and a Thai run stay whole.
  EXPECT_THAT(Tokens("東京 タワー ひらがな ภาษาไทย"),
              ElementsAre("東", "京", "タワー", "ひ", "ら", "が", "な", "ภาษาไทย"));
}

TEST(AnalyzerTest, MarksStayWithTheirCharacter) {
  // A combining voiced sound mark (U+3099, Word_Break Extend) stays with its Hiragana; a
  // combining acute with its Latin letter.
  EXPECT_THAT(Tokens("\u304B\u3099\u304D cafe\u0301"),
              ElementsAre("\u304B\u3099", "\u304D", "cafe\u0301"));
  // A 255-unit cut never splits a surrogate pair: 254 letters then U+1D400 (two units).
  const std::string math_a = "\xF0\x9D\x90\x80";
  EXPECT_THAT(Tokens(std::string(254, 'x') + math_a + "y"),
              ElementsAre(std::string(254, 'x'), math_a + "y"));
}

TEST(AnalyzerTest, EmptyAndPunctuationOnly) {
  EXPECT_THAT(Terms(""), IsEmpty());
  EXPECT_THAT(Terms("  \t\n -- !!! ... "), IsEmpty());
  EXPECT_THAT(Terms("the of and a"), IsEmpty());  // stop words only
}

TEST(AnalyzerTest, LongTokensAreCutAt255) {
  const std::string long_word(300, 'x');
  EXPECT_THAT(Tokens(long_word), ElementsAre(std::string(255, 'x'), std::string(45, 'x')));
}

TEST(AnalyzerTest, InvalidUtf8ReadsAsReplacementCharacter) {
  // U+FFFD is not a letter: the byte ends the word.
  EXPECT_THAT(Tokens("caf\xe9 au"), ElementsAre("caf", "au"));
}

TEST(AnalyzerTest, AnseriniDefaultChain) {
  // Stop words after lower-casing ("The", "IS"), then Porter stems.
  EXPECT_THAT(Terms("The cat IS running; runs easily to the relational databases"),
              ElementsAre("cat", "run", "run", "easili", "relat", "databas"));
  EXPECT_THAT(Terms("John's 3.14-inch e-mail, from http://example.com"),
              ElementsAre("john", "3.14", "inch", "e", "mail", "from", "http", "example.com"));
}

TEST(AnalyzerTest, OwnStopWordsAndCopies) {
  text::AnalyzerOptions options;
  options.add_stopwords("cat");
  absl::StatusOr<TextAnalyzer> analyzer = TextAnalyzer::Create(options);
  ASSERT_TRUE(analyzer.ok());
  TextAnalyzer copy = *analyzer;  // an independent break iterator
  std::vector<std::string> a, b;
  analyzer->Analyze("the cat sat", &a);
  copy.Analyze("the cat sat", &b);
  EXPECT_THAT(a, ElementsAre("the", "sat"));
  EXPECT_EQ(a, b);
  EXPECT_EQ(TextAnalyzer::EnglishStopWords().size(), 33);
}

}  // namespace
}  // namespace trawl
