// Causal attention with grouped KV heads, forward and backward, flash style: scores are made
// and consumed in 32 x 32 tiles on the stack, never as a T x T matrix.
//
// Forward: work items are (batch, kv head, 32-query block), dynamically spread over the cores
// (a block's cost grows with its position); the query heads of the group are done together so
// that one transposed key block serves them all. Each item streams the key blocks j0 <= i0
// with an online softmax (running max m per row kept in lse, running sum l in the workspace;
// o rescaled when m grows) and ends with o / l and lse = m + log l.
//
// Backward: work items are (batch, kv head), so that each item owns its dk, dv rows and the dq
// rows of its group's query heads: no races, no atomics. Per key block (transposed k and v),
// query head and query block it recomputes P = exp(scale q k^T - lse) and, with D =
// rowsum(dout o) in the workspace, dS = scale P (dout v^T - D), then dv += P^T dout,
// dk += dS^T q, dq += dS k. The first update of each output overwrites it (no zeroing pass).
//
// Every tile product is one AVX2+FMA micro-kernel (6 rows x 16 columns of "broadcast a, stream
// b", keys transposed for the score tiles), and each micro-tile is cut to what the causal mask
// leaves of it, so the masked upper triangle costs (almost) nothing. It runs when the CPU has
// AVX2+FMA and head_dim is a multiple of 8 (<= 256); otherwise a portable row-by-row version
// runs, which is what the workspace sizes of workspace.h are for (one score row per (batch,
// head) forward, two backward).
#include "kernels/cpu/attention_reference.h"
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/kernels.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>

namespace slimtune::cpu {
namespace {

constexpr int kBlock = 32;           // query rows and keys per tile
constexpr int64_t kMaxHeadDim = 256; // the AVX2 tiles keep a transposed key block on the stack
constexpr float kInfinity = std::numeric_limits<float>::infinity();

std::atomic<bool> simdEnabled{true};

bool useSimd(int64_t headDim) {
  return headDim % 8 == 0 && headDim <= kMaxHeadDim && cpuHasAvx2() &&
         simdEnabled.load(std::memory_order_relaxed);
}

//===-- AVX2 helpers ------------------------------------------------------------------===//

SLIMTUNE_AVX2 inline void scaleRow(float *x, int64_t d, float factor) {
  const __m256 f = _mm256_set1_ps(factor);
  for (int64_t c = 0; c < d; c += 8)
    _mm256_storeu_ps(x + c, _mm256_mul_ps(_mm256_loadu_ps(x + c), f));
}

SLIMTUNE_AVX2 inline float dotRow(const float *a, const float *b, int64_t d) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t c = 0;
  for (; c + 16 <= d; c += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + c), _mm256_loadu_ps(b + c), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + c + 8), _mm256_loadu_ps(b + c + 8), acc1);
  }
  if (c < d)
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + c), _mm256_loadu_ps(b + c), acc0);
  return hsum(_mm256_add_ps(acc0, acc1));
}

// dst[p * kBlock + c] = factor * src[c * ld + p] for c < cols (<= kBlock), p < d (d % 8 == 0):
// a block of keys (or values) turned into head_dim rows of kBlock columns, so that the score
// tiles are products of the same "broadcast a, stream b" form as the others. Columns cols up to
// the next multiple of 8 are zero.
SLIMTUNE_AVX2 void transposeBlock(float *dst, const float *src, int64_t ld, int cols, int64_t d,
                                  float factor) {
  const __m256 f = _mm256_set1_ps(factor);
  int c0 = 0;
  for (; c0 + 8 <= cols; c0 += 8)
    for (int64_t p = 0; p < d; p += 8) {
      const float *in = src + c0 * ld + p;
      __m256 r0 = _mm256_loadu_ps(in), r1 = _mm256_loadu_ps(in + ld),
             r2 = _mm256_loadu_ps(in + 2 * ld), r3 = _mm256_loadu_ps(in + 3 * ld),
             r4 = _mm256_loadu_ps(in + 4 * ld), r5 = _mm256_loadu_ps(in + 5 * ld),
             r6 = _mm256_loadu_ps(in + 6 * ld), r7 = _mm256_loadu_ps(in + 7 * ld);
      __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1),
             t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3),
             t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
             t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)),
             u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)),
             u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)),
             u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2)),
             u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)),
             u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2)),
             u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)),
             u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
      float *out = dst + p * kBlock + c0;
      _mm256_store_ps(out, _mm256_mul_ps(f, _mm256_permute2f128_ps(u0, u4, 0x20)));
      _mm256_store_ps(out + kBlock, _mm256_mul_ps(f, _mm256_permute2f128_ps(u1, u5, 0x20)));
      _mm256_store_ps(out + 2 * kBlock, _mm256_mul_ps(f, _mm256_permute2f128_ps(u2, u6, 0x20)));
      _mm256_store_ps(out + 3 * kBlock, _mm256_mul_ps(f, _mm256_permute2f128_ps(u3, u7, 0x20)));
      _mm256_store_ps(out + 4 * kBlock, _mm256_mul_ps(f, _mm256_permute2f128_ps(u0, u4, 0x31)));
      _mm256_store_ps(out + 5 * kBlock, _mm256_mul_ps(f, _mm256_permute2f128_ps(u1, u5, 0x31)));
      _mm256_store_ps(out + 6 * kBlock, _mm256_mul_ps(f, _mm256_permute2f128_ps(u2, u6, 0x31)));
      _mm256_store_ps(out + 7 * kBlock, _mm256_mul_ps(f, _mm256_permute2f128_ps(u3, u7, 0x31)));
    }
  if (c0 < cols)
    for (int64_t p = 0; p < d; ++p)
      for (int c = c0; c < c0 + 8; ++c)
        dst[p * kBlock + c] = c < cols ? factor * src[c * ld + p] : 0.0f;
}

