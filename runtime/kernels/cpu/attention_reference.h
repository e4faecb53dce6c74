// Plain reference of causal grouped-query attention and its gradient, templated on the element
// type so that tests can run it in double precision. Semantics: ATTENTION and ATTENTION_GRAD in
// kernel_abi.h. The references take no workspace (they allocate what they need); everything
// else matches the fast kernels' parameters.
#ifndef SLIMTUNE_KERNELS_CPU_ATTENTION_REFERENCE_H
#define SLIMTUNE_KERNELS_CPU_ATTENTION_REFERENCE_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace slimtune::cpu {

// Test hook: whether the fast attention kernels use their AVX2+FMA tiles (when the CPU has
// them) or the portable row-by-row loops. Returns whether the AVX2 tiles are now in use.
bool setAttentionSimd(bool enabled);

namespace reference {

// q, o [b, t, heads*d]; k, v [b, t, kvHeads*d]; lse [b, heads, t]. Query head h reads kv head
// h / (heads / kvHeads); position i attends to j <= i with scores scale * q_i . k_j.
template <typename T>
void attention(T *o, T *lse, const T *q, const T *k, const T *v, int64_t b, int64_t t,
               int64_t heads, int64_t kvHeads, int64_t d, T scale) {
  const int64_t group = heads / kvHeads, qStride = heads * d, kvStride = kvHeads * d;
  std::vector<T> s(t);
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t g = h / group;
      for (int64_t i = 0; i < t; ++i) {
        const T *qi = q + (bi * t + i) * qStride + h * d;
        T maximum = -std::numeric_limits<T>::infinity();
        for (int64_t j = 0; j <= i; ++j) {
          const T *kj = k + (bi * t + j) * kvStride + g * d;
          T dot = 0;
          for (int64_t c = 0; c < d; ++c)
            dot += qi[c] * kj[c];
          s[j] = scale * dot;
          maximum = std::max(maximum, s[j]);
        }
        T sum = 0;
        for (int64_t j = 0; j <= i; ++j) {
          s[j] = std::exp(s[j] - maximum);
          sum += s[j];
        }
        T *oi = o + (bi * t + i) * qStride + h * d;
        for (int64_t c = 0; c < d; ++c) {
          T acc = 0;
          for (int64_t j = 0; j <= i; ++j)
            acc += s[j] * v[(bi * t + j) * kvStride + g * d + c];
          oi[c] = acc / sum;
        }
        lse[(bi * heads + h) * t + i] = maximum + std::log(sum);
      }
    }
}

// Gradients of attention's o (lse is an auxiliary output, not differentiated): with
// P_ij = exp(scale q_i.k_j - lse_i) (j <= i), D_i = dout_i . o_i, dS_ij = P_ij (dout_i.v_j - D_i):
// dq_i = scale sum_j dS_ij k_j, dk_j = scale sum_{i, heads of the group} dS_ij q_i,
// dv_j = sum_{i, heads of the group} P_ij dout_i. dq, dk, dv are overwritten.
template <typename T>
void attentionGrad(T *dq, T *dk, T *dv, const T *q, const T *k, const T *v, const T *o,
                   const T *lse, const T *dout, int64_t b, int64_t t, int64_t heads,
                   int64_t kvHeads, int64_t d, T scale) {
  const int64_t group = heads / kvHeads, qStride = heads * d, kvStride = kvHeads * d;
  std::fill(dq, dq + b * t * qStride, T(0));
  std::fill(dk, dk + b * t * kvStride, T(0));
  std::fill(dv, dv + b * t * kvStride, T(0));
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t g = h / group;
      for (int64_t i = 0; i < t; ++i) {
        const T *qi = q + (bi * t + i) * qStride + h * d;
        const T *oi = o + (bi * t + i) * qStride + h * d;
        const T *doi = dout + (bi * t + i) * qStride + h * d;
        T *dqi = dq + (bi * t + i) * qStride + h * d;
        const T rowLse = lse[(bi * heads + h) * t + i];
        T rowD = 0;
        for (int64_t c = 0; c < d; ++c)
          rowD += doi[c] * oi[c];
        for (int64_t j = 0; j <= i; ++j) {
          const T *kj = k + (bi * t + j) * kvStride + g * d;
          const T *vj = v + (bi * t + j) * kvStride + g * d;
          T *dkj = dk + (bi * t + j) * kvStride + g * d;
          T *dvj = dv + (bi * t + j) * kvStride + g * d;
          T score = 0, dp = 0;
          for (int64_t c = 0; c < d; ++c) {
            score += qi[c] * kj[c];
            dp += doi[c] * vj[c];
          }
          const T p = std::exp(scale * score - rowLse);
          const T ds = p * (dp - rowD);
          for (int64_t c = 0; c < d; ++c) {
            dqi[c] += scale * ds * kj[c];
            dkj[c] += scale * ds * qi[c];
            dvj[c] += p * doi[c];
          }
        }
      }
    }
}

} // namespace reference
} // namespace slimtune::cpu

#endif // SLIMTUNE_KERNELS_CPU_ATTENTION_REFERENCE_H
