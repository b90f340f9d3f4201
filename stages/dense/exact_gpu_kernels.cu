#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "stages/dense/exact_gpu_kernels.h"

namespace trawl {
namespace exact_gpu {
namespace {

constexpr int kThreads = 256;  // block size of the row kernels, SelectCandidates and Rerank
constexpr int kWarps = kThreads / 32;
// SelectCandidates: each thread takes the consecutive rows of one 16-byte load per round (8 fp16
// or 4 float scores), and a granule's row statistics are summarised by their maxima for its quick
// test. Tiles start at multiples of kTileAlign rows, so every such load is aligned.
template <typename Score>
constexpr int kRowsPerThread = 16 / static_cast<int>(sizeof(Score));
constexpr int kTileAlign = 8;
constexpr int kGranule = 1024;
// Rerank: a warp stages 32 candidates' rows, kStageDims components at a time, in shared memory
// (coalesced loads), and each lane then sums its own candidate's components in order.
constexpr int kStageDims = 32;
// The largest finite fp16 value; fp16 scores are scaled by a power of two to stay at or below it.
constexpr double kHalfMax = 65504;
constexpr int kQueryThreads = 128;
constexpr int64_t kCublasWorkspaceBytes = int64_t{32} << 20;  // cuBLAS's advice for Hopper
constexpr int64_t kUploadChunkBytes = int64_t{64} << 20;      // a streamed Upload's staging
// SelectCandidates: kGroup queries per block (4 measured faster than 8 on an H100: fewer
// registers, more blocks), about 1056 blocks per tile (8 per multiprocessor of an H100; more
// blocks measured slower, each pays its prologue, seeding and final flush), and chunks of at
// least 1024 rows.
constexpr int kGroup = 4;
constexpr int64_t kTargetSelectBlocks = 1056;
constexpr int64_t kMinChunkRows = 1024;
constexpr unsigned kMinusInfKey = 0x007fffffu;  // FloatKey(-inf)
constexpr double kMargin = 1 + 0x1p-30;         // covers float64 rounding of measured bounds

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t RoundUp(int64_t a, int64_t b) { return CeilDiv(a, b) * b; }
int64_t PaddedDim(int d) { return RoundUp(d, 8); }  // 16-byte fp16 rows for the tensor cores

// Order-preserving map of non-NaN floats to unsigned integers (a < b implies key(a) < key(b);
// -0 sorts just below +0): thresholds are shared through atomicMax and radix-selected as keys.
__device__ __forceinline__ unsigned FloatKey(float f) {
  const unsigned u = __float_as_uint(f);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
__device__ __forceinline__ float KeyFloat(unsigned key) {
  return __uint_as_float((key & 0x80000000u) ? (key & 0x7fffffffu) : ~key);
}

// A relaxed read of a value other blocks update with atomicMax (every key is >= kMinusInfKey).
__device__ __forceinline__ unsigned AtomicRead(unsigned* p) { return atomicMax(p, kMinusInfKey); }

// An upper bound, as a float, on a non-negative value computed in float64 with relative error far
// below 2^-30.
__device__ __forceinline__ float Up(double v) { return __double2float_ru(v * kMargin); }

// |v| in float64, in the order the header specifies (cosine's exact score uses it).
__device__ double Norm(const float* v, int d) {
  double sum = 0;
  for (int i = 0; i < d; ++i) sum = __dadd_rn(sum, __dmul_rn(v[i], v[i]));
  return __dsqrt_rn(sum);
}

// Component i as the fp16 copies represent it before scaling: normalised for cosine.
__device__ __forceinline__ double Component(float v, double norm, Metric metric) {
  if (metric != Metric::kCosine) return v;
  return norm > 0 ? __ddiv_rn(v, norm) : 0.0;
}

// (score desc, row asc): true if (s1, r1) ranks before (s2, r2).
__device__ __forceinline__ bool Better(double s1, long long r1, double s2, long long r2) {
  return s1 > s2 || (s1 == s2 && r1 < r2);
}

// ---- Radix select -------------------------------------------------------------------------

struct RadixShared {
  unsigned histogram[256];
  unsigned digit;
  unsigned remaining;
};

// The k-th largest of the keys that for_each_key visits (at least k of them), by four 8-bit passes
// from the top byte. for_each_key(visit) calls visit(key) on this thread's share of the keys;
// every thread of the block calls it and gets the same key.
template <typename ForEachKey>
__device__ unsigned KthLargest(const ForEachKey& for_each_key, int k, RadixShared& s) {
  unsigned prefix = 0, mask = 0, remaining = static_cast<unsigned>(k);
  for (int shift = 24; shift >= 0; shift -= 8) {
    for (int i = threadIdx.x; i < 256; i += blockDim.x) s.histogram[i] = 0;
    __syncthreads();
    for_each_key([&](unsigned key) {
      if ((key & mask) == prefix) atomicAdd(&s.histogram[(key >> shift) & 255u], 1u);
    });
    __syncthreads();
    if (threadIdx.x < 32) {
      // Lane l holds digits 255 - 8l down to 248 - 8l; a scan over lanes counts the keys with a
      // higher digit, and the lane where that count reaches `remaining` holds the digit.
      const int lane = threadIdx.x;
      unsigned count[8], sum = 0;
#pragma unroll
      for (int j = 0; j < 8; ++j) {
        count[j] = s.histogram[255 - 8 * lane - j];
        sum += count[j];
      }
      unsigned inclusive = sum;
#pragma unroll
      for (int offset = 1; offset < 32; offset <<= 1) {
        const unsigned below = __shfl_up_sync(0xffffffffu, inclusive, offset);
        if (lane >= offset) inclusive += below;
      }
      // The matching keys number at least `remaining`, so some lane reaches it.
      const unsigned reached = __ballot_sync(0xffffffffu, inclusive >= remaining);
      if (lane == __ffs(reached) - 1) {
        unsigned above = inclusive - sum;
#pragma unroll
        for (int j = 0; j < 8; ++j) {
          if (above + count[j] >= remaining) {
            s.digit = 255 - 8 * lane - j;
            s.remaining = remaining - above;
            break;
          }
          above += count[j];
        }
      }
    }
    __syncthreads();
    // Warp 0 rewrites digit and remaining only after two more barriers, which every thread
    // reaches after these reads.
    prefix |= s.digit << shift;
    mask |= 255u << shift;
    remaining = s.remaining;
  }
  return prefix;
}

// The k-th largest FloatKey of values[0, m), 1 <= k <= m (shared or global memory).
__device__ unsigned KthLargestKey(const float* values, int m, int k, RadixShared& s) {
  return KthLargest(
      [&](auto visit) {
        for (int i = threadIdx.x; i < m; i += blockDim.x) visit(FloatKey(values[i]));
      },
      k, s);
}

// ---- Corpus and query preparation -------------------------------------------------------------

// The largest |component| (cosine: of the normalised rows), rounded up to float, into *max_bits
// as float bits (ordered like the values for non-negative floats); *nonfinite = 1 on NaN or inf.
__global__ void __launch_bounds__(kThreads)
    ScanRows(const float* __restrict__ x, int64_t rows, int d, Metric metric,
             unsigned* __restrict__ max_bits, unsigned* __restrict__ nonfinite) {
  const int64_t r = blockIdx.x * int64_t{kThreads} + threadIdx.x;
  unsigned bits = 0;
  if (r < rows) {
    const float* v = x + r * d;
    bool finite = true;
    for (int i = 0; i < d; ++i) finite &= isfinite(v[i]);
    if (finite) {
      const double norm = metric == Metric::kCosine ? Norm(v, d) : 1.0;
      double largest = 0;
      for (int i = 0; i < d; ++i) largest = fmax(largest, fabs(Component(v[i], norm, metric)));
      bits = __float_as_uint(__double2float_ru(largest));
    } else {
      atomicOr(nonfinite, 1u);
    }
  }
  bits = __reduce_max_sync(0xffffffffu, bits);
  if ((threadIdx.x & 31) == 0 && bits != 0) atomicMax(max_bits, bits);
}

// Rows [0, rows) of x scaled by 2^exponent into fp16 (x16: padded_dim columns, zero padded), and
// where asked their bounds {|X|, |dX|} rounded up, N = |X|^2 rounded to float (L2) and float64
// norms (cosine). Deterministic, so a streamed tile converted again at search time matches.
__global__ void __launch_bounds__(kThreads)
    PrepareRows(const float* __restrict__ x, int64_t rows, int d, int padded_dim, Metric metric,
                int exponent, __half* __restrict__ x16, float2* __restrict__ bounds,
                float* __restrict__ squares, double* __restrict__ norms) {
  const int64_t r = blockIdx.x * int64_t{kThreads} + threadIdx.x;
  if (r >= rows) return;
  const float* v = x + r * d;
  const double norm = metric == Metric::kCosine ? Norm(v, d) : 1.0;
  if (norms != nullptr) norms[r] = norm;
  const double alpha = ldexp(1.0, exponent);
  __half* out = x16 != nullptr ? x16 + r * padded_dim : nullptr;
  double sum_x = 0, sum_dx = 0;
  for (int i = 0; i < d; ++i) {
    const double scaled = Component(v[i], norm, metric) * alpha;  // exact: a power of two
    const __half h = __double2half(scaled);
    if (out != nullptr) out[i] = h;
    // Exact in float64: h is 0 or within a factor 2 of `scaled` (Sterbenz).
    const double diff = static_cast<double>(__half2float(h)) - scaled;
    sum_x += scaled * scaled;
    sum_dx += diff * diff;
  }
  if (out != nullptr) {
    for (int i = d; i < padded_dim; ++i) out[i] = __float2half(0.0f);
  }
  if (bounds != nullptr) bounds[r] = make_float2(Up(sqrt(sum_x)), Up(sqrt(sum_dx)));
  if (squares != nullptr) squares[r] = __double2float_rn(sum_x);
}

// Per kGranule rows, the largest |X_j|, |dX_j| and N_j (0 without squares), for the quick test of
// SelectCandidates, and the corpus's largest |X_j| and |dX_j| into corpus_max[0, 1] (for the fp16
// scores' scale). Non-negative floats order like their bits.
__global__ void __launch_bounds__(kThreads)
    GranuleMaxima(const float2* __restrict__ bounds, const float* __restrict__ squares,
                  int64_t rows, float4* __restrict__ granules, unsigned* __restrict__ corpus_max) {
  __shared__ unsigned largest[3];
  if (threadIdx.x < 3) largest[threadIdx.x] = 0;
  __syncthreads();
  const int64_t begin = blockIdx.x * int64_t{kGranule};
  const int64_t end = min(begin + kGranule, rows);
  unsigned x = 0, dx = 0, sq = 0;
  for (int64_t r = begin + threadIdx.x; r < end; r += kThreads) {
    const float2 b = bounds[r];
    x = max(x, __float_as_uint(b.x));
    dx = max(dx, __float_as_uint(b.y));
    if (squares != nullptr) sq = max(sq, __float_as_uint(squares[r]));
  }
  x = __reduce_max_sync(0xffffffffu, x);
  dx = __reduce_max_sync(0xffffffffu, dx);
  sq = __reduce_max_sync(0xffffffffu, sq);
  if ((threadIdx.x & 31) == 0) {
    atomicMax(&largest[0], x);
    atomicMax(&largest[1], dx);
    atomicMax(&largest[2], sq);
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    granules[blockIdx.x] = make_float4(__uint_as_float(largest[0]), __uint_as_float(largest[1]),
                                       __uint_as_float(largest[2]), 0.0f);
    atomicMax(&corpus_max[0], largest[0]);
    atomicMax(&corpus_max[1], largest[1]);
  }
}

// Per-query constants of the interval (the header's ERROR BOUND):
//   a = score_scale G - ratio N_j,  e = norm_coef |X_j| + diff_coef |dX_j| + sq_coef N_j +
//   constant, plus the per-batch terms of fp16 scores (SelectArgs: rel |score_scale G| + abs).
struct QueryParams {
  float score_scale;  // 2 for L2, else 1
  float ratio;        // r for L2, else 0
  float norm_coef, diff_coef, sq_coef, constant;
  int exact_only;  // L2 query beyond float's range of r: scored in float64 against every row
  double norm;     // |q| in float64 (cosine's exact score)
};

struct QueryArgs {
  const float* queries;  // batch x d
  int batch, d, padded_dim;
  Metric metric;
  int corpus_exponent;
  double bound_scale;
  __half* queries16;  // batch x padded_dim
  QueryParams* params;
  unsigned* thresholds;
  int* candidates;  // per-query candidate-list counts
  int* top_count;
  unsigned* largest_norm;  // the batch's largest |Qh| = |Q + dQ| bound (float bits), or null
};

// One thread per query: its fp16 copy, interval constants and fresh per-query search state.
__global__ void __launch_bounds__(kQueryThreads) PrepareQueries(const QueryArgs a) {
  const int q = blockIdx.x * kQueryThreads + threadIdx.x;
  if (q >= a.batch) return;
  const float* v = a.queries + int64_t{q} * a.d;
  const double norm = Norm(v, a.d);
  double largest = 0;
  for (int i = 0; i < a.d; ++i) largest = fmax(largest, fabs(Component(v[i], norm, a.metric)));
  int exponent = 0;  // largest * 2^exponent < 2^14
  if (largest > 0) {
    int e;
    frexp(largest, &e);
    exponent = 14 - e;
  }
  bool exact_only = false;
  if (a.metric == Metric::kL2) {
    exponent = min(exponent, a.corpus_exponent + 60);  // r <= 2^60
    exact_only = exponent - a.corpus_exponent < -149;  // r not a float
  }
  const double alpha = ldexp(1.0, exponent);
  __half* out = a.queries16 + int64_t{q} * a.padded_dim;
  double sum_q = 0, sum_dq = 0;
  for (int i = 0; i < a.d; ++i) {
    const double scaled = Component(v[i], norm, a.metric) * alpha;
    const __half h = __double2half(scaled);
    out[i] = h;
    const double diff = static_cast<double>(__half2float(h)) - scaled;
    sum_q += scaled * scaled;
    sum_dq += diff * diff;
  }
  for (int i = a.d; i < a.padded_dim; ++i) out[i] = __float2half(0.0f);

  const double q_len = sqrt(sum_q), dq_len = sqrt(sum_dq);
  if (a.largest_norm != nullptr) atomicMax(a.largest_norm, __float_as_uint(Up(q_len + dq_len)));
  const double du = a.padded_dim * 0x1p-22;
  const double gamma = du / (1 - du);
  double p = dq_len + gamma * (q_len + dq_len);
  double r_coef = (1 + gamma) * (q_len + dq_len);
  double sq = 0, constant = 0x1p-126;
  QueryParams params;
  params.score_scale = 1;
  params.ratio = 0;
  if (a.metric == Metric::kL2) {
    const double r = ldexp(1.0, exponent - a.corpus_exponent);
    params.score_scale = 2;
    params.ratio = exact_only ? 0.0f : static_cast<float>(r);  // a power of two: exact
    p *= 2;
    r_coef *= 2;
    sq = 0x1p-21 * r;
    constant += 0x1p-35 * sum_q / r + 0x1p-148 * r;
  } else {
    p += 0x1p-30 * q_len;
  }
  params.norm_coef = Up(p * a.bound_scale);
  params.diff_coef = Up(r_coef * a.bound_scale);
  params.sq_coef = Up(sq * a.bound_scale);
  params.constant = Up(constant * a.bound_scale);
  params.exact_only = exact_only;
  params.norm = norm;
  a.params[q] = params;
  a.thresholds[q] = kMinusInfKey;
  a.candidates[q] = 0;
  a.top_count[q] = 0;
}

// ---- Candidate selection ----------------------------------------------------------------------

struct SelectArgs {
  const void* scores;  // query q's score of tile row r at scores[q * ld + r] (fp16 or float)
  int64_t ld;
  // A score y stands for G = y / alpha (the header's ERROR BOUND (b'), alpha = 1 for float
  // scores): scale = score_scale / alpha, rel = 2^-11 and abs = score_scale 2^-24 / alpha (0 for
  // float scores), both times bound_scale and rounded up.
  float scale, rel, abs;
  const float2* row_bounds;   // the tile's rows: {|X_j|, |dX_j|}
  const float* row_squares;   // the tile's rows: N_j (L2 only)
  const float4* granules;     // the corpus's GranuleMaxima
  int64_t row_offset;         // corpus row of tile row 0 (a multiple of kTileAlign)
  int tile_rows, chunk_rows;  // chunk_rows: a multiple of the round's rows
  const QueryParams* params;
  int batch;
  unsigned* thresholds;  // per query: FloatKey of a certified threshold
  float* cand_lower;     // per query: capacity entries
  float* cand_upper;
  int* cand_row;  // row within the tile
  int* cand_count;
  int capacity;
  int k;
  int buffer;  // shared entries per query, >= RoundUp(k, kThreads) + 2 kThreads
};

struct SelectShared {
  QueryParams params[kGroup];
  int count[kGroup];           // appends to each query's buffer; past `buffer` they spilled
  unsigned threshold[kGroup];  // FloatKey of each query's certified threshold
  unsigned largest[3];         // the block's largest |X_j|, |dX_j|, N_j (float bits)
  int scratch;                 // a compaction's output count, or a flush's base in the list
  RadixShared radix;
};

// One query's buffer in shared memory.
struct Buffer {
  float* lower;
  float* upper;
  int* row;
};

// Appends query g's buffer to its candidate list for the tile and empties it. Block-wide.
__device__ void Flush(const SelectArgs& a, int g, int q, const Buffer& b, SelectShared& s) {
  const int m = min(s.count[g], a.buffer);
  if (threadIdx.x == 0) s.scratch = atomicAdd(&a.cand_count[q], m);
  __syncthreads();
  // Slots past the capacity are dropped; the count still grows, and Rerank sees the overflow.
  const int64_t base = s.scratch;
  for (int i = threadIdx.x; i < m; i += kThreads) {
    const int64_t slot = base + i;
    if (slot < a.capacity) {
      const int64_t at = int64_t{q} * a.capacity + slot;
      a.cand_lower[at] = b.lower[i];
      a.cand_upper[at] = b.upper[i];
      a.cand_row[at] = b.row[i];
    }
  }
  __syncthreads();  // the base and the buffer are read before either is reused
  if (threadIdx.x == 0) s.count[g] = 0;
  __syncthreads();
}

// Raises query g's threshold to the k-th largest lower end in its buffer (when it holds k) and to
// what other blocks published, keeps the entries with upper >= threshold, and, if asked, flushes
// the buffer when that left less than kThreads entries free. Block-wide; ends with a barrier.
__device__ void Compact(const SelectArgs& a, int g, int q, const Buffer& b, SelectShared& s,
                        bool flush_if_full) {
  const int m = min(s.count[g], a.buffer);
  const unsigned kth = m >= a.k ? KthLargestKey(b.lower, m, a.k, s.radix) : kMinusInfKey;
  if (threadIdx.x == 0) {
    const unsigned mine = max(s.threshold[g], kth);
    s.threshold[g] = max(mine, atomicMax(&a.thresholds[q], mine));
    s.scratch = 0;
  }
  __syncthreads();
  const float threshold = KeyFloat(s.threshold[g]);
  // In place, a kThreads chunk at a time: each chunk is read into registers before the barrier,
  // and its survivors land below the chunk's end, never on entries still unread.
  for (int c = 0; c < m; c += kThreads) {
    const int i = c + threadIdx.x;
    bool keep = false;
    float lower = 0, upper = 0;
    int row = 0;
    if (i < m) {
      upper = b.upper[i];
      keep = upper >= threshold;
      if (keep) {
        lower = b.lower[i];
        row = b.row[i];
      }
    }
    __syncthreads();
    if (keep) {
      const int at = atomicAdd(&s.scratch, 1);
      b.lower[at] = lower;
      b.upper[at] = upper;
      b.row[at] = row;
    }
  }
  __syncthreads();
  if (threadIdx.x == 0) s.count[g] = s.scratch;
  __syncthreads();
  if (flush_if_full && s.count[g] > a.buffer - kThreads) Flush(a, g, q, b, s);
}

__device__ __forceinline__ float ToFloat(float v) { return v; }
__device__ __forceinline__ float ToFloat(__half v) { return __half2float(v); }

// Value i of 16 bytes holding 4 floats or 8 fp16 values (i a constant after unrolling).
template <typename T>
__device__ __forceinline__ float Unpack(const float4& v, int i) {
  const int word = sizeof(T) == 4 ? i : i / 2;
  const float w = word == 0 ? v.x : word == 1 ? v.y : word == 2 ? v.z : v.w;
  if (sizeof(T) == 4) return w;
  const __half2 h = *reinterpret_cast<const __half2*>(&w);
  return i % 2 == 0 ? __low2float(h) : __high2float(h);
}

// 16 bytes at p (aligned). Scores are read once (kStream: evict first); row data is shared by
// every query group.
template <bool kStream>
__device__ __forceinline__ float4 Load16(const void* p) {
  const float4* v = static_cast<const float4*>(p);
  return kStream ? __ldcs(v) : __ldg(v);
}

// A whole round's loads for a thread's rows row0..: N_j (L2) and every active query's scores, as
// raw 16-byte words (unpacked when the round is tested: fewer registers in flight).
template <bool kL2, typename Score>
__device__ __forceinline__ void LoadRound(const SelectArgs& a, int q0, int row0,
                                          const bool (&active)[kGroup],
                                          float4 (&sq)[kRowsPerThread<Score> / 4],
                                          float4 (&score)[kGroup]) {
  if (kL2) {
#pragma unroll
    for (int j = 0; j < kRowsPerThread<Score> / 4; ++j) {
      sq[j] = Load16<false>(a.row_squares + row0 + 4 * j);
    }
  }
  const Score* scores = static_cast<const Score*>(a.scores);
#pragma unroll
  for (int g = 0; g < kGroup; ++g) {
    if (active[g]) score[g] = Load16<true>(scores + int64_t{q0 + g} * a.ld + row0);
  }
}

template <bool kL2, typename Score>
__device__ __forceinline__ void Unpack(const float4 (&raw_sq)[kRowsPerThread<Score> / 4],
                                       const float4 (&raw)[kGroup],
                                       float (&sq)[kRowsPerThread<Score>],
                                       float (&score)[kGroup][kRowsPerThread<Score>]) {
#pragma unroll
  for (int i = 0; i < kRowsPerThread<Score>; ++i) {
    sq[i] = kL2 ? Unpack<float>(raw_sq[i / 4], i % 4) : 0.0f;
#pragma unroll
    for (int g = 0; g < kGroup; ++g) score[g][i] = Unpack<Score>(raw[g], i);
  }
}

// The chunk's last rows, one load per row (the rest 0).
template <bool kL2, typename Score>
__device__ __forceinline__ void LoadPartialRound(const SelectArgs& a, int q0, int row0, int row_end,
                                                 const bool (&active)[kGroup],
                                                 float (&sq)[kRowsPerThread<Score>],
                                                 float (&score)[kGroup][kRowsPerThread<Score>]) {
  const Score* scores = static_cast<const Score*>(a.scores);
#pragma unroll
  for (int i = 0; i < kRowsPerThread<Score>; ++i) {
    const bool in = row0 + i < row_end;
    sq[i] = kL2 && in ? a.row_squares[row0 + i] : 0.0f;
#pragma unroll
    for (int g = 0; g < kGroup; ++g) {
      score[g][i] = active[g] && in ? ToFloat(scores[int64_t{q0 + g} * a.ld + row0 + i]) : 0.0f;
    }
  }
}

// The quick test of a thread's rows row0.. for every query of the group: bit g * rows + i is set
// where upper may reach the threshold with e bounded by `radius` plus the score's own output
// rounding term (rel |a_G|, exact per score). Written !(upper < threshold), so that a non-finite
// score (never seen: see Consider) passes.
template <bool kL2, typename Score>
__device__ __forceinline__ unsigned QuickTest(
    const SelectArgs& a, int row0, int row_end, const bool (&active)[kGroup],
    const float (&ratio)[kGroup], const float (&radius)[kGroup], const float (&threshold)[kGroup],
    const float (&sq)[kRowsPerThread<Score>], const float (&score)[kGroup][kRowsPerThread<Score>]) {
  constexpr int kRows = kRowsPerThread<Score>;
  unsigned pass = 0;
#pragma unroll
  for (int g = 0; g < kGroup; ++g) {
#pragma unroll
    for (int i = 0; i < kRows; ++i) {
      const float y = __fmul_rn(a.scale, score[g][i]);  // exact: a power of two
      const float y_up = kL2 ? __fmaf_ru(-ratio[g], sq[i], y) : y;
      const float e = __fmaf_ru(a.rel, fabsf(y), radius[g]);
      if (active[g] && row0 + i < row_end && !(__fadd_ru(y_up, e) < threshold[g])) {
        pass |= 1u << (g * kRows + i);
      }
    }
  }
  return pass;
}

// The precise test of a score that passed the quick one (score and N_j read again: rare): its
// own interval, and an append to query g's buffer if upper >= threshold (or, while the buffer is
// full, straight to the candidate list). A non-finite score (an fp16 conversion that overflowed:
// impossible by the choice of alpha, whatever order cuBLAS scales and converts in, but not
// assumed) gets the interval (-inf, inf).
template <bool kL2, typename Score>
__device__ void Consider(const SelectArgs& a, SelectShared& s, float* buffer_memory, int g,
                         int row) {
  const int q = blockIdx.y * kGroup + g;
  const QueryParams& p = s.params[g];
  const float score = ToFloat(static_cast<const Score*>(a.scores)[int64_t{q} * a.ld + row]);
  const float sq = kL2 ? a.row_squares[row] : 0.0f;
  const float y = __fmul_rn(a.scale, score);
  const float2 bound = __ldg(&a.row_bounds[row]);
  const float e = __fmaf_ru(
      a.rel, fabsf(y),
      __fmaf_ru(
          p.norm_coef, bound.x,
          __fmaf_ru(p.diff_coef, bound.y, __fmaf_ru(p.sq_coef, sq, __fadd_ru(p.constant, a.abs)))));
  const bool finite = isfinite(y);
  const float upper = finite ? __fadd_ru(kL2 ? __fmaf_ru(-p.ratio, sq, y) : y, e) : INFINITY;
  if (upper < KeyFloat(s.threshold[g])) return;
  const float lower = finite ? __fsub_rd(kL2 ? __fmaf_rd(-p.ratio, sq, y) : y, e) : -INFINITY;
  const int at = atomicAdd(&s.count[g], 1);
  if (at < a.buffer) {
    buffer_memory[g * a.buffer + at] = lower;
    buffer_memory[(kGroup + g) * a.buffer + at] = upper;
    reinterpret_cast<int*>(buffer_memory + 2 * kGroup * a.buffer)[g * a.buffer + at] = row;
    return;
  }
  const int slot = atomicAdd(&a.cand_count[q], 1);
  if (slot < a.capacity) {
    const int64_t list = int64_t{q} * a.capacity + slot;
    a.cand_lower[list] = lower;
    a.cand_upper[list] = upper;
    a.cand_row[list] = row;
  }
}

// Grid (chunks of the tile, groups of kGroup queries). Reads each score once and appends to the
// candidate lists every score whose interval may reach its query's top k (header: DESIGN 2).
// The quick test bounds e by the granule maxima of the block's rows (every coefficient and
// statistic is >= 0 and __fmaf_ru is monotone, so e_j <= radius + rel |a_G|): a score failing it
// fails the precise test too, and the precise test reads the row's bounds only for the few that
// pass.
template <bool kL2, typename Score>
__global__ void __launch_bounds__(kThreads, 2) SelectCandidates(const SelectArgs a) {
  constexpr int kRows = kRowsPerThread<Score>;
  constexpr int kRoundRows = kRows * kThreads;
  static_assert(kGroup * kRows <= 32, "one pass bit per (query, row)");
  extern __shared__ float buffer_memory[];  // lower, upper, row: kGroup x buffer each
  __shared__ SelectShared s;
  const int q0 = blockIdx.y * kGroup;
  const int row_begin = blockIdx.x * a.chunk_rows;
  const int row_end =
      static_cast<int>(min(int64_t{row_begin} + a.chunk_rows, int64_t{a.tile_rows}));
  if (threadIdx.x < kGroup) {
    const int q = q0 + threadIdx.x;
    s.params[threadIdx.x] = q < a.batch ? a.params[q] : QueryParams{};
    s.count[threadIdx.x] = 0;
    s.threshold[threadIdx.x] = q < a.batch ? AtomicRead(&a.thresholds[q]) : kMinusInfKey;
  }
  if (threadIdx.x < 3) s.largest[threadIdx.x] = 0;
  __syncthreads();
  const int64_t first = (a.row_offset + row_begin) / kGranule;
  const int64_t last = (a.row_offset + row_end - 1) / kGranule;
  for (int64_t i = first + threadIdx.x; i <= last; i += kThreads) {
    const float4 m = a.granules[i];
    atomicMax(&s.largest[0], __float_as_uint(m.x));
    atomicMax(&s.largest[1], __float_as_uint(m.y));
    atomicMax(&s.largest[2], __float_as_uint(m.z));
  }
  __syncthreads();
  const float largest_x = __uint_as_float(s.largest[0]);
  const float largest_dx = __uint_as_float(s.largest[1]);
  const float largest_sq = __uint_as_float(s.largest[2]);
  bool active[kGroup];
  float ratio[kGroup], radius[kGroup], threshold[kGroup];
#pragma unroll
  for (int g = 0; g < kGroup; ++g) {
    const QueryParams& p = s.params[g];
    active[g] = q0 + g < a.batch && !p.exact_only;
    ratio[g] = p.ratio;
    radius[g] =
        __fmaf_ru(p.norm_coef, largest_x,
                  __fmaf_ru(p.diff_coef, largest_dx,
                            __fmaf_ru(p.sq_coef, largest_sq, __fadd_ru(p.constant, a.abs))));
    threshold[g] = KeyFloat(s.threshold[g]);
  }
  auto buffer = [&](int g) {
    return Buffer{buffer_memory + g * a.buffer, buffer_memory + (kGroup + g) * a.buffer,
                  reinterpret_cast<int*>(buffer_memory + (2 * kGroup + g) * a.buffer)};
  };

  // A round appends at most kRoundRows entries per query; a buffer that fills mid-round spills
  // into the candidate list (Consider), and compaction between rounds keeps that rare. The loads
  // of the next whole round are issued before this round is tested, so they stay in flight
  // across the test and the barriers.
  const int whole_end = row_begin + (row_end - row_begin) / kRoundRows * kRoundRows;
  float sq[kRows] = {};
  float score[kGroup][kRows] = {};
  float4 next_sq[kRows / 4] = {};
  float4 next_score[kGroup] = {};
  if (row_begin < whole_end) {
    LoadRound<kL2, Score>(a, q0, row_begin + kRows * threadIdx.x, active, next_sq, next_score);
  }
  // Seeding: a query with no threshold yet (the first tile of a batch, before any block of it has
  // published one) gets one from the first round before it is tested, the k-th largest of its
  // lower ends computed with the quick radius instead of e_j (rows past the chunk count as -inf).
  // Each is <= its row's lower end, so k rows reach it: certified. Without it every score of the
  // round would take the slow path, and a chunk shorter than a round (a tile's last) would spill
  // most of its rows into the candidate lists.
  static_assert(kMaxK <= kRoundRows, "a round seeds any k");
  {
    const int row0 = row_begin + kRows * threadIdx.x;
    if (row_begin < whole_end) {
      Unpack<kL2, Score>(next_sq, next_score, sq, score);
    } else if (row0 < row_end) {
      LoadPartialRound<kL2, Score>(a, q0, row0, row_end, active, sq, score);
    }
    bool seeded = false;
#pragma unroll
    for (int g = 0; g < kGroup; ++g) {
      if (!active[g] || threshold[g] != -INFINITY) continue;  // the same for the whole block
      unsigned keys[kRows];
#pragma unroll
      for (int i = 0; i < kRows; ++i) {
        const float y = __fmul_rn(a.scale, score[g][i]);
        const float y_down = kL2 ? __fmaf_rd(-ratio[g], sq[i], y) : y;
        const float lower = __fsub_rd(y_down, __fmaf_ru(a.rel, fabsf(y), radius[g]));
        keys[i] = row0 + i < row_end && isfinite(y) ? FloatKey(lower) : kMinusInfKey;
      }
      const unsigned kth = KthLargest(
          [&](auto visit) {
#pragma unroll
            for (int i = 0; i < kRows; ++i) visit(keys[i]);
          },
          a.k, s.radix);
      if (threadIdx.x == 0) s.threshold[g] = max(kth, atomicMax(&a.thresholds[q0 + g], kth));
      seeded = true;
    }
    if (seeded) {
      __syncthreads();
#pragma unroll
      for (int g = 0; g < kGroup; ++g) threshold[g] = KeyFloat(s.threshold[g]);
    }
  }
  for (int base = row_begin; base < row_end; base += kRoundRows) {
    const int row0 = base + kRows * threadIdx.x;
    unsigned pass = 0;
    if (base < whole_end) {  // the same for the whole block
      Unpack<kL2, Score>(next_sq, next_score, sq, score);
      if (base + kRoundRows < whole_end) {
        LoadRound<kL2, Score>(a, q0, row0 + kRoundRows, active, next_sq, next_score);
      }
      pass = QuickTest<kL2, Score>(a, row0, row_end, active, ratio, radius, threshold, sq, score);
    } else if (row0 < row_end) {  // the chunk's last rows (loaded already if there are no others)
      if (row_begin < whole_end)
        LoadPartialRound<kL2, Score>(a, q0, row0, row_end, active, sq, score);
      pass = QuickTest<kL2, Score>(a, row0, row_end, active, ratio, radius, threshold, sq, score);
    }
    while (pass != 0) {
      const int bit = __ffs(pass) - 1;
      pass &= pass - 1;
      Consider<kL2, Score>(a, s, buffer_memory, bit / kRows, row0 + bit % kRows);
    }
    __syncthreads();  // the round's appends are done
    int count[kGroup];
#pragma unroll
    for (int g = 0; g < kGroup; ++g) count[g] = s.count[g];
#pragma unroll
    for (int g = 0; g < kGroup; ++g) {
      if (active[g] && count[g] > a.buffer - kThreads) Compact(a, g, q0 + g, buffer(g), s, true);
    }
    __syncthreads();  // the counts are read before the next round appends
#pragma unroll
    for (int g = 0; g < kGroup; ++g) threshold[g] = KeyFloat(s.threshold[g]);
  }

  // The last compaction (it also publishes the threshold) and the survivors to the list.
#pragma unroll
  for (int g = 0; g < kGroup; ++g) {
    if (!active[g]) continue;
    if (s.count[g] > a.k) Compact(a, g, q0 + g, buffer(g), s, false);
    if (s.count[g] > 0) Flush(a, g, q0 + g, buffer(g), s);
  }
}

// ---- Float64 rerank and merge -----------------------------------------------------------------

struct RerankArgs {
  Metric metric;
  int d, k;
  const float* queries;  // batch x d
  const QueryParams* params;
  const float* rows;        // the tile's float32 rows
  const double* row_norms;  // the tile's |x| (cosine), else null
  int tile_rows;
  int64_t row_offset;  // corpus row of tile row 0
  unsigned* thresholds;
  const float* cand_lower;
  const float* cand_upper;
  const int* cand_row;
  int* cand_count;
  int capacity;
  double* top_score;  // batch x k, best first
  long long* top_row;
  int* top_count;
  unsigned long long* counters;  // candidates, rescored, fallbacks
  int buffer;                    // merge entries: a power of two >= k + kThreads
};

// Rerank's shared staging: per warp, kStageDims components of 32 rows (padded against bank
// conflicts) and the rows' offsets.
struct Stage {
  float x[32][kStageDims + 1];
  int64_t offset[32];
};

// The exact (float64) score of the header's RESULTS of every lane's row r (tile row) where `take`
// holds, evaluated in the order the header specifies (i = 0..d-1, each operation rounded to
// nearest). The warp loads its rows kStageDims components at a time into shared memory, one
// coalesced load per row, and each lane then sums its own row's components in order: one lane per
// row reading the whole row itself would fetch 32 scattered rows per instruction and thrash L1.
// Warp-wide: every lane calls it.
__device__ double WarpExactScores(const RerankArgs& a, const float* __restrict__ query,
                                  double q_norm, bool take, int r, Stage& stage) {
  constexpr int kRowsPerLoad = 32 / kStageDims;  // rows one warp-wide load covers
  const int lane = threadIdx.x & 31;
  const int sub = lane / kStageDims, col = lane % kStageDims;
  const unsigned takers = __ballot_sync(0xffffffffu, take);
  double sum = 0;
  if (takers == 0) return sum;
  stage.offset[lane] = int64_t{r} * a.d;
  __syncwarp();
  // v: this lane's share of a chunk, component col of rows jj * kRowsPerLoad + sub; the next
  // chunk's loads are issued before the current one is summed.
  float v[kStageDims];
  auto load = [&](int c0) {
#pragma unroll
    for (int jj = 0; jj < kStageDims; ++jj) {
      const int j = jj * kRowsPerLoad + sub;
      v[jj] = ((takers >> j) & 1u) && c0 + col < a.d ? __ldg(a.rows + stage.offset[j] + c0 + col)
                                                     : 0.0f;
    }
  };
  load(0);
  for (int c0 = 0; c0 < a.d; c0 += kStageDims) {
#pragma unroll
    for (int jj = 0; jj < kStageDims; ++jj) stage.x[jj * kRowsPerLoad + sub][col] = v[jj];
    __syncwarp();
    if (c0 + kStageDims < a.d) load(c0 + kStageDims);
    if (take) {
      const float* x = stage.x[lane];
      const float* q = query + c0;
      const int width = min(kStageDims, a.d - c0);
      if (a.metric == Metric::kL2) {
        if (width == kStageDims) {
#pragma unroll
          for (int i = 0; i < kStageDims; ++i) {
            const double diff = __dsub_rn(x[i], __ldg(q + i));
            sum = __dadd_rn(sum, __dmul_rn(diff, diff));
          }
        } else {
          for (int i = 0; i < width; ++i) {
            const double diff = __dsub_rn(x[i], __ldg(q + i));
            sum = __dadd_rn(sum, __dmul_rn(diff, diff));
          }
        }
      } else {
        if (width == kStageDims) {
#pragma unroll
          for (int i = 0; i < kStageDims; ++i) sum = __dadd_rn(sum, __dmul_rn(__ldg(q + i), x[i]));
        } else {
          for (int i = 0; i < width; ++i) sum = __dadd_rn(sum, __dmul_rn(__ldg(q + i), x[i]));
        }
      }
    }
    __syncwarp();
  }
  if (a.metric == Metric::kL2) return -sum;
  if (a.metric == Metric::kInnerProduct) return sum;
  const double x_norm = take ? a.row_norms[r] : 0.0;
  if (q_norm == 0 || x_norm == 0) return 0;
  return __ddiv_rn(sum, __dmul_rn(q_norm, x_norm));
}

struct RerankShared {
  int fill;    // entries in the merge buffer
  int sorted;  // the buffer was sorted (and so changed) during this tile
  int full;    // k entries are known, the k-th being (kth_score, kth_row)
  double kth_score;
  long long kth_row;
  RadixShared radix;
};

// Sorts the merge buffer's first `fill` entries best first (bitonic, over the next power of two,
// padded with entries that sort last) and keeps the best k. Block-wide; ends with a barrier.
__device__ void SortBest(double* score, long long* row, int fill, int k, RerankShared& s) {
  int size = 1;
  while (size < fill) size <<= 1;
  for (int i = fill + threadIdx.x; i < size; i += kThreads) {
    score[i] = -INFINITY;
    row[i] = LLONG_MAX;
  }
  __syncthreads();
  for (int width = 2; width <= size; width <<= 1) {
    for (int stride = width >> 1; stride > 0; stride >>= 1) {
      for (int t = threadIdx.x; t < size / 2; t += kThreads) {
        const int lo = 2 * t - (t & (stride - 1)), hi = lo + stride;
        const bool best_first = (lo & width) == 0;  // direction of this bitonic run
        const bool swap = best_first ? Better(score[hi], row[hi], score[lo], row[lo])
                                     : Better(score[lo], row[lo], score[hi], row[hi]);
        if (swap) {
          const double ts = score[lo];
          score[lo] = score[hi];
          score[hi] = ts;
          const long long tr = row[lo];
          row[lo] = row[hi];
          row[hi] = tr;
        }
      }
      __syncthreads();
    }
  }
  if (threadIdx.x == 0) {
    s.fill = min(fill, k);
    s.sorted = 1;
    if (fill >= k) {
      s.full = 1;
      s.kth_score = score[k - 1];
      s.kth_row = row[k - 1];
    }
  }
  __syncthreads();
}

// One block per query: scores in float64 the tile's candidates that may reach the top k (every
// row of the tile if the list overflowed) and merges them into the query's running top k.
__global__ void __launch_bounds__(kThreads) Rerank(const RerankArgs a) {
  extern __shared__ double merge_memory[];
  double* score = merge_memory;
  long long* row = reinterpret_cast<long long*>(merge_memory + a.buffer);
  Stage& stage = reinterpret_cast<Stage*>(merge_memory + 2 * a.buffer)[threadIdx.x / 32];
  __shared__ RerankShared s;
  const int q = blockIdx.x;
  const int listed = a.cand_count[q];
  const QueryParams p = a.params[q];
  const bool fallback = listed > a.capacity || p.exact_only;
  if (!fallback && listed == 0) return;  // nothing from this tile
  const int64_t list = int64_t{q} * a.capacity;
  unsigned key = kMinusInfKey;
  if (!fallback) {
    key = a.thresholds[q];
    // Worth a radix select only when it can spare more than one round of float64 scoring.
    if (listed > kThreads && listed >= a.k) {
      key = max(key, KthLargestKey(a.cand_lower + list, listed, a.k, s.radix));
    }
  }
  const float bound = KeyFloat(key);
  const int64_t top = int64_t{q} * a.k;
  const int have = a.top_count[q];
  for (int i = threadIdx.x; i < have; i += kThreads) {
    score[i] = a.top_score[top + i];
    row[i] = a.top_row[top + i];
  }
  if (threadIdx.x == 0) {
    s.fill = have;
    s.sorted = 0;
    s.full = have == a.k;
    if (s.full) {
      s.kth_score = a.top_score[top + a.k - 1];
      s.kth_row = a.top_row[top + a.k - 1];
    }
  }
  __syncthreads();  // also: every thread has read thresholds[q] and cand_count[q]
  if (threadIdx.x == 0) {
    if (!fallback) a.thresholds[q] = key;  // certified, for the next tiles
    a.cand_count[q] = 0;
  }

  const float* query = a.queries + int64_t{q} * a.d;
  const int items = fallback ? a.tile_rows : listed;
  unsigned long long rescored = 0;
  for (int c = 0; c < items; c += kThreads) {
    const int fill = s.fill;
    __syncthreads();  // fill is read before anyone appends or sorts
    if (fill > a.buffer - kThreads) SortBest(score, row, fill, a.k, s);
    const int i = c + threadIdx.x;
    int r = 0;
    bool take = false;
    if (i < items) {
      r = i;
      take = true;
      if (!fallback) {
        take = a.cand_upper[list + i] >= bound;
        r = a.cand_row[list + i];
      }
    }
    const double value = WarpExactScores(a, query, p.norm, take, r, stage);
    if (take) {
      ++rescored;
      const long long global_row = a.row_offset + r;
      if (!s.full || Better(value, global_row, s.kth_score, s.kth_row)) {
        const int at = atomicAdd(&s.fill, 1);
        score[at] = value;
        row[at] = global_row;
      }
    }
    __syncthreads();  // the appends are done before fill is read again
  }
  const int fill = s.fill;
  if (fill != have || s.sorted) {
    SortBest(score, row, fill, a.k, s);
    const int kept = min(fill, a.k);
    for (int i = threadIdx.x; i < kept; i += kThreads) {
      a.top_score[top + i] = score[i];
      a.top_row[top + i] = row[i];
    }
    if (threadIdx.x == 0) a.top_count[q] = kept;
  }
  if (threadIdx.x == 0) {
    if (fallback) {
      atomicAdd(&a.counters[2], 1ull);
    } else {
      atomicAdd(&a.counters[0], static_cast<unsigned long long>(listed));
    }
  }
  if (rescored > 0) atomicAdd(&a.counters[1], rescored);
}

// ---- Host side --------------------------------------------------------------------------------

template <typename T>
struct DeviceArray {
  T* data = nullptr;
  size_t size = 0;
  DeviceArray() = default;
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  ~DeviceArray() { Release(); }
  void Release() {
    if (data != nullptr) cudaFree(data);
    data = nullptr;
    size = 0;
  }
  cudaError_t Reserve(int64_t n) {
    if (static_cast<size_t>(n) <= size) return cudaSuccess;
    Release();
    cudaError_t error = cudaMalloc(&data, static_cast<size_t>(n) * sizeof(T));
    if (error == cudaSuccess) size = static_cast<size_t>(n);
    return error;
  }
};

// Shapes of one Search, shared with ScratchBytes.
struct Plan {
  int64_t batch = 0;       // queries per batch
  int64_t tile = 0;        // corpus rows per tile
  int64_t ld = 0;          // the score matrix's leading dimension
  int buffer = 0;          // SelectCandidates's shared entries per query
  int64_t chunk_rows = 0;  // rows per SelectCandidates block
  int64_t capacity = 0;    // candidate-list entries per (query, tile)
  int merge = 0;           // Rerank's merge entries
  bool half = true;        // fp16 scores
};

Plan MakePlan(int64_t n, int k, int64_t queries, const SearchParams& params) {
  Plan p;
  p.batch = std::max<int64_t>(1, std::min(params.query_batch, queries));
  p.half = params.half_scores;
  // Tiles start at multiples of kTileAlign, for SelectCandidates's 16-byte loads.
  p.tile = std::min(RoundUp(std::min(params.tile_rows, kMaxTileRows), kTileAlign), n);
  p.ld = RoundUp(p.tile, 64);  // 128-byte aligned query rows
  p.buffer = static_cast<int>(RoundUp(k, kThreads) + 2 * kThreads);
  const int64_t chunks = CeilDiv(kTargetSelectBlocks, CeilDiv(p.batch, kGroup));
  const int64_t round_rows =
      int64_t{kThreads} * (p.half ? kRowsPerThread<__half> : kRowsPerThread<float>);
  p.chunk_rows = RoundUp(
      std::max<int64_t>({CeilDiv(p.tile, chunks), kMinChunkRows, int64_t{4} * k}), round_rows);
  // A block's survivors are about k plus the rows within the bound of the k-th score; a buffer
  // that fills mid-round spills into the list too.
  const int64_t chunks_per_tile = CeilDiv(p.tile, p.chunk_rows);
  p.capacity = params.candidate_capacity > 0
                   ? std::min(params.candidate_capacity, kMaxTileRows)
                   : std::min(p.tile, chunks_per_tile * (p.buffer + kThreads));
  p.merge = 1;
  while (p.merge < k + kThreads) p.merge <<= 1;
  return p;
}

int64_t PlanBytes(const Plan& p, int d, int k, bool resident) {
  const int64_t padded = PaddedDim(d);
  int64_t bytes = p.batch * d * 4 + p.batch * padded * 2 +
                  p.batch * static_cast<int64_t>(sizeof(QueryParams)) +
                  p.ld * p.batch * (p.half ? 2 : 4) + p.batch * 4 * 3 + p.batch * p.capacity * 12 +
                  p.batch * k * 16 + 3 * 8 + 4;
  if (!resident) bytes += 2 * p.tile * d * 4 + p.tile * padded * 2;
  return bytes;
}

int64_t UploadChunkRows(int64_t n, int d) {
  return std::max<int64_t>(1, std::min<int64_t>(n, kUploadChunkBytes / (int64_t{d} * 4)));
}

std::string Fail(cudaError_t error, const char* what, bool* out_of_memory) {
  *out_of_memory = error == cudaErrorMemoryAllocation;
  cudaGetLastError();  // an allocation error is not sticky: clear it for the next attempt
  return std::string(what) + ": " + cudaGetErrorString(error);
}

std::string Fail(cublasStatus_t status, const char* what, bool* out_of_memory) {
  *out_of_memory = status == CUBLAS_STATUS_ALLOC_FAILED;
  return std::string(what) + ": " + cublasGetStatusString(status);
}

#define TRAWL_CUDA_OR_FAIL(call)                                          \
  do {                                                                    \
    const cudaError_t error_ = (call);                                    \
    if (error_ != cudaSuccess) return Fail(error_, #call, out_of_memory); \
  } while (0)

#define TRAWL_CUBLAS_OR_FAIL(call)                                                    \
  do {                                                                                \
    const cublasStatus_t status_ = (call);                                            \
    if (status_ != CUBLAS_STATUS_SUCCESS) return Fail(status_, #call, out_of_memory); \
  } while (0)

unsigned Blocks(int64_t items, int threads) {
  return static_cast<unsigned>(CeilDiv(items, threads));
}

// A non-negative float64 value rounded up to float.
float UpHost(double v) {
  float f = static_cast<float>(v);
  if (static_cast<double>(f) < v) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

}  // namespace

struct Corpus {
  int device = 0;
  Metric metric = Metric::kL2;
  int64_t rows = 0;
  int dim = 0, padded_dim = 0;
  bool resident = true;
  const float* host_rows = nullptr;  // streamed corpus
  int exponent = 0;                  // alpha_x = 2^exponent
  double largest_row_norm = 0;       // an upper bound on every |Xh_j| = |X_j + dX_j|
  cudaStream_t stream = nullptr;
  cudaStream_t copy_stream = nullptr;  // streamed tiles' copies
  cudaEvent_t copied[2] = {nullptr, nullptr};
  cudaEvent_t consumed[2] = {nullptr, nullptr};
  std::vector<cudaEvent_t> timers;
  cublasHandle_t cublas = nullptr;
  DeviceArray<char> cublas_workspace;
  DeviceArray<float> rows32;
  DeviceArray<__half> rows16;
  DeviceArray<float2> row_bounds;  // {|X_j|, |dX_j|} rounded up
  DeviceArray<float> row_squares;  // N_j (L2)
  DeviceArray<float4> granules;    // GranuleMaxima
  DeviceArray<double> row_norms;
  // Search scratch, grown on demand.
  DeviceArray<float> queries32;
  DeviceArray<__half> queries16;
  DeviceArray<QueryParams> params;
  DeviceArray<char> scores;  // fp16 or float
  DeviceArray<unsigned> largest_query_norm;
  DeviceArray<unsigned> thresholds;
  DeviceArray<int> cand_count;
  DeviceArray<float> cand_lower, cand_upper;
  DeviceArray<int> cand_row;
  DeviceArray<double> top_score;
  DeviceArray<long long> top_row;
  DeviceArray<int> top_count;
  DeviceArray<unsigned long long> counters;
  DeviceArray<float> staging32[2];
  DeviceArray<__half> staging16;

  ~Corpus() {
    for (cudaEvent_t e : timers) cudaEventDestroy(e);
    for (int i = 0; i < 2; ++i) {
      if (copied[i] != nullptr) cudaEventDestroy(copied[i]);
      if (consumed[i] != nullptr) cudaEventDestroy(consumed[i]);
    }
    if (cublas != nullptr) cublasDestroy(cublas);
    if (stream != nullptr) cudaStreamDestroy(stream);
    if (copy_stream != nullptr) cudaStreamDestroy(copy_stream);
  }
};

namespace {

std::string UploadInto(Corpus* c, const float* rows, bool* out_of_memory) {
  const int64_t n = c->rows;
  const int d = c->dim;
  TRAWL_CUDA_OR_FAIL(cudaSetDevice(c->device));
  TRAWL_CUDA_OR_FAIL(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking));
  TRAWL_CUDA_OR_FAIL(cudaStreamCreateWithFlags(&c->copy_stream, cudaStreamNonBlocking));
  for (int i = 0; i < 2; ++i) {
    TRAWL_CUDA_OR_FAIL(cudaEventCreateWithFlags(&c->copied[i], cudaEventDisableTiming));
    TRAWL_CUDA_OR_FAIL(cudaEventCreateWithFlags(&c->consumed[i], cudaEventDisableTiming));
  }
  TRAWL_CUBLAS_OR_FAIL(cublasCreate(&c->cublas));
  TRAWL_CUBLAS_OR_FAIL(cublasSetStream(c->cublas, c->stream));
  // fp16 inputs, fp32 accumulation (CUBLAS_COMPUTE_32F); no reduction in lower precision.
  TRAWL_CUBLAS_OR_FAIL(cublasSetMathMode(
      c->cublas, static_cast<cublasMath_t>(CUBLAS_DEFAULT_MATH |
                                           CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION)));
  TRAWL_CUDA_OR_FAIL(c->cublas_workspace.Reserve(kCublasWorkspaceBytes));
  TRAWL_CUBLAS_OR_FAIL(
      cublasSetWorkspace(c->cublas, c->cublas_workspace.data, kCublasWorkspaceBytes));
  if (n == 0) return "";
  TRAWL_CUDA_OR_FAIL(c->row_bounds.Reserve(n));
  if (c->metric == Metric::kL2) TRAWL_CUDA_OR_FAIL(c->row_squares.Reserve(n));
  TRAWL_CUDA_OR_FAIL(c->granules.Reserve(CeilDiv(n, kGranule)));
  if (c->metric == Metric::kCosine) TRAWL_CUDA_OR_FAIL(c->row_norms.Reserve(n));
  DeviceArray<unsigned> scan;  // {max bits, nonfinite, largest |X_j| bits, largest |dX_j| bits}
  TRAWL_CUDA_OR_FAIL(scan.Reserve(4));
  TRAWL_CUDA_OR_FAIL(cudaMemsetAsync(scan.data, 0, 4 * sizeof(unsigned), c->stream));

  // Pass 1: the largest component, for alpha_x. Pass 2: fp16 rows and statistics.
  DeviceArray<float> staging;
  const int64_t chunk = c->resident ? n : UploadChunkRows(n, d);
  if (c->resident) {
    TRAWL_CUDA_OR_FAIL(c->rows32.Reserve(n * d));
    TRAWL_CUDA_OR_FAIL(c->rows16.Reserve(n * c->padded_dim));
    TRAWL_CUDA_OR_FAIL(
        cudaMemcpyAsync(c->rows32.data, rows, n * d * 4, cudaMemcpyHostToDevice, c->stream));
  } else {
    TRAWL_CUDA_OR_FAIL(staging.Reserve(chunk * d));
  }
  for (int64_t r0 = 0; r0 < n; r0 += chunk) {
    const int64_t m = std::min(chunk, n - r0);
    const float* x = c->rows32.data;
    if (!c->resident) {
      TRAWL_CUDA_OR_FAIL(cudaMemcpyAsync(staging.data, rows + r0 * d, m * d * 4,
                                         cudaMemcpyHostToDevice, c->stream));
      x = staging.data;
    }
    ScanRows<<<Blocks(m, kThreads), kThreads, 0, c->stream>>>(x, m, d, c->metric, scan.data,
                                                              scan.data + 1);
    TRAWL_CUDA_OR_FAIL(cudaGetLastError());
  }
  unsigned scanned[2];
  TRAWL_CUDA_OR_FAIL(
      cudaMemcpyAsync(scanned, scan.data, sizeof(scanned), cudaMemcpyDeviceToHost, c->stream));
  TRAWL_CUDA_OR_FAIL(cudaStreamSynchronize(c->stream));
  if (scanned[1] != 0) return "corpus rows hold a NaN or infinite value";
  float largest;
  std::memcpy(&largest, &scanned[0], sizeof(largest));
  if (largest > 0) {
    int e;
    std::frexp(largest, &e);
    c->exponent = 14 - e;  // largest component * 2^exponent < 2^14
  }
  for (int64_t r0 = 0; r0 < n; r0 += chunk) {
    const int64_t m = std::min(chunk, n - r0);
    const float* x = c->rows32.data;
    if (!c->resident) {
      TRAWL_CUDA_OR_FAIL(cudaMemcpyAsync(staging.data, rows + r0 * d, m * d * 4,
                                         cudaMemcpyHostToDevice, c->stream));
      x = staging.data;
    }
    PrepareRows<<<Blocks(m, kThreads), kThreads, 0, c->stream>>>(
        x, m, d, c->padded_dim, c->metric, c->exponent, c->resident ? c->rows16.data : nullptr,
        c->row_bounds.data + r0, c->metric == Metric::kL2 ? c->row_squares.data + r0 : nullptr,
        c->metric == Metric::kCosine ? c->row_norms.data + r0 : nullptr);
    TRAWL_CUDA_OR_FAIL(cudaGetLastError());
  }
  GranuleMaxima<<<Blocks(n, kGranule), kThreads, 0, c->stream>>>(
      c->row_bounds.data, c->metric == Metric::kL2 ? c->row_squares.data : nullptr, n,
      c->granules.data, scan.data + 2);
  TRAWL_CUDA_OR_FAIL(cudaGetLastError());
  TRAWL_CUDA_OR_FAIL(
      cudaMemcpyAsync(scanned, scan.data + 2, sizeof(scanned), cudaMemcpyDeviceToHost, c->stream));
  TRAWL_CUDA_OR_FAIL(cudaStreamSynchronize(c->stream));
  float largest_x, largest_dx;
  std::memcpy(&largest_x, &scanned[0], sizeof(largest_x));
  std::memcpy(&largest_dx, &scanned[1], sizeof(largest_dx));
  c->largest_row_norm = (static_cast<double>(largest_x) + largest_dx) * kMargin;
  return "";
}

// Waits for both streams on every exit from Search, so no copy still reads the caller's memory.
struct SyncStreams {
  Corpus* corpus;
  ~SyncStreams() {
    cudaStreamSynchronize(corpus->copy_stream);
    cudaStreamSynchronize(corpus->stream);
  }
};

std::string ReserveScratch(Corpus* c, const Plan& p, int k, bool* out_of_memory) {
  const int64_t d = c->dim;
  TRAWL_CUDA_OR_FAIL(c->queries32.Reserve(p.batch * d));
  TRAWL_CUDA_OR_FAIL(c->queries16.Reserve(p.batch * c->padded_dim));
  TRAWL_CUDA_OR_FAIL(c->params.Reserve(p.batch));
  TRAWL_CUDA_OR_FAIL(c->scores.Reserve(p.ld * p.batch * (p.half ? 2 : 4)));
  TRAWL_CUDA_OR_FAIL(c->largest_query_norm.Reserve(1));
  TRAWL_CUDA_OR_FAIL(c->thresholds.Reserve(p.batch));
  TRAWL_CUDA_OR_FAIL(c->cand_count.Reserve(p.batch));
  TRAWL_CUDA_OR_FAIL(c->cand_lower.Reserve(p.batch * p.capacity));
  TRAWL_CUDA_OR_FAIL(c->cand_upper.Reserve(p.batch * p.capacity));
  TRAWL_CUDA_OR_FAIL(c->cand_row.Reserve(p.batch * p.capacity));
  TRAWL_CUDA_OR_FAIL(c->top_score.Reserve(p.batch * k));
  TRAWL_CUDA_OR_FAIL(c->top_row.Reserve(p.batch * k));
  TRAWL_CUDA_OR_FAIL(c->top_count.Reserve(p.batch));
  TRAWL_CUDA_OR_FAIL(c->counters.Reserve(3));
  if (!c->resident) {
    for (DeviceArray<float>& staging : c->staging32) {
      TRAWL_CUDA_OR_FAIL(staging.Reserve(p.tile * d));
    }
    TRAWL_CUDA_OR_FAIL(c->staging16.Reserve(p.tile * c->padded_dim));
  }
  return "";
}

std::string SearchChecked(Corpus* c, const float* queries, int64_t nq, int k,
                          const SearchParams& params, int64_t* rows_out, double* scores_out,
                          SearchStats* stats, bool* out_of_memory) {
  const int64_t n = c->rows;
  const int d = c->dim;
  const Plan plan = MakePlan(n, k, nq, params);
  TRAWL_CUDA_OR_FAIL(cudaSetDevice(c->device));
  SyncStreams sync{c};
  std::string error = ReserveScratch(c, plan, k, out_of_memory);
  if (!error.empty()) return error;
  const int64_t tiles = CeilDiv(n, plan.tile);
  if (stats != nullptr) {
    while (static_cast<int64_t>(c->timers.size()) < 4 * tiles) {
      cudaEvent_t e;
      TRAWL_CUDA_OR_FAIL(cudaEventCreate(&e));
      c->timers.push_back(e);
    }
  }
  const size_t select_shared = size_t{3} * kGroup * plan.buffer * 4;
  const bool l2 = c->metric == Metric::kL2;
  void (*const select)(SelectArgs) =
      plan.half ? (l2 ? SelectCandidates<true, __half> : SelectCandidates<false, __half>)
                : (l2 ? SelectCandidates<true, float> : SelectCandidates<false, float>);
  TRAWL_CUDA_OR_FAIL(
      cudaFuncSetAttribute(select, cudaFuncAttributeMaxDynamicSharedMemorySize, select_shared));
  const size_t merge_shared = size_t{16} * plan.merge + kWarps * sizeof(Stage);
  TRAWL_CUDA_OR_FAIL(
      cudaFuncSetAttribute(Rerank, cudaFuncAttributeMaxDynamicSharedMemorySize, merge_shared));
  TRAWL_CUDA_OR_FAIL(cudaMemsetAsync(c->counters.data, 0, 3 * 8, c->stream));

  // A streamed corpus's tiles go through two staging buffers: the copy of the next tile (on
  // copy_stream) overlaps the work on this one, and waits until the tile before has been used.
  int64_t sequence = 0;  // streamed tiles started so far
  auto copy_tile = [&](int64_t tile, int slot) -> std::string {
    const int64_t t0 = tile * plan.tile, nt = std::min(plan.tile, n - t0);
    TRAWL_CUDA_OR_FAIL(cudaStreamWaitEvent(c->copy_stream, c->consumed[slot], 0));
    TRAWL_CUDA_OR_FAIL(cudaMemcpyAsync(c->staging32[slot].data, c->host_rows + t0 * d, nt * d * 4,
                                       cudaMemcpyHostToDevice, c->copy_stream));
    TRAWL_CUDA_OR_FAIL(cudaEventRecord(c->copied[slot], c->copy_stream));
    return "";
  };
  if (!c->resident) {
    error = copy_tile(0, 0);
    if (!error.empty()) return error;
  }

  std::vector<double> top_score(plan.batch * k);
  std::vector<long long> top_row(plan.batch * k);
  std::vector<int> top_count(plan.batch);
  const float one = 1.0f, zero = 0.0f;
  const double score_scale = l2 ? 2 : 1;  // a = score_scale G - ratio N_j
  const double du = c->padded_dim * 0x1p-22, gamma = du / (1 - du);
  for (int64_t b0 = 0; b0 < nq; b0 += plan.batch) {
    const int nb = static_cast<int>(std::min(plan.batch, nq - b0));
    TRAWL_CUDA_OR_FAIL(cudaMemcpyAsync(c->queries32.data, queries + b0 * d, int64_t{nb} * d * 4,
                                       cudaMemcpyHostToDevice, c->stream));
    QueryArgs qa;
    qa.queries = c->queries32.data;
    qa.batch = nb;
    qa.d = d;
    qa.padded_dim = c->padded_dim;
    qa.metric = c->metric;
    qa.corpus_exponent = c->exponent;
    qa.bound_scale = params.bound_scale;
    qa.queries16 = c->queries16.data;
    qa.params = c->params.data;
    qa.thresholds = c->thresholds.data;
    qa.candidates = c->cand_count.data;
    qa.top_count = c->top_count.data;
    qa.largest_norm = plan.half ? c->largest_query_norm.data : nullptr;
    if (plan.half) {
      TRAWL_CUDA_OR_FAIL(
          cudaMemsetAsync(c->largest_query_norm.data, 0, sizeof(unsigned), c->stream));
    }
    PrepareQueries<<<Blocks(nb, kQueryThreads), kQueryThreads, 0, c->stream>>>(qa);
    TRAWL_CUDA_OR_FAIL(cudaGetLastError());
    // fp16 scores (header: ERROR BOUND (b')): y = fp16(alpha G), alpha = 2^-shift the largest
    // power of two <= 1 with alpha (1 + g) max_q |Qh_q| max_j |Xh_j| <= 65504, so no |alpha G|
    // exceeds fp16's range.
    float alpha = 1, scale = static_cast<float>(score_scale), rel = 0, abs = 0;
    if (plan.half) {
      unsigned bits;
      TRAWL_CUDA_OR_FAIL(cudaMemcpyAsync(&bits, c->largest_query_norm.data, sizeof(bits),
                                         cudaMemcpyDeviceToHost, c->stream));
      TRAWL_CUDA_OR_FAIL(cudaStreamSynchronize(c->stream));
      float largest_query;
      std::memcpy(&largest_query, &bits, sizeof(largest_query));
      const double largest_score =
          (1 + gamma) * largest_query * c->largest_row_norm * kMargin * kMargin;
      int shift = 0;
      while (std::ldexp(largest_score, -shift) > kHalfMax) ++shift;
      alpha = std::ldexp(1.0f, -shift);
      scale = static_cast<float>(std::ldexp(score_scale, shift));
      rel = UpHost(0x1p-11 * params.bound_scale);
      abs = UpHost(std::ldexp(score_scale * 0x1p-24, shift) * params.bound_scale);
    }

    for (int64_t t = 0; t < tiles; ++t) {
      const int64_t t0 = t * plan.tile;
      const int nt = static_cast<int>(std::min(plan.tile, n - t0));
      if (stats != nullptr) TRAWL_CUDA_OR_FAIL(cudaEventRecord(c->timers[4 * t], c->stream));
      const __half* x16 = c->resident ? c->rows16.data + t0 * c->padded_dim : nullptr;
      const float* x32 = c->resident ? c->rows32.data + t0 * d : nullptr;
      const int slot = static_cast<int>(sequence % 2);
      if (!c->resident) {
        TRAWL_CUDA_OR_FAIL(cudaStreamWaitEvent(c->stream, c->copied[slot], 0));
        PrepareRows<<<Blocks(nt, kThreads), kThreads, 0, c->stream>>>(
            c->staging32[slot].data, nt, d, c->padded_dim, c->metric, c->exponent,
            c->staging16.data, nullptr, nullptr, nullptr);
        TRAWL_CUDA_OR_FAIL(cudaGetLastError());
        x16 = c->staging16.data;
        x32 = c->staging32[slot].data;
      }
      // scores (nt x nb, column-major, ld) = alpha rows16^T (nt x D) * queries16 (D x nb), fp32
      // accumulation, written as fp16 or float.
      TRAWL_CUBLAS_OR_FAIL(cublasGemmEx(
          c->cublas, CUBLAS_OP_T, CUBLAS_OP_N, nt, nb, c->padded_dim, plan.half ? &alpha : &one,
          x16, CUDA_R_16F, c->padded_dim, c->queries16.data, CUDA_R_16F, c->padded_dim, &zero,
          c->scores.data, plan.half ? CUDA_R_16F : CUDA_R_32F, static_cast<int>(plan.ld),
          CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
      if (stats != nullptr) TRAWL_CUDA_OR_FAIL(cudaEventRecord(c->timers[4 * t + 1], c->stream));

      SelectArgs sa;
      sa.scores = c->scores.data;
      sa.ld = plan.ld;
      sa.scale = scale;
      sa.rel = rel;
      sa.abs = abs;
      sa.row_bounds = c->row_bounds.data + t0;
      sa.row_squares = c->metric == Metric::kL2 ? c->row_squares.data + t0 : nullptr;
      sa.granules = c->granules.data;
      sa.row_offset = t0;
      sa.tile_rows = nt;
      sa.chunk_rows = static_cast<int>(plan.chunk_rows);
      sa.params = c->params.data;
      sa.batch = nb;
      sa.thresholds = c->thresholds.data;
      sa.cand_lower = c->cand_lower.data;
      sa.cand_upper = c->cand_upper.data;
      sa.cand_row = c->cand_row.data;
      sa.cand_count = c->cand_count.data;
      sa.capacity = static_cast<int>(plan.capacity);
      sa.k = k;
      sa.buffer = plan.buffer;
      const dim3 grid(Blocks(nt, static_cast<int>(plan.chunk_rows)), Blocks(nb, kGroup));
      select<<<grid, kThreads, select_shared, c->stream>>>(sa);
      TRAWL_CUDA_OR_FAIL(cudaGetLastError());
      if (stats != nullptr) TRAWL_CUDA_OR_FAIL(cudaEventRecord(c->timers[4 * t + 2], c->stream));

      RerankArgs ra;
      ra.metric = c->metric;
      ra.d = d;
      ra.k = k;
      ra.queries = c->queries32.data;
      ra.params = c->params.data;
      ra.rows = x32;
      ra.row_norms = c->metric == Metric::kCosine ? c->row_norms.data + t0 : nullptr;
      ra.tile_rows = nt;
      ra.row_offset = t0;
      ra.thresholds = c->thresholds.data;
      ra.cand_lower = c->cand_lower.data;
      ra.cand_upper = c->cand_upper.data;
      ra.cand_row = c->cand_row.data;
      ra.cand_count = c->cand_count.data;
      ra.capacity = static_cast<int>(plan.capacity);
      ra.top_score = c->top_score.data;
      ra.top_row = c->top_row.data;
      ra.top_count = c->top_count.data;
      ra.counters = c->counters.data;
      ra.buffer = plan.merge;
      Rerank<<<nb, kThreads, merge_shared, c->stream>>>(ra);
      TRAWL_CUDA_OR_FAIL(cudaGetLastError());
      if (stats != nullptr) TRAWL_CUDA_OR_FAIL(cudaEventRecord(c->timers[4 * t + 3], c->stream));

      if (!c->resident) {
        TRAWL_CUDA_OR_FAIL(cudaEventRecord(c->consumed[slot], c->stream));
        ++sequence;
        // The next tile in this search's order: this batch's next, or the next batch's first.
        const int64_t next = t + 1 < tiles ? t + 1 : (b0 + plan.batch < nq ? 0 : -1);
        if (next >= 0) {
          error = copy_tile(next, static_cast<int>(sequence % 2));
          if (!error.empty()) return error;
        }
      }
    }

    TRAWL_CUDA_OR_FAIL(cudaMemcpyAsync(top_score.data(), c->top_score.data, int64_t{nb} * k * 8,
                                       cudaMemcpyDeviceToHost, c->stream));
    TRAWL_CUDA_OR_FAIL(cudaMemcpyAsync(top_row.data(), c->top_row.data, int64_t{nb} * k * 8,
                                       cudaMemcpyDeviceToHost, c->stream));
    TRAWL_CUDA_OR_FAIL(cudaMemcpyAsync(top_count.data(), c->top_count.data, int64_t{nb} * 4,
                                       cudaMemcpyDeviceToHost, c->stream));
    TRAWL_CUDA_OR_FAIL(cudaStreamSynchronize(c->stream));
    if (stats != nullptr) {
      for (int64_t t = 0; t < tiles; ++t) {
        float ms[3];
        for (int j = 0; j < 3; ++j) {
          TRAWL_CUDA_OR_FAIL(
              cudaEventElapsedTime(&ms[j], c->timers[4 * t + j], c->timers[4 * t + j + 1]));
        }
        stats->gemm_seconds += ms[0] / 1e3;
        stats->select_seconds += ms[1] / 1e3;
        stats->rerank_seconds += ms[2] / 1e3;
      }
    }
    for (int i = 0; i < nb; ++i) {
      for (int j = 0; j < k; ++j) {
        const int64_t at = (b0 + i) * k + j;
        const bool found = j < top_count[i];
        rows_out[at] = found ? top_row[int64_t{i} * k + j] : -1;
        scores_out[at] =
            found ? top_score[int64_t{i} * k + j] : -std::numeric_limits<double>::infinity();
      }
    }
  }
  if (stats != nullptr) {
    unsigned long long counters[3];
    TRAWL_CUDA_OR_FAIL(cudaMemcpyAsync(counters, c->counters.data, sizeof(counters),
                                       cudaMemcpyDeviceToHost, c->stream));
    TRAWL_CUDA_OR_FAIL(cudaStreamSynchronize(c->stream));
    stats->candidates = static_cast<int64_t>(counters[0]);
    stats->rescored = static_cast<int64_t>(counters[1]);
    stats->fallbacks = static_cast<int64_t>(counters[2]);
  }
  return "";
}

}  // namespace

std::string Upload(int device, const float* rows, int64_t n, int d, Metric metric, bool resident,
                   Corpus** corpus, bool* out_of_memory) {
  *out_of_memory = false;
  *corpus = nullptr;
  if (n < 0) return "negative row count " + std::to_string(n);
  if (d < 1 || d > kMaxDim) {
    return "dimension must be in [1, " + std::to_string(kMaxDim) + "], got " + std::to_string(d);
  }
  if (n > 0 && rows == nullptr) return "no rows given";
  std::unique_ptr<Corpus> made(new Corpus());
  made->device = device;
  made->metric = metric;
  made->rows = n;
  made->dim = d;
  made->padded_dim = static_cast<int>(PaddedDim(d));
  made->resident = resident;
  made->host_rows = resident ? nullptr : rows;
  const std::string error = UploadInto(made.get(), rows, out_of_memory);
  if (!error.empty()) {
    Free(made.release());
    return error;
  }
  *corpus = made.release();
  return "";
}

std::string Search(Corpus* corpus, const float* queries, int64_t nq, int k,
                   const SearchParams& params, int64_t* rows_out, double* scores_out,
                   SearchStats* stats, bool* out_of_memory) {
  *out_of_memory = false;
  if (stats != nullptr) *stats = SearchStats();
  if (corpus == nullptr) return "no corpus";
  if (nq < 0) return "negative query count " + std::to_string(nq);
  if (k < 1 || k > kMaxK) {
    return "k must be in [1, " + std::to_string(kMaxK) + "], got " + std::to_string(k);
  }
  if (params.query_batch < 1 || params.query_batch > kMaxQueryBatch) {
    return "query_batch must be in [1, " + std::to_string(kMaxQueryBatch) + "], got " +
           std::to_string(params.query_batch);
  }
  if (params.tile_rows < 1) return "tile_rows must be >= 1";
  if (params.candidate_capacity < 0) return "candidate_capacity must be >= 0";
  if (!(params.bound_scale >= 0 && params.bound_scale <= 0x1p20)) {
    return "bound_scale must be in [0, 2^20]";
  }
  if (nq == 0) return "";
  if (queries == nullptr || rows_out == nullptr || scores_out == nullptr) return "null argument";
  for (int64_t i = 0; i < nq * corpus->dim; ++i) {
    if (!std::isfinite(queries[i])) return "queries hold a NaN or infinite value";
  }
  if (corpus->rows == 0) {
    std::fill(rows_out, rows_out + nq * k, -1);
    std::fill(scores_out, scores_out + nq * k, -std::numeric_limits<double>::infinity());
    return "";
  }
  return SearchChecked(corpus, queries, nq, k, params, rows_out, scores_out, stats, out_of_memory);
}

int64_t DeviceBytes(int64_t n, int d, Metric metric, bool resident) {
  int64_t bytes = kCublasWorkspaceBytes;
  if (n == 0) return bytes;
  bytes += n * 8 + CeilDiv(n, kGranule) * 16 + 8;
  if (metric == Metric::kL2) bytes += n * 4;
  if (metric == Metric::kCosine) bytes += n * 8;
  bytes += resident ? n * d * 4 + n * PaddedDim(d) * 2 : UploadChunkRows(n, d) * d * 4;
  return bytes;
}

int64_t ScratchBytes(int64_t n, int d, int k, bool resident, const SearchParams& params) {
  if (n == 0) return 0;
  return PlanBytes(MakePlan(n, k, params.query_batch, params), d, k, resident);
}

void Free(Corpus* corpus) {
  if (corpus == nullptr) return;
  cudaSetDevice(corpus->device);
  delete corpus;
}

}  // namespace exact_gpu
}  // namespace trawl