// c_m[j] (+)= sum_{kBegin <= k < kEnd} a[m sam + k sak] * b_k[j] for m < M, j < n (n % 8 == 0),
// with c_m = c + m ldc and b_k = b + k ldb: M rows of 16 (then 8) columns held in registers
// while k streams. Accumulate = false overwrites c.
template <int M, bool Accumulate>
SLIMTUNE_AVX2 void updateRows(float *c, int64_t ldc, const float *a, int64_t sam, int64_t sak,
                              int64_t kBegin, int64_t kEnd, const float *b, int64_t ldb,
                              int64_t n) {
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    __m256 acc[M][2];
    for (int m = 0; m < M; ++m) {
      acc[m][0] = Accumulate ? _mm256_loadu_ps(c + m * ldc + j) : _mm256_setzero_ps();
      acc[m][1] = Accumulate ? _mm256_loadu_ps(c + m * ldc + j + 8) : _mm256_setzero_ps();
    }
    for (int64_t k = kBegin; k < kEnd; ++k) {
      const __m256 b0 = _mm256_loadu_ps(b + k * ldb + j), b1 = _mm256_loadu_ps(b + k * ldb + j + 8);
      for (int m = 0; m < M; ++m) {
        const __m256 x = _mm256_broadcast_ss(a + m * sam + k * sak);
        acc[m][0] = _mm256_fmadd_ps(x, b0, acc[m][0]);
        acc[m][1] = _mm256_fmadd_ps(x, b1, acc[m][1]);
      }
    }
    for (int m = 0; m < M; ++m) {
      _mm256_storeu_ps(c + m * ldc + j, acc[m][0]);
      _mm256_storeu_ps(c + m * ldc + j + 8, acc[m][1]);
    }
  }
  if (j < n) { // 8 columns left
    __m256 acc[M];
    for (int m = 0; m < M; ++m)
      acc[m] = Accumulate ? _mm256_loadu_ps(c + m * ldc + j) : _mm256_setzero_ps();
    for (int64_t k = kBegin; k < kEnd; ++k) {
      const __m256 b0 = _mm256_loadu_ps(b + k * ldb + j);
      for (int m = 0; m < M; ++m)
        acc[m] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + m * sam + k * sak), b0, acc[m]);
    }
    for (int m = 0; m < M; ++m)
      _mm256_storeu_ps(c + m * ldc + j, acc[m]);
  }
}

// Which part of a tile product the causal mask leaves, for output row m of a tile whose query
// rows start diag positions after its keys (entry (query r, key c) is visible when c <= r + diag):
//   Full: everything; KeysUpTo: rows are queries, k runs over keys c <= m + diag;
//   QueriesFrom: rows are keys, k runs over queries r >= m - diag;
//   ColumnsUpTo: rows are queries, columns are keys c <= m + diag (rounded up to 8).
enum class Causal { Full, KeysUpTo, QueriesFrom, ColumnsUpTo };

