#include "stages/sparse/bm25.h"

#include <cmath>
#include <cstdint>

namespace trawl {
namespace {

// SmallFloat.longToInt4 / int4ToLong: a float-like 4-bit mantissa with an implicit leading bit.
int32_t LongToInt4(int64_t i) {
  const int bits = i == 0 ? 0 : 64 - __builtin_clzll(static_cast<uint64_t>(i));
  if (bits < 4) return static_cast<int32_t>(i);  // "subnormal": stored as is
  const int shift = bits - 4;
  int32_t encoded = static_cast<int32_t>(i >> shift) & 0x07;  // drop the implicit bit
  return encoded | ((shift + 1) << 3);
}

int64_t Int4ToLong(int32_t i) {
  const int64_t bits = i & 0x07;
  const int shift = (i >> 3) - 1;
  return shift == -1 ? bits : (bits | 0x08) << shift;
}

// Lengths below this are stored exactly: 255 - longToInt4(INT32_MAX) = 24.
const int32_t kFreeValues = 255 - LongToInt4(INT32_MAX);

}  // namespace

uint8_t LengthToNorm(int32_t length) {
  if (length < kFreeValues) return static_cast<uint8_t>(length);
  return static_cast<uint8_t>(kFreeValues + LongToInt4(length - kFreeValues));
}

int32_t NormToLength(uint8_t norm) {
  if (norm < kFreeValues) return norm;
  return static_cast<int32_t>(kFreeValues + Int4ToLong(norm - kFreeValues));
}

Bm25Weights::Bm25Weights(float k1, float b, int64_t doc_count, int64_t sum_total_term_freq)
    : doc_count_(doc_count),
      avgdl_(static_cast<float>(static_cast<double>(sum_total_term_freq) /
                                static_cast<double>(doc_count))) {
  for (int n = 0; n < 256; ++n) {
    const float length = static_cast<float>(NormToLength(static_cast<uint8_t>(n)));
    // Java evaluates left to right in float: ((1 - b) + ((b * length) / avgdl)), then k1 * .
    inverse_[n] = 1.0f / (k1 * ((1.0f - b) + b * length / avgdl_));
  }
}

float Bm25Weights::Idf(int64_t doc_freq) const {
  return static_cast<float>(
      std::log(1 + (static_cast<double>(doc_count_ - doc_freq) + 0.5) / (doc_freq + 0.5)));
}

float Bm25Weights::Weight(float idf, int32_t tf, int32_t length) const {
  const float inverse = inverse_[LengthToNorm(length)];
  return idf - idf / (1.0f + static_cast<float>(tf) * inverse);
}

}  // namespace trawl
