#include "stages/text/porter_stemmer.h"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace trawl {
namespace {

// One rule of a step: a suffix and what replaces it.
struct SuffixRule {
  absl::string_view suffix;
  absl::string_view replacement;
};

// Paper step 2 (Lucene's step3). Lucene picks a group by the next-to-last letter and then takes the
// first suffix of the group that matches; every suffix of a group has that group's next-to-last
// letter, so one list tried in order (keeping each group's order) selects the same rule. The rule
// selected ends the step whether or not its measure condition holds (Lucene's `break` after r()).
constexpr SuffixRule kStep2Rules[] = {
    // 'a'
    {"ational", "ate"},
    {"tional", "tion"},
    // 'c'
    {"enci", "ence"},
    {"anci", "ance"},
    // 'e'
    {"izer", "ize"},
    // 'l': "bli" -> "ble" is Porter's C version (the paper has "abli" -> "able").
    {"bli", "ble"},
    {"alli", "al"},
    {"entli", "ent"},
    {"eli", "e"},
    {"ousli", "ous"},
    // 'o'
    {"ization", "ize"},
    {"ation", "ate"},
    {"ator", "ate"},
    // 's'
    {"alism", "al"},
    {"iveness", "ive"},
    {"fulness", "ful"},
    {"ousness", "ous"},
    // 't'
    {"aliti", "al"},
    {"iviti", "ive"},
    {"biliti", "ble"},
    // 'g': not in the paper; added in Porter's C version.
    {"logi", "log"},
};

// Paper step 3 (Lucene's step4); Lucene groups by the last letter, same argument as above.
constexpr SuffixRule kStep3Rules[] = {
    {"icate", "ic"}, {"ative", ""}, {"alize", "al"},  // 'e'
    {"iciti", "ic"},                                  // 'i'
    {"ical", "ic"},  {"ful", ""},                     // 'l'
    {"ness", ""},                                     // 's'
};

// Paper step 4 (Lucene's step5): suffixes removed when m > 1, grouped by next-to-last letter in
// Lucene; longer suffixes come before the shorter ones they end with ("ement", "ment", "ent").
constexpr absl::string_view kStep4Suffixes[] = {
    "al",  "ance", "ence", "er",  "ic",  "able", "ible", "ant", "ement", "ment",
    "ent", "ion",  "ou",   "ism", "ate", "iti",  "ous",  "ive", "ize",
};

// The stemmer's working state for one word, held as a string of code units: bytes for an ASCII
// word (std::string), or UTF-16 code units in a std::u32string for any other word (see
// DecodeUtf16Units). The algorithm only looks at ASCII units, so both run the same code.
//
// Lucene keeps the word in a buffer with an end index k; here the string's size is k + 1, and
// `stem_end_` is Lucene's j (the last index before the suffix that Ends() matched).
template <typename String>
class Stemmer {
 public:
  using Unit = typename String::value_type;

  explicit Stemmer(String word) : b_(std::move(word)) { UpdateConsonants(0); }

  String Stem() && {
    // Lucene: `if (k > k0 + 1)`, i.e. words of one or two units are not stemmed.
    if (b_.size() > 2) {
      Step1ab();
      Step1c();
      ApplyFirstMatch(kStep2Rules);
      ApplyFirstMatch(kStep3Rules);
      Step4();
      Step5();
    }
    return std::move(b_);
  }

 private:
  static constexpr bool IsVowelLetter(Unit c) {
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
  }

  int last() const { return static_cast<int>(b_.size()) - 1; }

  // Lucene's cons(i): a, e, i, o, u are vowels; y is a consonant at the start of the word or after
  // a vowel and a vowel after a consonant; everything else (any other unit, ASCII or not) is a
  // consonant. Cached per position: a position's answer depends only on the units up to it.
  bool IsConsonant(int i) const { return consonant_[i] != 0; }

  // Recomputes the consonant flags from position `from` on, after the word changed there.
  void UpdateConsonants(size_t from) {
    consonant_.resize(b_.size());
    for (size_t p = from; p < b_.size(); ++p) {
      if (b_[p] == 'y') {
        consonant_[p] = (p == 0 || !consonant_[p - 1]) ? 1 : 0;
      } else {
        consonant_[p] = IsVowelLetter(b_[p]) ? 0 : 1;
      }
    }
  }

  // Lucene's m() over b_[0..end]: the number of vowel-consonant sequences, n in [C](VC)^n[V].
  int Measure(int end) const {
    int i = 0;
    while (i <= end && IsConsonant(i)) ++i;
    int n = 0;
    while (true) {
      while (i <= end && !IsConsonant(i)) ++i;
      if (i > end) return n;
      ++n;
      while (i <= end && IsConsonant(i)) ++i;
      if (i > end) return n;
    }
  }

