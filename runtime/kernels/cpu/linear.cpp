// The dense layer and its parameter gradients: one GEMM each (cpu::gemm picks the library),
// plus a bias pass. Its input gradient needs no kernel of its own: dx = dy W is `linear` of dy
// with the other layout (W [out, in] read as [in', out'] = [out, in]).
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/kernels.h"

#include <algorithm>

namespace slimtune::cpu {

// y [n, out] = x [n, in] W^T + b, W [out, in] (layout 0) or [in, out] (layout 1).
int32_t linear(float *y, const float *x, const float *w, const float *b, int64_t n, int64_t in,
               int64_t out, int32_t layout) {
  const int32_t status = layout == 0 ? gemm(false, true, n, out, in, 1.0f, x, in, w, in, 0.0f, y, out)
                                     : gemm(false, false, n, out, in, 1.0f, x, in, w, out, 0.0f, y, out);
  if (status != SLIMTUNE_KERNEL_OK || !b)
    return status;
#pragma omp parallel for schedule(static) if (n * out >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    float *row = y + i * out;
    for (int64_t o = 0; o < out; ++o)
      row[o] += b[o];
  }
  return SLIMTUNE_KERNEL_OK;
}

// dW = dy^T x [out, in] (layout 0) or x^T dy [in, out] (layout 1); dy [n, out], x [n, in].
int32_t weightGrad(float *dw, const float *dy, const float *x, int64_t n, int64_t in, int64_t out,
                   int32_t layout) {
  if (layout == 0)
    return gemm(true, false, out, in, n, 1.0f, dy, out, x, in, 0.0f, dw, in);
  return gemm(true, false, in, out, n, 1.0f, x, in, dy, out, 0.0f, dw, out);
}

// db [c] = sum over the n rows of dy [n, c]. Each thread owns a band of whole columns and walks
// all rows, so there is no reduction between threads and the inner loop is contiguous.
void sumRows(float *db, const float *dy, int64_t n, int64_t c) {
  constexpr int64_t kBand = 32; // columns per work item (two cache lines of a row); 576 -> 18
  int64_t bands = (c + kBand - 1) / kBand;
#pragma omp parallel for schedule(static) if (n * c >= kParallelMin)
  for (int64_t band = 0; band < bands; ++band) {
    int64_t begin = band * kBand, end = std::min(c, begin + kBand);
    float *acc = db + begin;
    for (int64_t j = 0; j < end - begin; ++j)
      acc[j] = 0.0f;
    for (int64_t i = 0; i < n; ++i) {
      const float *row = dy + i * c + begin;
      for (int64_t j = 0; j < end - begin; ++j)
        acc[j] += row[j];
    }
  }
}

} // namespace slimtune::cpu