// updateRows over `rows` rows, in micro-tiles of 6 rows (4 + 4 or 4 + 3 at the end), each
// limited to what the causal mask leaves of it.
template <bool Accumulate>
SLIMTUNE_AVX2 void updateTile(float *c, int64_t ldc, int rows, const float *a, int64_t sam,
                              int64_t sak, int64_t kCount, const float *b, int64_t ldb, int64_t n,
                              Causal causal, int64_t diag) {
  for (int m0 = 0; m0 < rows;) {
    const int left = rows - m0;
    const int count = left > 8 ? 6 : left > 6 ? (left + 1) / 2 : left;
    const int64_t last = m0 + count - 1;
    int64_t kBegin = 0, kEnd = kCount, columns = n;
    if (causal == Causal::KeysUpTo)
      kEnd = std::min(kCount, last + diag + 1);
    else if (causal == Causal::QueriesFrom)
      kBegin = std::max<int64_t>(0, m0 - diag);
    else if (causal == Causal::ColumnsUpTo)
      columns = std::min(n, (last + diag + 1 + 7) / 8 * 8);
    float *cm = c + m0 * ldc;
    const float *am = a + m0 * sam;
    switch (count) {
    case 6:
      updateRows<6, Accumulate>(cm, ldc, am, sam, sak, kBegin, kEnd, b, ldb, columns);
      break;
    case 5:
      updateRows<5, Accumulate>(cm, ldc, am, sam, sak, kBegin, kEnd, b, ldb, columns);
      break;
    case 4:
      updateRows<4, Accumulate>(cm, ldc, am, sam, sak, kBegin, kEnd, b, ldb, columns);
      break;
    case 3:
      updateRows<3, Accumulate>(cm, ldc, am, sam, sak, kBegin, kEnd, b, ldb, columns);
      break;
    case 2:
      updateRows<2, Accumulate>(cm, ldc, am, sam, sak, kBegin, kEnd, b, ldb, columns);
      break;
    default:
      updateRows<1, Accumulate>(cm, ldc, am, sam, sak, kBegin, kEnd, b, ldb, columns);
      break;
    }
    m0 += count;
  }
}

// c (+)= a b as above, accumulating into c or overwriting it.
SLIMTUNE_AVX2 void updateTile(bool accumulate, float *c, int64_t ldc, int rows, const float *a,
                              int64_t sam, int64_t sak, int64_t kCount, const float *b, int64_t ldb,
                              int64_t n, Causal causal, int64_t diag) {
  if (accumulate)
    updateTile<true>(c, ldc, rows, a, sam, sak, kCount, b, ldb, n, causal, diag);
  else
    updateTile<false>(c, ldc, rows, a, sam, sak, kCount, b, ldb, n, causal, diag);
}

// Shapes of one (batch, head) slice: row strides of q/o/dout and of k/v, head_dim, t.
struct Slice {
  int64_t t, qStride, kvStride, d;
  float scale;
};

