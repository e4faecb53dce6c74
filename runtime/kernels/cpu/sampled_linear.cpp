// CE-LoRA's input gradient of a frozen linear (kernel_abi.h, sampled_linear_grad):
//   dx = dy[:, S] W[S] + (dy[:, ~S] L[~S]) R
// which is CE-LoRA's (dy L) R + dy[:, S] W_res[S] with W_res = W − L R, computed from the
// original weight: the forward keeps W exactly and the residual is never stored. The kept
// features' columns of dy and rows of W (widened from bf16 when the weight is kept so) are
// gathered contiguous into the workspace for one GEMM; the dropped ones' go through the rank-r
// pair. The first step's exact product runs the same gather in chunks of k features.
#include "kernels/common/column_selection.h"
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/kernels.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace slimtune::cpu {
namespace {

// score [out] = ‖dy[:, j]‖ · norms[j], the sums of squares in row order (column_selection.h),
// features split across threads.
void scoreFeatures(float *score, const float *dy, const float *norms, int64_t n, int64_t out) {
#pragma omp parallel for schedule(static) if (n * out >= kParallelMin)
  for (int64_t j0 = 0; j0 < out; j0 += 64) {
    const int64_t j1 = std::min(out, j0 + 64);
    for (int64_t j = j0; j < j1; ++j)
      score[j] = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = j0; j < j1; ++j)
        score[j] += dy[i * out + j] * dy[i * out + j];
    for (int64_t j = j0; j < j1; ++j)
      score[j] = std::sqrt(score[j]) * norms[j];
  }
}

// dyS [n, count] = dy[:, features].
void gatherColumns(float *dyS, const float *dy, const int32_t *features, int64_t count, int64_t n,
                   int64_t out) {
#pragma omp parallel for schedule(static) if (n * count >= kParallelMin)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t s = 0; s < count; ++s)
      dyS[i * count + s] = dy[i * out + features[s]];
}

// wS [count, in] = W[features] as f32.
void gatherWeights(float *wS, const void *w, bool bf16, bool inOut, const int32_t *features,
                   int64_t count, int64_t in, int64_t out) {
#pragma omp parallel for schedule(static) if (count * in >= kParallelMin)
  for (int64_t s = 0; s < count; ++s)
    for (int64_t c = 0; c < in; ++c)
      wS[s * in + c] = common::weightAt(w, bf16, common::featureElement(inOut, in, out, features[s], c));
}

} // namespace

int32_t sampledLinearGrad(float *dx, int32_t *newColumns, const int32_t *previous,
                          const float *dy, const void *w, const float *left, const float *right,
                          const float *norms, float *work, int64_t n, int64_t in, int64_t out,
                          int64_t k, int64_t r, int64_t refresh, int32_t layout, int32_t wBf16,
                          const int32_t *step) {
  const bool inOut = layout != 0, bf16 = wBf16 != 0;
  if (k < 1 || k > out || r < 1 || refresh < 1)
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  const int64_t m = out - k; // the dropped features
  // work (slimtune_cpu_sampled_linear_grad_work): scores [out], feature ids [out] (int32 in
  // float slots), dy's gathered columns [n, max(k, m)], W's kept features [k, in], the pair's
  // dropped rows [m, r], (dy[:, ~S] L[~S]) [n, r].
  float *score = work;
  int32_t *order = reinterpret_cast<int32_t *>(work + out);
  float *dyS = work + 2 * out;
  float *wS = dyS + n * std::max(k, m);
  float *lC = wS + k * in;
  float *t = lC + m * r;
  if (*step % refresh == 0) {
    scoreFeatures(score, dy, norms, n, out);
    std::iota(order, order + out, 0);
    auto before = [&](int32_t a, int32_t b) { return common::ranksBefore(score, a, b); };
    std::nth_element(order, order + (k - 1), order + out, before);
    std::sort(order, order + k);
    std::copy(order, order + k, newColumns);
  } else if (newColumns != previous) {
    std::copy(previous, previous + k, newColumns);
  }
  const int32_t *columns = newColumns;
  if (*step == 0) { // exact: every feature, k at a time
    std::iota(order, order + out, 0);
    for (int64_t first = 0; first < out; first += k) {
      const int64_t count = std::min(k, out - first);
      gatherColumns(dyS, dy, order + first, count, n, out);
      gatherWeights(wS, w, bf16, inOut, order + first, count, in, out);
      if (int32_t s = gemm(false, false, n, in, count, 1.0f, dyS, count, wS, in,
                           first == 0 ? 0.0f : 1.0f, dx, in))
        return s;
    }
    return SLIMTUNE_KERNEL_OK;
  }
  // The kept features, checked (state restored from a checkpoint is not trusted), and the
  // dropped ones, ascending, into order.
  std::fill(order, order + out, 0);
  for (int64_t s = 0; s < k; ++s) {
    if (columns[s] < 0 || columns[s] >= out || order[columns[s]])
      return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
    order[columns[s]] = 1;
  }
  for (int64_t j = 0, d = 0; j < out; ++j)
    if (!order[j])
      order[d++] = static_cast<int32_t>(j);
  gatherColumns(dyS, dy, columns, k, n, out);
  gatherWeights(wS, w, bf16, inOut, columns, k, in, out);
  if (int32_t s = gemm(false, false, n, in, k, 1.0f, dyS, k, wS, in, 0.0f, dx, in))
    return s;
  if (m == 0)
    return SLIMTUNE_KERNEL_OK;
  gatherColumns(dyS, dy, order, m, n, out);
  for (int64_t d = 0; d < m; ++d) // L[j, :]: left's row j, or right's column j
    for (int64_t q = 0; q < r; ++q)
      lC[d * r + q] = inOut ? right[q * out + order[d]] : left[order[d] * r + q];
  if (int32_t s = gemm(false, false, n, r, m, 1.0f, dyS, m, lC, r, 0.0f, t, r))
    return s;
  return inOut ? gemm(false, true, n, in, r, 1.0f, t, r, left, r, 1.0f, dx, in)
               : gemm(false, false, n, in, r, 1.0f, t, r, right, in, 1.0f, dx, in);
}

} // namespace slimtune::cpu
