// Plain reference of CE-LoRA's input gradient (kernel_abi.h, sampled_linear_grad): a full sort
// for the selection and the sums written out, in any precision T for the products (the scores
// are fp32, column_selection.h).
#ifndef SLIMTUNE_KERNELS_CPU_SAMPLED_LINEAR_REFERENCE_H
#define SLIMTUNE_KERNELS_CPU_SAMPLED_LINEAR_REFERENCE_H

#include "kernels/common/column_selection.h"
#include "slimtune/kernel_abi.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

namespace slimtune::cpu::reference {

// The k features with the highest score ‖dy[:, j]‖ · norms[j], ascending, into columns.
inline void selectColumns(int32_t *columns, const float *dy, const float *norms, int64_t n,
                          int64_t out, int64_t k) {
  std::vector<float> score(static_cast<size_t>(out), 0.0f);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < out; ++j)
      score[j] += dy[i * out + j] * dy[i * out + j];
  for (int64_t j = 0; j < out; ++j)
    score[j] = std::sqrt(score[j]) * norms[j];
  std::vector<int32_t> order(static_cast<size_t>(out));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int32_t a, int32_t b) { return common::ranksBefore(score.data(), a, b); });
  std::sort(order.begin(), order.begin() + k);
  std::copy(order.begin(), order.begin() + k, columns);
}

// dx [n, in] = dy[:, S] W[S] + (dy[:, ~S] L[~S]) R for the features S in columns, with the
// SVD pair W ≈ left·right as stored: for layout 0 (W [out, in]) L = left [out, r] and
// R = right [r, in]; for layout 1 (W [in, out]) L = rightᵀ, R = leftᵀ. On step 0, dx = dy W.
// The columns are the previous ones, or chosen again when *step % refresh == 0. `work` unused.
template <typename T>
int32_t sampledLinearGrad(T *dx, int32_t *columns, const int32_t *previous, const T *dy,
                          const void *w, const float *left, const float *right, const float *norms,
                          T *, int64_t n, int64_t in, int64_t out, int64_t k, int64_t r,
                          int64_t refresh, int32_t layout, int32_t wBf16, const int32_t *step) {
  const bool inOut = layout != 0, bf16 = wBf16 != 0;
  if (k < 1 || k > out || r < 1 || refresh < 1)
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  if (*step % refresh == 0) {
    std::vector<float> dyF(dy, dy + n * out);
    selectColumns(columns, dyF.data(), norms, n, out, k);
  } else {
    std::vector<int32_t> kept(previous, previous + k); // columns may alias previous
    std::copy(kept.begin(), kept.end(), columns);
  }
  std::vector<char> kept(static_cast<size_t>(out), *step == 0 ? 1 : 0);
  if (*step != 0)
    for (int64_t s = 0; s < k; ++s) {
      if (columns[s] < 0 || columns[s] >= out)
        return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
      kept[columns[s]] = 1;
    }
  // L[j, q] and R[q, c] of the pair, whichever way it is stored.
  auto L = [&](int64_t j, int64_t q) { return T(inOut ? right[q * out + j] : left[j * r + q]); };
  auto R = [&](int64_t q, int64_t c) { return T(inOut ? left[c * r + q] : right[q * in + c]); };
  for (int64_t i = 0; i < n; ++i) {
    std::vector<T> t(static_cast<size_t>(r), T(0));
    for (int64_t j = 0; j < out; ++j)
      if (!kept[j])
        for (int64_t q = 0; q < r; ++q)
          t[q] += dy[i * out + j] * L(j, q);
    for (int64_t c = 0; c < in; ++c) {
      T sum = 0;
      for (int64_t j = 0; j < out; ++j)
        if (kept[j])
          sum += dy[i * out + j] * T(common::weightAt(w, bf16, common::featureElement(inOut, in, out, j, c)));
      for (int64_t q = 0; q < r; ++q)
        sum += t[q] * R(q, c);
      dx[i * in + c] = sum;
    }
  }
  return SLIMTUNE_KERNEL_OK;
}

} // namespace slimtune::cpu::reference

#endif // SLIMTUNE_KERNELS_CPU_SAMPLED_LINEAR_REFERENCE_H