// Forward of query rows [i0, i0 + kBlock) of the `group` query heads that share one kv head:
// q, o at row 0 of the first of them, k, v at row 0 of the kv head, lse and rowSum at the
// first head's row of t values (heads' rows follow each other). The running maximum of each
// row lives in lse and the running sum in rowSum (the workspace) until the last key block.
SLIMTUNE_AVX2 void forwardBlock(float *o, float *lse, float *rowSum, const float *q, const float *k,
                                const float *v, int64_t group, const Slice &sl, int64_t i0) {
  alignas(32) float kt[kMaxHeadDim * kBlock];
  alignas(32) float s[kBlock * kBlock] = {};
  const int rows = static_cast<int>(std::min<int64_t>(kBlock, sl.t - i0));
  const int64_t d = sl.d, qs = sl.qStride;
  for (int64_t h = 0; h < group; ++h)
    for (int r = 0; r < rows; ++r) {
      lse[h * sl.t + i0 + r] = -kInfinity;
      rowSum[h * sl.t + i0 + r] = 0;
    }
  for (int64_t j0 = 0; j0 < i0 + rows; j0 += kBlock) {
    const int cols = static_cast<int>(std::min<int64_t>(kBlock, i0 + rows - j0));
    const int64_t diag = i0 - j0;
    transposeBlock(kt, k + j0 * sl.kvStride, sl.kvStride, cols, d, sl.scale);
    for (int64_t h = 0; h < group; ++h) {
      float *oh = o + i0 * qs + h * d, *maxima = lse + h * sl.t + i0,
            *sums = rowSum + h * sl.t + i0;
      // s = q_i (scale k_j)^T
      updateTile(false, s, kBlock, rows, q + i0 * qs + h * d, qs, 1, d, kt, kBlock,
                 (cols + 7) / 8 * 8, Causal::ColumnsUpTo, diag);
      for (int r = 0; r < rows; ++r) {
        float *sr = s + r * kBlock;
        const int limit = static_cast<int>(std::min<int64_t>(cols, r + diag + 1));
        __m256 vmax = _mm256_set1_ps(-kInfinity);
        for (int c = 0; c < limit; c += 8) {
          const __m256 x = _mm256_load_ps(sr + c);
          vmax = _mm256_max_ps(vmax, c + 8 <= limit ? x
                                                    : _mm256_blendv_ps(_mm256_set1_ps(-kInfinity),
                                                                       x, lanesBelow(c, limit)));
        }
        const float newMax = std::max(maxima[r], hmax(vmax));
        const float rescale = newMax == maxima[r] ? 1.0f : std::exp(maxima[r] - newMax);
        const __m256 m = _mm256_set1_ps(newMax);
        __m256 sum = _mm256_setzero_ps();
        for (int c = 0; c < cols; c += 8) { // zeros from limit up to cols, read by the update
          __m256 p = exp256(_mm256_sub_ps(_mm256_load_ps(sr + c), m));
          if (c + 8 > limit)
            p = _mm256_and_ps(p, lanesBelow(c, limit));
          _mm256_store_ps(sr + c, p);
          sum = _mm256_add_ps(sum, p);
        }
        sums[r] = sums[r] * rescale + hsum(sum);
        if (rescale != 1.0f && j0 > 0)
          scaleRow(oh + r * qs, d, rescale);
        maxima[r] = newMax;
      }
      // o_i += P v_j (o_i = P v_0 on the first block)
      updateTile(j0 > 0, oh, qs, rows, s, kBlock, 1, cols, v + j0 * sl.kvStride, sl.kvStride, d,
                 Causal::KeysUpTo, diag);
    }
  }
  for (int64_t h = 0; h < group; ++h)
    for (int r = 0; r < rows; ++r) {
      const float sum = rowSum[h * sl.t + i0 + r];
      scaleRow(o + (i0 + r) * qs + h * d, d, 1.0f / sum);
      lse[h * sl.t + i0 + r] += std::log(sum);
    }
}

// Backward of the `group` query heads sharing one kv head (pointers at row 0 of the first
// head / of the kv head, lse and rowD at the first head's row of t values): dq of those heads
// and dk, dv of the kv head, overwritten (their first updates do not accumulate).
SLIMTUNE_AVX2 void backwardGroup(float *dq, float *dk, float *dv, const float *q, const float *k,
                                 const float *v, const float *lse, const float *rowD,
                                 const float *dout, int64_t group, const Slice &sl) {
  alignas(32) float kt[kMaxHeadDim * kBlock];
  alignas(32) float vt[kMaxHeadDim * kBlock];
  alignas(32) float p[kBlock * kBlock] = {};
  alignas(32) float ds[kBlock * kBlock] = {};
  const int64_t d = sl.d, qs = sl.qStride, kvs = sl.kvStride;
  const __m256 scale = _mm256_set1_ps(sl.scale);
  for (int64_t j0 = 0; j0 < sl.t; j0 += kBlock) {
    const int cols = static_cast<int>(std::min<int64_t>(kBlock, sl.t - j0));
    const int64_t paddedCols = (cols + 7) / 8 * 8;
    transposeBlock(kt, k + j0 * kvs, kvs, cols, d, sl.scale);
    transposeBlock(vt, v + j0 * kvs, kvs, cols, d, 1.0f);
    for (int64_t h = 0; h < group; ++h) {
      const float *qh = q + h * d, *douth = dout + h * d, *lseh = lse + h * sl.t,
                  *rowDh = rowD + h * sl.t;
      float *dqh = dq + h * d;
      for (int64_t i0 = j0; i0 < sl.t; i0 += kBlock) {
        const int rows = static_cast<int>(std::min<int64_t>(kBlock, sl.t - i0));
        const int64_t diag = i0 - j0;
        // s = q_i (scale k_j)^T, dP = dout_i v_j^T
        updateTile(false, p, kBlock, rows, qh + i0 * qs, qs, 1, d, kt, kBlock, paddedCols,
                   Causal::ColumnsUpTo, diag);
        updateTile(false, ds, kBlock, rows, douth + i0 * qs, qs, 1, d, vt, kBlock, paddedCols,
                   Causal::ColumnsUpTo, diag);
        for (int r = 0; r < rows; ++r) {
          const int limit = static_cast<int>(std::min<int64_t>(cols, r + diag + 1));
          const __m256 l = _mm256_set1_ps(lseh[i0 + r]), dr = _mm256_set1_ps(rowDh[i0 + r]);
          float *pr = p + r * kBlock, *dsr = ds + r * kBlock;
          for (int c = 0; c < cols; c += 8) {
            const __m256 mask = lanesBelow(c, limit);
            const __m256 pv = _mm256_and_ps(exp256(_mm256_sub_ps(_mm256_load_ps(pr + c), l)), mask);
            const __m256 dsv =
                _mm256_mul_ps(_mm256_mul_ps(pv, scale), _mm256_sub_ps(_mm256_load_ps(dsr + c), dr));
            _mm256_store_ps(pr + c, pv);
            _mm256_store_ps(dsr + c, _mm256_and_ps(dsv, mask));
          }
        }
        // dv_j += P^T dout_i, dk_j += (scale dS)^T q_i, dq_i += (scale dS) k_j
        const bool firstForKeys = h == 0 && i0 == j0, firstForQueries = j0 == 0;
        updateTile(!firstForKeys, dv + j0 * kvs, kvs, cols, p, 1, kBlock, rows, douth + i0 * qs, qs,
                   d, Causal::QueriesFrom, diag);
        updateTile(!firstForKeys, dk + j0 * kvs, kvs, cols, ds, 1, kBlock, rows, qh + i0 * qs, qs,
                   d, Causal::QueriesFrom, diag);
        updateTile(!firstForQueries, dqh + i0 * qs, qs, rows, ds, kBlock, 1, cols, k + j0 * kvs,
                   kvs, d, Causal::KeysUpTo, diag);
      }
    }
  }
}

