// Exact brute-force k-nearest-neighbour search on one NVIDIA GPU (H100/H200, sm_90): fp16
// tensor-core scores with a proven error bound pick a small candidate set that provably holds the
// exact top k, and only the candidates are scored again in float64 from the float32 rows. Kept free
// of Abseil so nvcc compiles it alone: functions return "" or the error text and say whether an
// allocation failed.
//
// RESULTS. Scores are higher-is-better float64 values of the float32 inputs, evaluated in a fixed
// order (i = 0..d-1, every operation rounded to nearest, no fused multiply-add):
//   kL2            -sum_i (x_i - q_i)^2
//   kInnerProduct   sum_i q_i x_i
//   kCosine         (sum_i q_i x_i) / (|q| |x|), |v| = sqrt(sum_i v_i v_i); 0 if q or x is zero.
// Each query gets the k rows with the highest scores, ordered by (score descending, row
// ascending): among equal float64 scores the smaller row wins. That is exactly what a float64 CPU
// loop in the same order returns (exact_gpu_kernels_gpu_test.cc holds one). With fewer than k rows
// the list ends in row -1, score -inf.
//
// DESIGN. Upload keeps on the device, for corpus row j: X_j = alpha_x x_j rounded to fp16 (for
// cosine x_j / |x_j|, normalised in float64), alpha_x the power of two with max_ij |x_ij| alpha_x
// < 2^14, so scaling is exact and nothing overflows fp16; |X_j| and |dX_j| (dX_j = fp16(X_j) - X_j,
// every component exact in float64) rounded up to float; |X_j|^2 as a float (L2); |x_j| in float64
// (cosine); and the float32 rows, unless the corpus stays on the host (resident = false), when each
// search streams it through the device tile by tile (copies overlap the work on the previous tile).
// Search takes the queries in batches (query_batch; Q = alpha_q q in fp16, alpha_q a power of two
// of its own) and, per batch, the corpus in tiles (tile_rows), one pass over the tiles:
//  1. cublasGemmEx (fp16 in, fp32 accumulation, fp16 out scaled by a power of two alpha chosen per
//     batch so that no score can overflow; float32 out with half_scores = false) writes the score
//     matrix, tile x batch, each query's scores over the tile contiguous; it is written once and
//     read once, and that traffic bounds both kernels, so fp16 scores halve it. (alpha needs the
//     batch's largest |Qh|: one 4-byte copy to the host per batch.) A tile x batch of a few MB
//     stays in the 50 MB L2 between the two, but at 1M x 128 the per-tile kernels' fixed costs
//     outweigh that: whole-corpus tiles measured fastest (about 2.3-2.6 TB/s of HBM traffic).
//  2. SelectCandidates reads the scores once. Each gets an approximate value a and the proven
//     radius e below, an interval [lower, upper] = [a - e, a + e] (directed rounding) that holds
//     the exact score (up to a shift common to the query's rows). A block takes 4 queries over a
//     chunk of the tile, in rounds of 8 rows per thread (one 16-byte load of 8 fp16 scores per
//     query; 4 rows of float scores; the next round's loads in flight while this one is tested),
//     and keeps per query a threshold T certified to be below the exact k-th score. A quick test
//     bounds e by the maxima of the row norms over 1024-row granules, so most scores are dropped by
//     one compare without reading row data; the few that pass get their own e, and those with upper
//     >= T go to a shared-memory buffer. When it fills, a radix select finds the k-th largest lower
//     end in it exactly, T rises to it and the buffer is compacted to upper >= T (flushed to the
//     candidate list if that freed too little; an entry that finds the buffer full mid-round goes
//     to the list directly). T is shared by all blocks of the query, across tiles too, through an
//     order-preserving integer encoding and atomicMax; a block that starts without one seeds it
//     from its first round, whole or not (the k-th largest lower end computed with the granule
//     bound, rows past the chunk counting as -inf). A block ends by appending its survivors to the
//     query's candidate list for the tile (candidate_capacity entries).
//  3. Rerank, one block per query: L = max(T, k-th largest lower end of the list), float64 scores
//     for the candidates with upper >= L (a warp stages its 32 candidates' rows through shared
//     memory, 32 components at a time with one coalesced load per row, and each lane sums its own
//     row in order), merged into the query's running top k (bitonic sort in shared memory, order
//     (score desc, row asc)). A list that overflowed its capacity is not trusted: that query
//     scores every row of the tile in float64 instead (a fallback), so correctness never depends
//     on the capacity.
//
// ERROR BOUND. For one query and row let Q, X be the exactly scaled vectors (for cosine the
// normalised ones), Qh, Xh their fp16 roundings, dQ = Qh - Q, dX = Xh - X, D = d rounded up to 8.
//  (a) fp16 rounding: |dX_i| <= 2^-11 |X_i| in fp16's normal range, <= 2^-25 below 2^-14
//      (subnormal); the bound uses instead the measured norms |dQ|, |dX| (tighter, and valid
//      whatever the rounding mode). Qh.Xh - Q.X = dQ.X + Q.dX + dQ.dX, so by Cauchy-Schwarz
//      |Qh.Xh - Q.X| <= |dQ||X| + |Q||dX| + |dQ||dX|.
//  (b) Products of fp16 numbers are exact in fp32. The GEMM sums the D products in an unknown
//      order, on tensor cores whose adders may truncate and align addends without guard bits;
//      each addition is charged two fp32 ulps (2^-23 for aligning the addend, 2^-23 for
//      normalising the sum), unit roundoff u = 2^-22: |G - Qh.Xh| <= g sum_i |Qh_i Xh_i| <=
//      g |Qh||Xh|, g = D u / (1 - D u), with |Qh| <= |Q| + |dQ| and |Xh| <= |X| + |dX|. Partial
//      sums are multiples of 2^-48, never subnormal; any split-K partial sums are reduced in fp32
//      too (CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION), which (b) covers.
//  (b') fp16 scores. The GEMM's sum acc then comes out as y = fp16(alpha acc), read back as
//      G = y / alpha (exact: alpha = 2^-s is a power of two). By (b), |acc| <= (1 + g) |Qh||Xh|;
//      s >= 0 is the smallest with alpha (1 + g) max_q(|Q| + |dQ|) max_j(|X_j| + |dX_j|) <= 65504
//      over the batch and the corpus (measured norms, rounded up), so |alpha acc| never exceeds
//      fp16's largest value: nothing overflows, and the scores use as much of fp16's range (and
//      its relative precision above 2^-14) as that bound allows (|Q|, |X| < 2^22, so s <= 31).
//      cuBLAS scales by alpha in fp32 (CUBLAS_COMPUTE_32F's scale type) and converts to fp16
//      rounding to nearest, as its epilogues do (assumed, not documented; the tests exercise it);
//      the order is not documented either, so both are covered:
//      (A) y = fp16(alpha acc), alpha acc exact in fp32 (|acc| is 0 or >= 2^-48), or
//      (B) y = fp16(alpha h) with h = fp16(acc). Rounding to nearest into fp16 errs by at most
//      2^-11 |result| in the normal range (the result is at least its binade's bottom) and 2^-25
//      below 2^-14. (A): |y - alpha acc| <= max(2^-11 |y|, 2^-25). (B): if alpha h is normal, y =
//      alpha h exactly and |y - alpha acc| = alpha |h - acc| <= max(2^-11 |y|, 2^-25 alpha);
//      otherwise |alpha h| < 2^-14, both roundings err by at most 2^-25 (alpha <= 1), 2^-24 in all.
//      Either way |y - alpha acc| <= 2^-11 |y| + 2^-24, that is
//        |G - acc| <= 2^-11 |G| + 2^-24 / alpha.
//      (B) could overflow where (A) cannot (h = inf if |acc| > 65504): a non-finite score gets the
//      interval (-inf, inf), so even that would cost speed, never exactness. With float scores
//      (half_scores = false) alpha = 1 and these two terms are 0.
//  (c) Together, |G - Q.X| <= P |X_j| + R |dX_j| + 2^-11 |G| + 2^-24 / alpha with
//      P = |dQ| + g (|Q| + |dQ|) and R = (1 + g)(|Q| + |dQ|), per-query constants times per-row
//      norms, plus the per-score output rounding of (b').
//  (d) Inner product and cosine: a = G, Q.X = alpha_q alpha_x times the exact score, and
//      e = (P + 2^-30 |Q|) |X_j| + R |dX_j| + 2^-11 |a| + 2^-24 / alpha + 2^-126. The 2^-30 term
//      covers the float64 evaluation of the exact score ((d + 5) 2^-53 <= 2^-36 relative to
//      |q||x|) and, for cosine, the float64 normalisation of q and x (2^-36 relative per
//      component); d <= 65536 throughout.
//  (e) L2: with r = alpha_q / alpha_x, alpha_q alpha_x (s + |q|^2) = 2 Q.X - r |X|^2 for the
//      exact s = -|q - x|^2; the shift alpha_q alpha_x |q|^2 is the same for every row, so it
//      changes no comparison. a = 2 G - r N_j with N_j = |X_j|^2 rounded to float
//      (|N_j - |X_j|^2| <= 2^-22 N_j + 2^-149), and
//      e = 2 P |X_j| + 2 R |dX_j| + 2^-21 r N_j + 2^-11 |2 G| + 2^-23 / alpha + K,
//      K = 2^-35 |Q|^2 / r + 2^-148 r + 2^-126,
//      where K and part of the N_j term cover the float64 evaluation of s (relative error
//      (d + 2) 2^-53 <= 2^-36 of |q - x|^2 <= 2 (|q|^2 + |x|^2)). alpha_q is lowered where needed
//      so that r <= 2^60 (no float overflow); a query 2^149 times larger than every corpus
//      component (r below float's range) is scored in float64 against every row.
//  (f) Evaluation: norms are measured in float64 and rounded up by a relative 2^-30 (far above
//      float64's error), then to float upward; e and upper are evaluated rounding up, lower
//      rounding down (__fmaf_ru, __fsub_rd; for L2, a itself by one fma rounded each way), so the
//      computed lower <= exact <= upper holds for the floats the kernel compares. The score is
//      read as c G = (c / alpha) y with c = 2 (L2) or 1, exact in float (a power of two times an
//      fp16 value; |c G| <= 2^17 / alpha); its term 2^-11 |c G| is one more __fmaf_ru, and
//      c 2^-24 / alpha joins the constant, both rounded up. Infinite e (only from absurd ranges)
//      makes every row a candidate, never a wrong answer. Non-finite inputs are rejected. e is
//      multiplied by bound_scale (1: proven; tests use 0 to show the bound matters).
//
// WHY THE SELECTION IS EXACT. Let s_k be the exact k-th largest score of a query over the whole
// corpus. (1) Every threshold T ever used is certified: it is -inf, or the k-th largest lower end
// among k distinct rows' intervals, or a maximum of certified values; k distinct rows then have
// exact scores >= their lower ends >= T, so T <= s_k (a seed's keys for rows past the chunk are
// -inf: a finite k-th largest key is still the lower end of a row with k - 1 others at or above
// it). The intervals hold the exact scores by the ERROR BOUND, fp16 and float scores alike, the
// output rounding of fp16 scores included (b'), so the argument is the same for both. (2) A row
// is dropped, by a block or by the rerank, only when upper < T for a certified T, so its exact
// score < T <= s_k: k rows score strictly higher, and it is not in the top k whatever the
// tie-breaking.
// (3) Every other row of the tile is scored exactly and merged by (score desc, row asc); a list
// that overflowed is replaced by all rows of the tile. So the result is the exact top k, ties
// included. L = k-th largest lower end of the list is exact because the k rows with the largest
// lower ends are never dropped (their upper >= lower >= any certified T).
//
// BEYOND FAISS / RAFT. GpuIndexFlat and RAFT's brute force select the top k of the approximate
// fp32 (or fp16) scores with warp/block select or radix select and return those: near-ties come
// out in the order rounding gave them, and ties between equal scores in no defined order. Here the
// selection runs on certified intervals, not values: thresholds are proven lower bounds shared by
// all blocks and tiles of a query, the candidate set provably contains the float64 top k, the
// answer is rescored in float64 with a defined tie order, and a capacity overflow degrades speed,
// never the answer. The GEMM runs on tensor cores with fp16 inputs and writes fp16 scores, the
// bound absorbing their rounding: the score matrix, the traffic that bounds both the GEMM and the
// selection, is half of a float32 one's.
//
// A Corpus is used by one thread at a time (Search is not reentrant on the same Corpus).
#ifndef TRAWL_STAGES_DENSE_EXACT_GPU_KERNELS_H_
#define TRAWL_STAGES_DENSE_EXACT_GPU_KERNELS_H_

