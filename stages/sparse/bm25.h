// BM25 as Lucene's BM25Similarity computes it (Lucene 8 and 9, the scoring Anserini reports), for
// the bm25_vectors stage: a document's weight for a term is the score Lucene gives a one-term
// query with boost 1, so a bag-of-words query's score is the sum over its terms of
// count x weight, as Lucene sums a BooleanQuery of BoostQuery(TermQuery, count) clauses.
//
//   idf(t)     = (float) ln(1 + (docCount - df + 0.5) / (df + 0.5))     docCount: documents with
//                                                                        at least one term
//   avgdl      = (float) (sumTotalTermFreq / (double) docCount)
//   norm(d)    = SmallFloat.intToByte4(length(d))       the length, lossily in one byte
//   inverse[n] = 1f / (k1 * ((1 - b) + b * byte4ToInt(n) / avgdl))       all in float
//   weight     = idf - idf / (1f + tf * inverse[norm(d)])               in float; no (k1 + 1)
//
// Every step is the float32 arithmetic Lucene's Java code performs, in its order, so the weights
// are Lucene's bit for bit. Thread-safe (immutable).
#ifndef TRAWL_STAGES_SPARSE_BM25_H_
#define TRAWL_STAGES_SPARSE_BM25_H_

#include <array>
#include <cstdint>

namespace trawl {

// Lucene's SmallFloat.intToByte4: exact below 24, then 4 significant bits (3 stored).
uint8_t LengthToNorm(int32_t length);
// SmallFloat.byte4ToInt: the length a norm byte stands for (the smallest length it encodes).
int32_t NormToLength(uint8_t norm);

class Bm25Weights {
 public:
  // REQUIRES: doc_count >= 1, sum_total_term_freq >= doc_count.
  Bm25Weights(float k1, float b, int64_t doc_count, int64_t sum_total_term_freq);

  float avgdl() const { return avgdl_; }
  float Idf(int64_t doc_freq) const;
  // The weight of a term occurring `tf` times in a document of `length` terms.
  float Weight(float idf, int32_t tf, int32_t length) const;

 private:
  int64_t doc_count_;
  float avgdl_;
  std::array<float, 256> inverse_;  // by norm byte
};

}  // namespace trawl

#endif  // TRAWL_STAGES_SPARSE_BM25_H_