SLIMTUNE_AVX2 void rowDotsAvx2(float *out, const float *a, const float *b, const Slice &sl) {
  for (int64_t i = 0; i < sl.t; ++i)
    out[i] = dotRow(a + i * sl.qStride, b + i * sl.qStride, sl.d);
}

//===-- Portable row-by-row version ---------------------------------------------------===//

float dotPortable(const float *a, const float *b, int64_t d) {
  float acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t c = 0; c < d; ++c)
    acc += a[c] * b[c];
  return acc;
}

// One (batch, head): row holds the t scores of one query row.
void forwardHeadPortable(float *o, float *lse, const float *q, const float *k, const float *v,
                         float *row, const Slice &sl) {
  const int64_t d = sl.d;
  for (int64_t i = 0; i < sl.t; ++i) {
    const float *qi = q + i * sl.qStride;
    float maximum = -kInfinity;
    for (int64_t j = 0; j <= i; ++j) {
      row[j] = sl.scale * dotPortable(qi, k + j * sl.kvStride, d);
      maximum = std::max(maximum, row[j]);
    }
    double sum = 0;
    for (int64_t j = 0; j <= i; ++j) {
      row[j] = std::exp(row[j] - maximum);
      sum += row[j];
    }
    float *oi = o + i * sl.qStride;
    std::fill(oi, oi + d, 0.0f);
    for (int64_t j = 0; j <= i; ++j) {
      const float *vj = v + j * sl.kvStride;
      for (int64_t c = 0; c < d; ++c)
        oi[c] += row[j] * vj[c];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t c = 0; c < d; ++c)
      oi[c] *= inv;
    lse[i] = maximum + static_cast<float>(std::log(sum));
  }
}

// One query head into dq (zeroed here) and dk, dv (zeroed by the caller); rows: 2t floats.
void backwardHeadPortable(float *dq, float *dk, float *dv, const float *q, const float *k,
                          const float *v, const float *o, const float *lse, const float *dout,
                          float *rows, const Slice &sl) {
  const int64_t d = sl.d;
  float *p = rows, *ds = rows + sl.t;
  for (int64_t i = 0; i < sl.t; ++i) {
    const float *qi = q + i * sl.qStride, *doi = dout + i * sl.qStride;
    const float rowD = dotPortable(doi, o + i * sl.qStride, d);
    for (int64_t j = 0; j <= i; ++j) {
      p[j] = std::exp(sl.scale * dotPortable(qi, k + j * sl.kvStride, d) - lse[i]);
      ds[j] = sl.scale * p[j] * (dotPortable(doi, v + j * sl.kvStride, d) - rowD);
    }
    float *dqi = dq + i * sl.qStride;
    std::fill(dqi, dqi + d, 0.0f);
    for (int64_t j = 0; j <= i; ++j) {
      const float *kj = k + j * sl.kvStride;
      float *dkj = dk + j * sl.kvStride, *dvj = dv + j * sl.kvStride;
      for (int64_t c = 0; c < d; ++c) {
        dqi[c] += ds[j] * kj[c];
        dkj[c] += ds[j] * qi[c];
        dvj[c] += p[j] * doi[c];
      }
    }
  }
}

