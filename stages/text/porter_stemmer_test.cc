// Expected stems are worked out by hand from the rules of Lucene's PorterStemmer (Porter's C
// version of the algorithm). Each case names the rules that fire on the whole run through all the
// steps, since PorterStem() returns the final stem, not a single step's output: the paper's
// per-step examples therefore sometimes end elsewhere (its "agreed -> agree" is the output of step
// 1b; step 5a then gives "agre"). Step numbers are the paper's (1a, 1b, 1c, 2, 3, 4, 5a, 5b);
// Lucene calls them step1 (1a+1b), step2 (1c), step3 (2), step4 (3), step5 (4), step6 (5a+5b).
// m is the measure of the stem left when the suffix is removed: [C](VC)^m[V]. *o is the
// consonant-vowel-consonant ending (last consonant not w, x, y); *v* a vowel in the stem; *d a
// double consonant.
#include "stages/text/porter_stemmer.h"

#include <string>

#include "gtest/gtest.h"

namespace trawl {
namespace {

TEST(PorterStemTest, ShortWordsAreNotStemmed) {
  // Lucene (like Porter's C code, unlike the paper) leaves words of one or two units alone.
  EXPECT_EQ(PorterStem(""), "");
  EXPECT_EQ(PorterStem("a"), "a");
  EXPECT_EQ(PorterStem("as"), "as");  // The paper's 1a (S ->) would give "a".
  EXPECT_EQ(PorterStem("is"), "is");
  EXPECT_EQ(PorterStem("ed"), "ed");
  // Three units are stemmed.
  EXPECT_EQ(PorterStem("abs"), "ab");   // 1a: S -> .
  EXPECT_EQ(PorterStem("ies"), "i");    // 1a: IES -> I.
  EXPECT_EQ(PorterStem("ing"), "ing");  // 1b: (*v*) ING fails, the stem is empty.
}

TEST(PorterStemTest, Step1aPlurals) {
  EXPECT_EQ(PorterStem("caresses"), "caress");  // 1a: SSES -> SS.
  EXPECT_EQ(PorterStem("ponies"), "poni");      // 1a: IES -> I.
  EXPECT_EQ(PorterStem("ties"), "ti");          // 1a: IES -> I.
  EXPECT_EQ(PorterStem("caress"), "caress");    // 1a: SS -> SS (no S removal after an s).
  EXPECT_EQ(PorterStem("cats"), "cat");         // 1a: S -> .
  EXPECT_EQ(PorterStem("1990s"), "1990");       // 1a: S -> ; digits are just consonants.
  // 1a: S -> gives "ye"; 5a keeps the e: m("y") = 0 (a leading y is a consonant).
  EXPECT_EQ(PorterStem("yes"), "ye");
  // 1a: S -> gives "ion"; step 4's (*S or *T) ION needs a letter before "ion": there is none
  // (Lucene's j >= 0 check, its "Bug 2" fix), so it stays.
  EXPECT_EQ(PorterStem("ions"), "ion");
}

TEST(PorterStemTest, Step1bEedEdIng) {
  EXPECT_EQ(PorterStem("feed"), "feed");  // 1b: (m > 0) EED -> EE fails, m("f") = 0.
  // 1b: EED -> EE as m("agr") = 1, giving "agree" (the paper's step 1b example); then 5a:
  // m("agree") = 1 and "agre" does not end in *o, so the e goes.
  EXPECT_EQ(PorterStem("agreed"), "agre");
  // 1b: (*v*) ED -> gives "plaster"; step 4's ER needs m("plast") > 1, it is 1.
  EXPECT_EQ(PorterStem("plastered"), "plaster");
  EXPECT_EQ(PorterStem("bled"), "bled");       // 1b: (*v*) ED fails, "bl" has no vowel.
  EXPECT_EQ(PorterStem("motoring"), "motor");  // 1b: (*v*) ING -> .
  EXPECT_EQ(PorterStem("sing"), "sing");       // 1b: (*v*) ING fails, "s" has no vowel.
  // 1b: ED -> , then AT -> ATE ("conflate"); step 4 ATE needs m("confl") > 1, it is 1;
  // 5a: m("conflate") = 2, so the e goes.
  EXPECT_EQ(PorterStem("conflated"), "conflat");
  // 1b: ED -> , then BL -> BLE ("trouble"); 5a: m = 1 and "troubl" does not end in *o, e goes.
  EXPECT_EQ(PorterStem("troubled"), "troubl");
  // 1b: ED -> , then IZ -> IZE ("size"); step 4 IZE needs m("s") > 1; 5a keeps the e, "siz" is *o.
  EXPECT_EQ(PorterStem("sized"), "size");
  EXPECT_EQ(PorterStem("hopping"), "hop");   // 1b: ING -> , *d and not L/S/Z -> single letter.
  EXPECT_EQ(PorterStem("tanned"), "tan");    // 1b: ED -> , *d -> single letter.
  EXPECT_EQ(PorterStem("falling"), "fall");  // 1b: ING -> , *d but L: kept; 5b needs m > 1.
  EXPECT_EQ(PorterStem("hissing"), "hiss");  // 1b: ING -> , *d but S: kept.
  EXPECT_EQ(PorterStem("fizzed"), "fizz");   // 1b: ED -> , *d but Z: kept.
  EXPECT_EQ(PorterStem("failing"), "fail");  // 1b: ING -> ; "fail" is m = 1 but not *o.
  EXPECT_EQ(PorterStem("filing"), "file");   // 1b: ING -> , (m = 1 and *o) -> E; 5a keeps it.
  EXPECT_EQ(PorterStem("crying"), "cry");    // 1b: y after a consonant is the vowel of *v*.
  EXPECT_EQ(PorterStem("ying"), "ying");     // 1b: a leading y is a consonant: no *v*.
}

TEST(PorterStemTest, Step1cYToI) {
  EXPECT_EQ(PorterStem("happy"), "happi");  // 1c: (*v*) Y -> I.
  EXPECT_EQ(PorterStem("sky"), "sky");      // 1c fails: "sk" has no vowel.
  EXPECT_EQ(PorterStem("toy"), "toi");      // 1c: (*v*) Y -> I.
}

TEST(PorterStemTest, Step2) {
  // ATIONAL -> ATE ("relate"); step 4 ATE needs m("rel") > 1; 5a: m("relate") = 2, e goes.
  EXPECT_EQ(PorterStem("relational"), "relat");
  // TIONAL -> TION ("condition"); step 4: (m > 1 and *T) ION -> .
  EXPECT_EQ(PorterStem("conditional"), "condit");
  // ATIONAL matches but m("r") = 0; the step ends there (TIONAL is not tried, as in the paper's
  // longest-match rule); step 4: (m > 1) AL -> , m("ration") = 2.
  EXPECT_EQ(PorterStem("rational"), "ration");
  EXPECT_EQ(PorterStem("valenci"), "valenc");   // ENCI -> ENCE; 5a: m = 2, e goes.
  EXPECT_EQ(PorterStem("hesitanci"), "hesit");  // ANCI -> ANCE; step 4: ANCE -> , m = 2.
  EXPECT_EQ(PorterStem("digitizer"), "digit");  // IZER -> IZE; step 4: IZE -> , m = 2.
  // Lucene: BLI -> BLE (paper: ABLI -> ABLE, same result here), "conformable"; step 4 ABLE -> .
  EXPECT_EQ(PorterStem("conformabli"), "conform");
  // ALLI -> AL ("radical"); step 3: ICAL -> IC (m("rad") = 1); step 4 IC needs m > 1.
  EXPECT_EQ(PorterStem("radicalli"), "radic");
  EXPECT_EQ(PorterStem("differentli"), "differ");  // ENTLI -> ENT; step 4: ENT -> , m = 2.
  EXPECT_EQ(PorterStem("vileli"), "vile");  // ELI -> E; 5a keeps the e, m = 1 and "vil" is *o.
  EXPECT_EQ(PorterStem("analogousli"), "analog");      // OUSLI -> OUS; step 4: OUS -> , m = 3.
  EXPECT_EQ(PorterStem("vietnamization"), "vietnam");  // IZATION -> IZE; step 4: IZE -> .
  // ATION -> ATE ("predicate"); step 3: ICATE -> IC (m("pred") = 1); step 4 IC needs m > 1.
  EXPECT_EQ(PorterStem("predication"), "predic");
  EXPECT_EQ(PorterStem("operator"), "oper");        // ATOR -> ATE; step 4: ATE -> , m("oper") = 2.
  EXPECT_EQ(PorterStem("feudalism"), "feudal");     // ALISM -> AL; step 4 AL needs m("feud") > 1.
  EXPECT_EQ(PorterStem("decisiveness"), "decis");   // IVENESS -> IVE; step 4: IVE -> .
  EXPECT_EQ(PorterStem("hopefulness"), "hope");     // FULNESS -> FUL; step 3: FUL -> ; 5a keeps e.
  EXPECT_EQ(PorterStem("callousness"), "callous");  // OUSNESS -> OUS; step 4 needs m > 1.
  EXPECT_EQ(PorterStem("formaliti"), "formal");     // ALITI -> AL; step 4 needs m > 1.
  EXPECT_EQ(PorterStem("sensitiviti"), "sensit");   // IVITI -> IVE; step 4: IVE -> .
  // BILITI -> BLE ("sensible"); step 4 IBLE needs m("sens") > 1; 5a: m = 2, e goes.
  EXPECT_EQ(PorterStem("sensibiliti"), "sensibl");
}

TEST(PorterStemTest, LuceneDeparturesFromThePaper) {
  // (m > 0) BLI -> BLE replaces the paper's ABLI -> ABLE: 1c gives "possibli", BLI -> BLE
  // ("possible", m("possi") = 1); step 4 IBLE needs m("poss") > 1; 5a: m = 2, e goes. The paper
  // stops at "possibli" (no rule matches "ibli").
  EXPECT_EQ(PorterStem("possibly"), "possibl");
  // (m > 0) LOGI -> LOG is not in the paper: 1c gives "apologi", LOGI -> LOG with m("apo") = 1.
  // The paper gives "apologi".
  EXPECT_EQ(PorterStem("apology"), "apolog");
  EXPECT_EQ(PorterStem("archaeology"), "archaeolog");  // LOGI -> LOG, m("archaeo") = 1.
  EXPECT_EQ(PorterStem("geology"), "geologi");         // LOGI matches but m("geo") = 0.
  // Two-letter words: see ShortWordsAreNotStemmed.
}

TEST(PorterStemTest, Step3) {
  EXPECT_EQ(PorterStem("triplicate"), "triplic");  // ICATE -> IC; step 4 IC needs m > 1.
  EXPECT_EQ(PorterStem("formative"), "form");      // ATIVE -> .
  EXPECT_EQ(PorterStem("formalize"), "formal");    // ALIZE -> AL; step 4 AL needs m > 1.
  EXPECT_EQ(PorterStem("electriciti"), "electr");  // ICITI -> IC; step 4: IC -> , m = 2.
  EXPECT_EQ(PorterStem("electrical"), "electr");   // ICAL -> IC; step 4: IC -> , m = 2.
  EXPECT_EQ(PorterStem("hopeful"), "hope");        // FUL -> ; 5a keeps the e ("hop" is *o).
  EXPECT_EQ(PorterStem("goodness"), "good");       // NESS -> .
}

TEST(PorterStemTest, Step4) {
  EXPECT_EQ(PorterStem("revival"), "reviv");        // (m > 1) AL -> .
  EXPECT_EQ(PorterStem("allowance"), "allow");      // (m > 1) ANCE -> .
  EXPECT_EQ(PorterStem("inference"), "infer");      // (m > 1) ENCE -> .
  EXPECT_EQ(PorterStem("airliner"), "airlin");      // (m > 1) ER -> .
  EXPECT_EQ(PorterStem("gyroscopic"), "gyroscop");  // (m > 1) IC -> (y after g is a vowel).
  EXPECT_EQ(PorterStem("adjustable"), "adjust");    // (m > 1) ABLE -> .
  EXPECT_EQ(PorterStem("defensible"), "defens");    // (m > 1) IBLE -> .
  EXPECT_EQ(PorterStem("irritant"), "irrit");       // (m > 1) ANT -> .
  EXPECT_EQ(PorterStem("replacement"), "replac");   // (m > 1) EMENT -> .
  EXPECT_EQ(PorterStem("adjustment"), "adjust");    // (m > 1) MENT -> .
  EXPECT_EQ(PorterStem("dependent"), "depend");     // (m > 1) ENT -> .
  EXPECT_EQ(PorterStem("adoption"), "adopt");       // (m > 1 and *T) ION -> .
  EXPECT_EQ(PorterStem("homologou"), "homolog");    // (m > 1) OU -> .
  EXPECT_EQ(PorterStem("communism"), "commun");     // (m > 1) ISM -> .
  EXPECT_EQ(PorterStem("activate"), "activ");       // (m > 1) ATE -> .
  EXPECT_EQ(PorterStem("angulariti"), "angular");   // (m > 1) ITI -> .
  EXPECT_EQ(PorterStem("homologous"), "homolog");   // (m > 1) OUS -> .
  EXPECT_EQ(PorterStem("effective"), "effect");     // (m > 1) IVE -> .
  EXPECT_EQ(PorterStem("bowdlerize"), "bowdler");   // (m > 1) IZE -> .
  // EMENT matches but m("el") = 1, and the step ends: MENT and ENT are not tried (Lucene's
  // "element etc. not stripped before the m"; the paper's longest match gives the same).
  EXPECT_EQ(PorterStem("element"), "element");
  EXPECT_EQ(PorterStem("onion"), "onion");  // ION after n, not s or t: nothing removed.
}

TEST(PorterStemTest, Step5) {
  // Step 4 ATE needs m("prob") > 1, it is 1; 5a: (m > 1) E -> , m("probate") = 2.
  EXPECT_EQ(PorterStem("probate"), "probat");
  EXPECT_EQ(PorterStem("rate"), "rate");         // 5a: m = 1 but "rat" is *o: kept.
  EXPECT_EQ(PorterStem("cease"), "ceas");        // 5a: (m = 1 and not *o) E -> .
  EXPECT_EQ(PorterStem("controll"), "control");  // 5b: (m > 1 and *d and *L) -> single letter.
  EXPECT_EQ(PorterStem("roll"), "roll");         // 5b needs m > 1; m("roll") = 1.
}

TEST(PorterStemTest, NonLowerCaseAsciiCountsAsConsonants) {
  // Lucene's vowels are the lower-case a, e, i, o, u (and y); upper case is not folded.
  EXPECT_EQ(PorterStem("HOPING"), "HOPING");  // No lower-case suffix matches.
  EXPECT_EQ(PorterStem("Cats"), "Cat");       // 1a: S -> ; C is a consonant.
}

TEST(PorterStemTest, NonAsciiIsJudgedOnUtf16UnitsLikeLucene) {
  // "ñ" is one UTF-16 unit, a consonant: 1b ED -> leaves "bañ", m = 1 and *o, so E is added;
  // 5a keeps it. Read per UTF-8 byte, "ñ" would be two consonants and no *o.
  EXPECT_EQ(PorterStem("bañed"), "bañe");
  // Two UTF-16 units (three bytes): not stemmed.
  EXPECT_EQ(PorterStem("ñs"), "ñs");
  // 1b: ED -> ; "ßß" is *d (two equal units), not L/S/Z -> single letter.
  EXPECT_EQ(PorterStem("aßßed"), "aß");
  EXPECT_EQ(PorterStem("café"), "café");  // "é" is not "e": no 5a.
  // U+1F600 is a surrogate pair in Java: three units, so it is stemmed (1a: S -> ).
  EXPECT_EQ(PorterStem("\U0001F600s"), "\U0001F600");
  // 1b: ED -> leaves "ba" + a surrogate pair; the pair is two consonant units, so the stem does
  // not end in *o and no E is added (counted as one code point it would be).
  EXPECT_EQ(PorterStem("ba\U0001F600ed"), "ba\U0001F600");
}

TEST(PorterStemTest, InvalidUtf8BytesAreSingleConsonants) {
  // (Octal escapes: "\377" is the byte 0xFF.)
  EXPECT_EQ(PorterStem("caf\351s"), "caf\351");   // 1a: S -> ; the Latin-1 byte comes back.
  EXPECT_EQ(PorterStem("ba\377ed"), "ba\377e");   // 1b: ED -> ; m = 1 and *o -> E.
  EXPECT_EQ(PorterStem("a\377\377ed"), "a\377");  // 1b: ED -> ; *d -> single letter.
}

TEST(PorterStemTest, LongRunsOfY) {
  // y alternates between consonant and vowel: y(c) y(v) y(c) ...; 1c needs a vowel before the last.
  EXPECT_EQ(PorterStem(std::string(5, 'y')), "yyyyi");
  // Long words stay linear (the consonant flags are cached): just check it finishes.
  EXPECT_EQ(PorterStem(std::string(100000, 'y') + "s").size(), 100000u);
}

}  // namespace
}  // namespace trawl
