// CE-LoRA's column-sampled input gradient of a frozen linear (kernel_abi.h,
// sampled_linear_grad): the selected output features' columns of dy and rows of W (widened from
// bf16 when the weight is kept so) gathered contiguous into the workspace, then one GEMM
// through cpu::gemm. The first step's exact product runs the same gather in chunks of k
// features, accumulating, so it needs no more workspace than the sampled one.
#include "kernels/common/column_selection.h"
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/workspace.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace slimtune::cpu {
namespace {

// score [out] = ‖dy[:, j]‖ · ‖W_j‖, the sums of squares in row order (column_selection.h), the
// features split across threads.
void scoreFeatures(float *score, const float *dy, const void *w, bool bf16, bool inOut, int64_t n,
                   int64_t in, int64_t out) {
#pragma omp parallel for schedule(static) if (n * out >= kParallelMin)
  for (int64_t j0 = 0; j0 < out; j0 += 64) {
    const int64_t j1 = std::min(out, j0 + 64);
    for (int64_t j = j0; j < j1; ++j)
      score[j] = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = j0; j < j1; ++j)
        score[j] += dy[i * out + j] * dy[i * out + j];
    for (int64_t j = j0; j < j1; ++j)
      score[j] = std::sqrt(score[j]) * common::weightFeatureNorm(w, bf16, inOut, in, out, j);
  }
}

// dyS [n, count] = dy[:, features], wS [count, in] = W[features] as f32.
void gather(float *dyS, float *wS, const float *dy, const void *w, bool bf16, bool inOut,
            const int32_t *features, int64_t count, int64_t n, int64_t in, int64_t out) {
#pragma omp parallel for schedule(static) if (n * count >= kParallelMin)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t s = 0; s < count; ++s)
      dyS[i * count + s] = dy[i * out + features[s]];
#pragma omp parallel for schedule(static) if (count * in >= kParallelMin)
  for (int64_t s = 0; s < count; ++s)
    for (int64_t c = 0; c < in; ++c)
      wS[s * in + c] = common::weightAt(w, bf16, inOut ? c * out + features[s] : features[s] * in + c);
}

} // namespace

int32_t sampledLinearGrad(float *dx, int32_t *newColumns, const int32_t *previous,
                          const float *dy, const void *w, float *work, int64_t n, int64_t in, int64_t out, int64_t k,
                          int64_t refresh, int32_t layout, int32_t wBf16, const int32_t *step) {
  const bool inOut = layout != 0, bf16 = wBf16 != 0;
  if (k < 1 || k > out || refresh < 1)
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  // work: score [out], feature ids [out] (int32 in float slots), dy[:, S] [n, k], W[S] [k, in].
  float *score = work;
  int32_t *order = reinterpret_cast<int32_t *>(work + out);
  float *dyS = work + 2 * out;
  float *wS = dyS + n * k;
  if (*step % refresh == 0) {
    scoreFeatures(score, dy, w, bf16, inOut, n, in, out);
    std::iota(order, order + out, 0);
    auto before = [&](int32_t a, int32_t b) { return common::ranksBefore(score, a, b); };
    std::nth_element(order, order + (k - 1), order + out, before);
    std::sort(order, order + k);
    std::copy(order, order + k, newColumns);
  } else if (newColumns != previous) {
    std::copy(previous, previous + k, newColumns);
  }
  const int32_t *columns = newColumns;
  if (*step != 0) {
    for (int64_t s = 0; s < k; ++s)
      if (columns[s] < 0 || columns[s] >= out) // state restored from a corrupt checkpoint
        return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
    gather(dyS, wS, dy, w, bf16, inOut, columns, k, n, in, out);
    return gemm(false, false, n, in, k, 1.0f, dyS, k, wS, in, 0.0f, dx, in);
  }
  // Step 0: exact, every feature, k at a time.
  std::iota(order, order + out, 0);
  for (int64_t first = 0; first < out; first += k) {
    const int64_t count = std::min(k, out - first);
    gather(dyS, wS, dy, w, bf16, inOut, order + first, count, n, in, out);
    if (int32_t s = gemm(false, false, n, in, count, 1.0f, dyS, count, wS, in, first == 0 ? 0.0f : 1.0f,
                         dx, in))
      return s;
  }
  return SLIMTUNE_KERNEL_OK;
}

} // namespace slimtune::cpu