void zeroRows(float *x, int64_t rows, int64_t stride, int64_t width) {
  for (int64_t i = 0; i < rows; ++i)
    std::memset(x + i * stride, 0, width * sizeof(float));
}

} // namespace

bool setAttentionSimd(bool enabled) {
  simdEnabled.store(enabled, std::memory_order_relaxed);
  return enabled && cpuHasAvx2();
}

void attention(float *o, float *lse, const float *q, const float *k, const float *v, float *work,
               int64_t b, int64_t t, int64_t heads, int64_t kvHeads, int64_t headDim, float scale) {
  const Slice sl{t, heads * headDim, kvHeads * headDim, headDim, scale};
  const int64_t group = heads / kvHeads;
  if (useSimd(headDim)) {
    // Items: (batch, kv head, query block), the group's heads together (one transposed key
    // block serves them all); largest blocks (the last query rows) first, so that the dynamic
    // schedule ends evenly.
    const int64_t blocks = (t + kBlock - 1) / kBlock, slices = b * kvHeads;
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t item = 0; item < slices * blocks; ++item) {
      const int64_t block = blocks - 1 - item / slices, bg = item % slices;
      const int64_t bi = bg / kvHeads, g = bg % kvHeads, bh = bi * heads + g * group;
      const int64_t qOffset = bi * t * sl.qStride + g * group * headDim;
      const int64_t kvOffset = bi * t * sl.kvStride + g * headDim;
      forwardBlock(o + qOffset, lse + bh * t, work + bh * t, q + qOffset, k + kvOffset,
                   v + kvOffset, group, sl, block * kBlock);
    }
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t bh = 0; bh < b * heads; ++bh) {
    const int64_t bi = bh / heads, h = bh % heads;
    forwardHeadPortable(o + bi * t * sl.qStride + h * headDim, lse + bh * t,
                        q + bi * t * sl.qStride + h * headDim,
                        k + bi * t * sl.kvStride + (h / group) * headDim,
                        v + bi * t * sl.kvStride + (h / group) * headDim, work + bh * t, sl);
  }
}

void attentionGrad(float *dq, float *dk, float *dv, const float *q, const float *k, const float *v,
                   const float *o, const float *lse, const float *dout, float *work, int64_t b,
                   int64_t t, int64_t heads, int64_t kvHeads, int64_t headDim, float scale) {
  const Slice sl{t, heads * headDim, kvHeads * headDim, headDim, scale};
  const int64_t group = heads / kvHeads;
  const bool simd = useSimd(headDim);
  // One item per (batch, kv head): it owns dk, dv of that kv head and dq of its query heads.
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t item = 0; item < b * kvHeads; ++item) {
    const int64_t bi = item / kvHeads, g = item % kvHeads, bh = bi * heads + g * group;
    const int64_t kvOffset = bi * t * sl.kvStride + g * headDim;
    const int64_t qOffset = bi * t * sl.qStride + g * group * headDim;
    if (simd) {
      // D_i = dout_i . o_i of the group's heads, in their workspace rows.
      for (int64_t h = 0; h < group; ++h)
        rowDotsAvx2(work + (bh + h) * t, dout + qOffset + h * headDim, o + qOffset + h * headDim,
                    sl);
      backwardGroup(dq + qOffset, dk + kvOffset, dv + kvOffset, q + qOffset, k + kvOffset,
                    v + kvOffset, lse + bh * t, work + bh * t, dout + qOffset, group, sl);
      continue;
    }
    zeroRows(dk + kvOffset, t, sl.kvStride, headDim);
    zeroRows(dv + kvOffset, t, sl.kvStride, headDim);
    for (int64_t h = 0; h < group; ++h)
      backwardHeadPortable(dq + qOffset + h * headDim, dk + kvOffset, dv + kvOffset,
                           q + qOffset + h * headDim, k + kvOffset, v + kvOffset,
                           o + qOffset + h * headDim, lse + (bh + h) * t,
                           dout + qOffset + h * headDim, work + (bh + h) * 2 * t, sl);
  }
}

} // namespace slimtune::cpu