  // Lucene's vowelinstem(): b_[0..end] holds a vowel.
  bool HasVowel(int end) const {
    for (int i = 0; i <= end; ++i) {
      if (!IsConsonant(i)) return true;
    }
    return false;
  }

  // Lucene's doublec(i): b_[i - 1] and b_[i] are the same consonant.
  bool DoubleConsonant(int i) const { return i >= 1 && b_[i] == b_[i - 1] && IsConsonant(i); }

  // Lucene's cvc(i): b_[i - 2..i] is consonant-vowel-consonant and b_[i] is not w, x or y.
  bool Cvc(int i) const {
    if (i < 2 || !IsConsonant(i) || IsConsonant(i - 1) || !IsConsonant(i - 2)) return false;
    return b_[i] != 'w' && b_[i] != 'x' && b_[i] != 'y';
  }

  // Lucene's ends(s): whether the word ends with `suffix`; if so, stem_end_ becomes the index
  // before it (-1 when the suffix is the whole word). On no match stem_end_ keeps its value.
  bool Ends(absl::string_view suffix) {
    const int start = static_cast<int>(b_.size()) - static_cast<int>(suffix.size());
    if (start < 0) return false;
    for (size_t i = 0; i < suffix.size(); ++i) {
      if (b_[start + i] != static_cast<Unit>(suffix[i])) return false;
    }
    stem_end_ = start - 1;
    return true;
  }

  // Cuts the word to its first `size` units.
  void Truncate(int size) {
    b_.resize(size);
    consonant_.resize(size);
  }

  // Lucene's setto(s): the word becomes b_[0..stem_end_] followed by `replacement`.
  void SetTo(absl::string_view replacement) {
    Truncate(stem_end_ + 1);
    for (char c : replacement) b_.push_back(static_cast<Unit>(c));
    UpdateConsonants(stem_end_ + 1);
  }

  // Paper steps 1a and 1b (Lucene's step1): plurals, then -eed, -ed, -ing.
  void Step1ab() {
    if (b_.back() == 's') {
      if (Ends("sses")) {
        Truncate(last() - 1);  // sses -> ss
      } else if (Ends("ies")) {
        SetTo("i");
      } else if (b_[last() - 1] != 's') {
        Truncate(last());  // s -> (nothing); ss stays
      }
    }
    if (Ends("eed")) {
      if (Measure(stem_end_) > 0) Truncate(last());  // (m > 0) eed -> ee
    } else if ((Ends("ed") || Ends("ing")) && HasVowel(stem_end_)) {
      Truncate(stem_end_ + 1);
      // stem_end_ now is last(); Ends() below moves it only on a match.
      if (Ends("at")) {
        SetTo("ate");
      } else if (Ends("bl")) {
        SetTo("ble");
      } else if (Ends("iz")) {
        SetTo("ize");
      } else if (DoubleConsonant(last())) {
        const Unit c = b_.back();
        if (c != 'l' && c != 's' && c != 'z') Truncate(last());
      } else if (Measure(last()) == 1 && Cvc(last())) {
        SetTo("e");  // stem_end_ == last(): appends "e".
      }
    }
  }

  // Paper step 1c (Lucene's step2): (*v*) y -> i.
  void Step1c() {
    if (Ends("y") && HasVowel(stem_end_)) {
      b_.back() = static_cast<Unit>('i');
      UpdateConsonants(last());
    }
  }

  // Paper steps 2 and 3: the first rule whose suffix matches is the only one considered; its
  // replacement is made when m > 0 for the stem before the suffix (Lucene's r()).
  template <size_t N>
  void ApplyFirstMatch(const SuffixRule (&rules)[N]) {
    for (const SuffixRule& rule : rules) {
      if (Ends(rule.suffix)) {
        if (Measure(stem_end_) > 0) SetTo(rule.replacement);
        return;
      }
    }
  }

  // Paper step 4 (Lucene's step5): the first matching suffix is removed when m > 1; "ion" only
  // after s or t (Lucene checks j >= 0 first, so a bare "ion" is left alone).
  void Step4() {
    for (absl::string_view suffix : kStep4Suffixes) {
      if (!Ends(suffix)) continue;
      if (suffix == "ion" && (stem_end_ < 0 || (b_[stem_end_] != 's' && b_[stem_end_] != 't'))) {
        return;  // No other suffix of the list ends in "n" after an "o".
      }
      if (Measure(stem_end_) > 1) Truncate(stem_end_ + 1);
      return;
    }
  }

