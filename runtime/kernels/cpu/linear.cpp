// The dense layer and its parameter gradients: one GEMM each (cpu::gemm picks the library),
// plus a bias pass. Its input gradient needs no kernel of its own: dx = dy W is `linear` of dy
// with the other layout (W [out, in] read as [in', out'] = [out, in]).
#include "kernels/common/bf16.h"
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

// y [n, out] = bf16(x) W^T + b with W bf16, [out, in] (layout 0) or [in, out] (layout 1). Plain
// loops over rows x outputs with fp32 sums, no GEMM library: the CPU runs bf16 weights only in
// tests and small runs (the GPU is where they are meant to be fast, on tensor cores). x is
// rounded into `work` once, as every output of a row reads all of it.
void linearBf16(float *y, const float *x, const uint16_t *w, const float *b, uint16_t *work,
                int64_t n, int64_t in, int64_t out, int32_t layout) {
  using common::bf16BitsToF32;
  if (n == 0 || out == 0)
    return;
#pragma omp parallel for schedule(static) if (n * in >= kParallelMin)
  for (int64_t i = 0; i < n * in; ++i)
    work[i] = common::f32ToBf16Bits(x[i]);
  const bool parallel = n * out * in >= kParallelMin;
  if (layout == 0) {
    // W's row o is contiguous: each output a dot product of two contiguous bf16 rows. The
    // products are exact in fp32, so the simd reduction changes only the order of the sum.
#pragma omp parallel for collapse(2) schedule(static) if (parallel)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t o = 0; o < out; ++o) {
        const uint16_t *xr = work + i * in, *wr = w + o * in;
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int64_t k = 0; k < in; ++k)
          sum += bf16BitsToF32(xr[k]) * bf16BitsToF32(wr[k]);
        y[i * out + o] = sum + (b ? b[o] : 0.0f);
      }
    return;
  }
  // W's row k is contiguous over the outputs: each row of y accumulates x[i, k] W[k, :], in
  // bands of outputs so that a single row still spreads over the cores.
  constexpr int64_t kBand = 256;
  const int64_t bands = (out + kBand - 1) / kBand;
#pragma omp parallel for collapse(2) schedule(static) if (parallel)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t band = 0; band < bands; ++band) {
      const int64_t begin = band * kBand, end = std::min(out, begin + kBand);
      float *row = y + i * out;
      for (int64_t o = begin; o < end; ++o)
        row[o] = 0.0f;
      for (int64_t k = 0; k < in; ++k) {
        const float xk = bf16BitsToF32(work[i * in + k]);
        const uint16_t *wr = w + k * out;
        for (int64_t o = begin; o < end; ++o)
          row[o] += xk * bf16BitsToF32(wr[o]);
      }
      if (b)
        for (int64_t o = begin; o < end; ++o)
          row[o] += b[o];
    }
}

} // namespace slimtune::cpu