#include <cstdint>
#include <string>

namespace trawl {
namespace exact_gpu {

enum class Metric { kL2, kInnerProduct, kCosine };

// Limits of the inputs.
constexpr int kMaxDim = 65536;
constexpr int kMaxK = 1024;
constexpr int64_t kMaxQueryBatch = 65536;
constexpr int64_t kMaxTileRows = int64_t{1} << 30;

// The corpus on one device (or its statistics there, rows on the host). Opaque.
struct Corpus;

struct SearchParams {
  // Queries scored together (1..kMaxQueryBatch).
  int64_t query_batch = 2048;
  // Corpus rows per tile (>= 1, rounded up to a multiple of 8; larger values act as kMaxTileRows).
  // The score matrix is tile_rows x query_batch fp16 values (4 GB at these defaults for 1M or more
  // rows; float32 with half_scores = false: 8 GB; ScratchBytes has the total).
  // On an H100 at 1M x 128, k = 10, whole-corpus tiles and large batches measured fastest: the
  // per-tile kernels' fixed costs outweigh keeping a small score tile in L2.
  int64_t tile_rows = int64_t{1} << 20;
  // Candidate-list entries per (query, tile); 0 chooses one from the shape (see ScratchBytes). An
  // overflowing list costs a float64 pass over the tile for that query, never correctness.
  int64_t candidate_capacity = 0;
  // Multiplies the proven error radius (finite, 0..2^20): 1 is exact, 0 ignores fp16 error.
  double bound_scale = 1.0;
  // The GEMM writes the score matrix in fp16 (scaled by a power of two to fit its range): half
  // the bytes of float32 scores for the GEMM to write and the selection to read, for intervals
  // wider by fp16's output rounding (ERROR BOUND (b')). false: float32 scores. Both are exact. On
  // an H100 (clustered data, 10,000 queries, L2, query_batch 4096, whole-corpus tiles) fp16 was
  // faster at every shape measured: 1.6x at 1M x 128 (k = 10 and 100), 1.8x at 10M x 128,
  // 1.2-1.3x at 1M x 768, with 1.0-2x the candidates per query.
  bool half_scores = true;
};

// Counts and times of one Search, for benchmarks.
struct SearchStats {
  int64_t candidates = 0;  // candidate-list entries over all (query, tile) pairs
  int64_t rescored = 0;    // rows scored in float64, fallbacks included
  int64_t fallbacks = 0;   // (query, tile) pairs whose list overflowed (or exact-only queries)
  // Device time (CUDA events) in the GEMM (with fp16 conversion of streamed tiles), the
  // candidate selection and the float64 rerank and merge.
  double gemm_seconds = 0, select_seconds = 0, rerank_seconds = 0;
};

// Makes a Corpus of the n x d row-major float32 `rows` (1 <= d <= kMaxDim, all finite) on
// `device`. resident: copy the rows to the device; otherwise keep only `rows` (which must then stay
// alive and unchanged until Free; pinned memory makes the streaming copies asynchronous) and
// statistics on the device. On failure *corpus is null.
std::string Upload(int device, const float* rows, int64_t n, int d, Metric metric, bool resident,
                   Corpus** corpus, bool* out_of_memory);

// The top k (1..kMaxK) rows of each of the nq x d row-major float32 `queries` (finite), best first,
// into rows_out and scores_out (nq x k each; see RESULTS). stats may be null.
std::string Search(Corpus* corpus, const float* queries, int64_t nq, int k,
                   const SearchParams& params, int64_t* rows_out, double* scores_out,
                   SearchStats* stats, bool* out_of_memory);

// Device bytes Upload allocates (its peak; a streamed corpus returns its staging buffer when
// Upload ends), plus cuBLAS's workspace; cuBLAS's own handle state is not counted.
int64_t DeviceBytes(int64_t n, int d, Metric metric, bool resident);

// Device bytes Search allocates for these parameters and at least query_batch queries (fewer
// queries need less); kept with the Corpus for the next Search and freed with it.
int64_t ScratchBytes(int64_t n, int d, int k, bool resident, const SearchParams& params);

// Frees the corpus and its device memory (null: nothing).
void Free(Corpus* corpus);

}  // namespace exact_gpu
}  // namespace trawl

#endif  // TRAWL_STAGES_DENSE_EXACT_GPU_KERNELS_H_