  // Paper steps 5a and 5b (Lucene's step6): (m > 1) e -> , (m = 1 and not *o) e -> , then
  // (m > 1 and *d and *L) -> single letter. Lucene measures both conditions up to the original end
  // (its j = k before the e goes); a trailing vowel does not change m, so that is the paper's m.
  void Step5() {
    const int end = last();
    if (b_[end] == 'e') {
      const int m = Measure(end);
      if (m > 1 || (m == 1 && !Cvc(end - 1))) Truncate(end);
    }
    if (b_.back() == 'l' && DoubleConsonant(last()) && Measure(end) > 1) Truncate(last());
  }

  String b_;
  std::vector<char> consonant_;  // consonant_[i]: IsConsonant(i), for i < b_.size().
  int stem_end_ = -1;
};

// Units that stand for bytes that are not valid UTF-8: kInvalidByte + the byte. They lie above
// every UTF-16 code unit, so they never equal a real character and always count as consonants.
constexpr char32_t kInvalidByte = 0x10000;

bool IsContinuation(unsigned char c) { return c >= 0x80 && c <= 0xBF; }

// The length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF) starting at word[p], or 0 if there is none.
int SequenceLength(absl::string_view word, size_t p) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(word[i]); };
  const unsigned char c = byte(p);
  if (c < 0x80) return 1;
  int length;
  unsigned char second_min = 0x80, second_max = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    if (c == 0xE0) second_min = 0xA0;  // Overlong below U+0800.
    if (c == 0xED) second_max = 0x9F;  // Surrogates U+D800..U+DFFF.
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    if (c == 0xF0) second_min = 0x90;  // Overlong below U+10000.
    if (c == 0xF4) second_max = 0x8F;  // Above U+10FFFF.
  } else {
    return 0;
  }
  if (p + length > word.size()) return 0;
  if (byte(p + 1) < second_min || byte(p + 1) > second_max) return 0;
  for (int i = 2; i < length; ++i) {
    if (!IsContinuation(byte(p + i))) return 0;
  }
  return length;
}

// `word` as the UTF-16 code units a Java String of it holds (a character above U+FFFF becomes a
// surrogate pair, two units, as in Lucene's char[]); each byte that is not part of a well-formed
// sequence becomes one unit kInvalidByte + byte.
std::u32string DecodeUtf16Units(absl::string_view word) {
  std::u32string units;
  units.reserve(word.size());
  size_t p = 0;
  while (p < word.size()) {
    const int length = SequenceLength(word, p);
    if (length == 0) {
      units.push_back(kInvalidByte + static_cast<unsigned char>(word[p]));
      ++p;
      continue;
    }
    char32_t code_point = static_cast<unsigned char>(word[p]);
    if (length > 1) code_point &= (0x7F >> length);  // The lead byte's payload bits.
    for (int i = 1; i < length; ++i) {
      code_point = (code_point << 6) | (static_cast<unsigned char>(word[p + i]) & 0x3F);
    }
    if (code_point >= 0x10000) {
      code_point -= 0x10000;
      units.push_back(0xD800 + (code_point >> 10));
      units.push_back(0xDC00 + (code_point & 0x3FF));
    } else {
      units.push_back(code_point);
    }
    p += length;
  }
  return units;
}

void AppendUtf8(char32_t code_point, std::string& out) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

// The inverse of DecodeUtf16Units. The stemmer never splits a surrogate pair (it only cuts before
// ASCII units or removes one of two equal units, and the two halves of a pair differ), so every
// high surrogate is still followed by its low one.
std::string EncodeUtf8(const std::u32string& units) {
  std::string out;
  out.reserve(units.size() * 3);
  for (size_t i = 0; i < units.size(); ++i) {
    const char32_t u = units[i];
    if (u >= kInvalidByte) {
      out.push_back(static_cast<char>(u - kInvalidByte));
    } else if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units.size() && units[i + 1] >= 0xDC00 &&
               units[i + 1] <= 0xDFFF) {
      AppendUtf8(0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00), out);
      ++i;
    } else {
      AppendUtf8(u, out);
    }
  }
  return out;
}

}  // namespace

std::string PorterStem(absl::string_view word) {
  bool ascii = true;
  for (char c : word) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      break;
    }
  }
  // An ASCII word's bytes are its UTF-16 units, one for one.
  if (ascii) return Stemmer<std::string>(std::string(word)).Stem();
  return EncodeUtf8(Stemmer<std::u32string>(DecodeUtf16Units(word)).Stem());
}

}  // namespace trawl
