#include "stages/sparse/bm25.h"

#include <cmath>

#include "gtest/gtest.h"

namespace trawl {
namespace {

// Lucene's SmallFloat.intToByte4 worked by hand: lengths up to 39 are exact (24 free values, then
// 16 exact 4-bit values); beyond, 4 significant bits, rounded down.
TEST(Bm25Test, LengthNormsAsLucene) {
  for (int length = 0; length <= 39; ++length) {
    EXPECT_EQ(NormToLength(LengthToNorm(length)), length) << length;
  }
  EXPECT_EQ(LengthToNorm(40), 40);
  EXPECT_EQ(NormToLength(LengthToNorm(41)), 40);            // 41 - 24 = 17 = 0b10001 -> 0b1000 << 1
  EXPECT_EQ(LengthToNorm(100), 57);                         // 76 = 0b1001100: shift 3, mantissa 001
  EXPECT_EQ(NormToLength(57), 96);                          // 24 + (0b1001 << 3)
  EXPECT_EQ(NormToLength(255), 24 + (int64_t{0xF} << 27));  // the largest: INT32_MAX's byte
  EXPECT_EQ(LengthToNorm(INT32_MAX), 255);
  for (int norm = 1; norm < 256; ++norm) {  // monotone: longer documents, larger norms
    EXPECT_LT(NormToLength(norm - 1), NormToLength(norm));
  }
}

// Robertson's BM25 without the (k1 + 1) factor, as Lucene 8+ scores: idf * tf / (tf + K),
// K = k1 * (1 - b + b * dl / avgdl), computed here in double from the formula.
double Reference(double idf, double tf, double dl, double avgdl, double k1 = 0.9, double b = 0.4) {
  return idf * tf / (tf + k1 * (1 - b + b * dl / avgdl));
}

TEST(Bm25Test, ThreeDocumentExample) {
  // d1 "oil sea", d2 "oil oil gull", d3 "sea gull gull wave": 3 documents, 9 terms, avgdl 3.
  const Bm25Weights bm25(0.9f, 0.4f, 3, 9);
  EXPECT_EQ(bm25.avgdl(), 3.0f);
  EXPECT_NEAR(bm25.Idf(2), std::log(1.6), 1e-7);      // ln(1 + (3 - 2 + 0.5) / (2 + 0.5))
  EXPECT_NEAR(bm25.Idf(1), std::log(8.0 / 3), 1e-7);  // ln(1 + 2.5 / 1.5)
  const float idf2 = bm25.Idf(2);
  EXPECT_NEAR(bm25.Weight(idf2, 1, 2), Reference(std::log(1.6), 1, 2, 3), 1e-6);
  EXPECT_NEAR(bm25.Weight(idf2, 2, 3), Reference(std::log(1.6), 2, 3, 3), 1e-6);
  EXPECT_NEAR(bm25.Weight(idf2, 2, 4), Reference(std::log(1.6), 2, 4, 3), 1e-6);
  // Long documents: the length Lucene stores (96 for 100) is what counts.
  EXPECT_NEAR(bm25.Weight(idf2, 3, 100), Reference(std::log(1.6), 3, 96, 3), 1e-6);
  // 96 to 103 all store as 96 (less 24: 72 .. 79, 0b1001xxx): the same weight.
  EXPECT_EQ(bm25.Weight(idf2, 3, 99), bm25.Weight(idf2, 3, 100));
  EXPECT_NE(bm25.Weight(idf2, 3, 104), bm25.Weight(idf2, 3, 100));  // 104 stores as 104
}

}  // namespace
}  // namespace trawl
