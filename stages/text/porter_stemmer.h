// PorterStem: the Porter stemmer exactly as Apache Lucene runs it
// (org.apache.lucene.analysis.en.PorterStemmer, applied to each token by PorterStemFilter), so that
// terms stemmed here match terms stemmed by a Lucene / Elasticsearch / OpenSearch "porter_stem"
// analysis chain byte for byte.
//
// Lucene's class is a Java port of Martin Porter's own ANSI C implementation ("Release 3"), not a
// fresh reading of the 1980 paper (Porter, "An algorithm for suffix stripping", Program 14(3)).
// That implementation departs from the paper in three places, and so does this function:
//   1. Words of one or two characters are returned unchanged (the paper stems every word, e.g. "as"
//      would lose its "s").
//   2. Paper step 2 replaces -bli with -ble (m > 0) instead of -abli with -able, so "possibly" ->
//      "possibl" (the paper gives "possibli").
//   3. Paper step 2 has an extra rule -logi -> -log (m > 0), so "apology" -> "apolog" (the paper
//      gives "apologi").
// Everything else follows the paper, including its rule order (first matching suffix in each step).
//
// Input: PorterStemFilter expects lower-case tokens (a LowerCaseFilter earlier in the chain) and
// stems every token, whatever characters it holds. Likewise here: only the lower-case letters
// a, e, i, o, u (and y after a consonant) are vowels, so upper-case letters, digits, punctuation
// and every non-ASCII character count as consonants, as in Lucene's cons(). Lucene works on Java
// chars (UTF-16 code units); `word` is UTF-8, and non-ASCII words are stemmed on their UTF-16 code
// units so that lengths ("shorter than three"), doubled letters and consonant-vowel-consonant
// patterns are judged on the same units as in Lucene (a per-byte reading would not be: "bañed"
// stems to "bañe" in Lucene because "ñ" is one unit, and "ñs" is two units, so it is not stemmed at
// all). Bytes that are not valid UTF-8 each count as one consonant unit of their own and come back
// as they were. The stemmer only ever removes or rewrites ASCII letters, so the result is valid
// UTF-8 whenever `word` is.
//
// Thread-safe: no state outside the call.
#ifndef TRAWL_STAGES_TEXT_PORTER_STEMMER_H_
#define TRAWL_STAGES_TEXT_PORTER_STEMMER_H_

#include <string>

#include "absl/strings/string_view.h"

namespace trawl {

// The stem of `word` (UTF-8, expected lower case), as Lucene's PorterStemFilter would give it.
std::string PorterStem(absl::string_view word);

}  // namespace trawl

#endif  // TRAWL_STAGES_TEXT_PORTER_STEMMER_H_
