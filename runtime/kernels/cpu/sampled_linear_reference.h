// Plain reference of CE-LoRA's column-sampled input gradient (kernel_abi.h,
// sampled_linear_grad): a full sort for the selection and triple loops for the products, in
// any precision T for the products (the scores are fp32, column_selection.h).
#ifndef SLIMTUNE_KERNELS_CPU_SAMPLED_LINEAR_REFERENCE_H
#define SLIMTUNE_KERNELS_CPU_SAMPLED_LINEAR_REFERENCE_H

#include "kernels/common/column_selection.h"
#include "slimtune/kernel_abi.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

namespace slimtune::cpu::reference {

// The k features with the highest score ‖dy[:, j]‖ · ‖W_j‖, ascending, into columns.
inline void selectColumns(int32_t *columns, const float *dy, const void *w, bool bf16, bool inOut,
                          int64_t n, int64_t in, int64_t out, int64_t k) {
  std::vector<float> score(static_cast<size_t>(out), 0.0f);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < out; ++j)
      score[j] += dy[i * out + j] * dy[i * out + j];
  for (int64_t j = 0; j < out; ++j)
    score[j] = std::sqrt(score[j]) * common::weightFeatureNorm(w, bf16, inOut, in, out, j);
  std::vector<int32_t> order(static_cast<size_t>(out));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int32_t a, int32_t b) { return common::ranksBefore(score.data(), a, b); });
  std::sort(order.begin(), order.begin() + k);
  std::copy(order.begin(), order.begin() + k, columns);
}

// dx [n, in] = dy[:, S] W[S] for the features S in columns (all of them on step 0): the
// previous ones, or chosen again when *step % refresh == 0. `work` is unused.
template <typename T>
int32_t sampledLinearGrad(T *dx, int32_t *columns, const int32_t *previous, const T *dy,
                          const void *w, T *, int64_t n,
                          int64_t in, int64_t out, int64_t k, int64_t refresh, int32_t layout,
                          int32_t wBf16, const int32_t *step) {
  const bool inOut = layout != 0, bf16 = wBf16 != 0;
  if (k < 1 || k > out || refresh < 1)
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  if (*step % refresh == 0) {
    std::vector<float> dyF(dy, dy + n * out);
    selectColumns(columns, dyF.data(), w, bf16, inOut, n, in, out, k);
  } else {
    std::vector<int32_t> kept(previous, previous + k); // columns may alias previous
    std::copy(kept.begin(), kept.end(), columns);
  }
  std::vector<int32_t> all(static_cast<size_t>(out));
  std::iota(all.begin(), all.end(), 0);
  const int32_t *features = *step == 0 ? all.data() : columns;
  const int64_t count = *step == 0 ? out : k;
  for (int64_t s = 0; s < count; ++s)
    if (features[s] < 0 || features[s] >= out)
      return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < in; ++c) {
      T sum = 0;
      for (int64_t s = 0; s < count; ++s) {
        int64_t j = features[s];
        sum += dy[i * out + j] * T(common::weightAt(w, bf16, inOut ? c * out + j : j * in + c));
      }
      dx[i * in + c] = sum;
    }
  return SLIMTUNE_KERNEL_OK;
}

} // namespace slimtune::cpu::reference

#endif // SLIMTUNE_KERNELS_CPU_SAMPLED_LINEAR_REFERENCE_H
