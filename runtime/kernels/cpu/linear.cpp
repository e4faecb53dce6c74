// The dense layer and its parameter gradients: one GEMM each (cpu::gemm picks the library),
// plus a bias pass. Its input gradient needs no kernel of its own: dx = dy W is `linear` of dy
// with the other layout (W [out, in] read as [in', out'] = [out, in]).
#include "kernels/common/bf16.h"
#include "kernels/cpu/convert.h"
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/workspace.h"

#include <algorithm>
#include <atomic>

namespace slimtune::cpu {

// y = b broadcast over rows, added to y.
void addBias(float *y, const float *b, int64_t n, int64_t out) {
#pragma omp parallel for schedule(static) if (n * out >= kParallelMin)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t o = 0; o < out; ++o)
      y[i * out + o] += b[o];
}

namespace {
std::atomic<bool> bf16GemmEnabled{true};

// W's outputs [begin, begin + p) widened to fp32: rows of W [out, in] as panel [p, in]
// (layout 0), columns of W [in, out] as panel [in, p] (layout 1); either way p * in floats.
void widenBf16Panel(float *panel, const uint16_t *w, int64_t begin, int64_t p, int64_t in,
                    int64_t out, int32_t layout) {
  if (layout == 0) {
    bf16ToF32(w + begin * in, panel, p * in);
    return;
  }
#pragma omp parallel for schedule(static) if (p * in >= kParallelMin)
  for (int64_t k = 0; k < in; ++k)
    bf16ToF32(w + k * out + begin, panel + k * p, p);
}

// The fallback where oneDNN has no bf16 matmul: a product of two bf16 values is exact in fp32,
// so widening both operands to fp32 and running the fp32 GEMM computes the same sums (in the
// GEMM's order). Blocks of x's rows, rounded to bf16 as fp32, outside; panels of W's outputs,
// widened, inside; each pair one GEMM writing its tile of y. A small model's weight is one
// panel and its input one block.
int32_t linearBf16Widened(float *y, const float *x, const uint16_t *w, float *work, int64_t n,
                          int64_t in, int64_t out, int32_t layout) {
  const int64_t panelRows = slimtune_cpu_widen_rows(in, out, SLIMTUNE_CPU_W_PANEL_FLOATS);
  const int64_t blockRows = slimtune_cpu_widen_rows(in, n, SLIMTUNE_CPU_X_BLOCK_FLOATS);
  float *panel = work, *block = panel + panelRows * in;
  for (int64_t row = 0; row < n; row += blockRows) {
    const int64_t m = std::min(blockRows, n - row);
#pragma omp parallel for schedule(static) if (m * in >= kParallelMin)
    for (int64_t i = 0; i < m * in; ++i)
      block[i] = common::roundToBf16(x[row * in + i]);
    for (int64_t begin = 0; begin < out; begin += panelRows) {
      const int64_t p = std::min(panelRows, out - begin);
      widenBf16Panel(panel, w, begin, p, in, out, layout);
      // y[row:row+m, begin:begin+p] = block op(panel), panel [p, in] or [in, p].
      const int32_t status =
          layout == 0 ? gemm(false, true, m, p, in, 1.0f, block, in, panel, in, 0.0f,
                             y + row * out + begin, out)
                      : gemm(false, false, m, p, in, 1.0f, block, in, panel, p, 0.0f,
                             y + row * out + begin, out);
      if (status != SLIMTUNE_KERNEL_OK)
        return status;
    }
  }
  return SLIMTUNE_KERNEL_OK;
}
} // namespace

// y [n, out] = x [n, in] W^T + b, W [out, in] (layout 0) or [in, out] (layout 1).
int32_t linear(float *y, const float *x, const float *w, const float *b, int64_t n, int64_t in,
               int64_t out, int32_t layout) {
  const int32_t status = layout == 0 ? gemm(false, true, n, out, in, 1.0f, x, in, w, in, 0.0f, y, out)
                                     : gemm(false, false, n, out, in, 1.0f, x, in, w, out, 0.0f, y, out);
  if (status == SLIMTUNE_KERNEL_OK && b)
    addBias(y, b, n, out);
  return status;
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

bool setBf16Gemm(bool enabled) {
  bf16GemmEnabled.store(enabled, std::memory_order_relaxed);
  return enabled && bf16GemmAvailable();
}

// y [n, out] = bf16(x) W^T + b with W bf16, [out, in] (layout 0) or [in, out] (layout 1): x
// rounded into `work` once, then oneDNN's bf16 matmul (exact products, fp32 sums), about twice
// the fp32 GEMM's speed where the CPU has AVX512-BF16 (bench-cpu-frozen-linear); else the
// widened fallback above. `work` is slimtune_cpu_linear_bf16_work floats, enough for either.
int32_t linearBf16(float *y, const float *x, const uint16_t *w, const float *b, uint16_t *work,
                   int64_t n, int64_t in, int64_t out, int32_t layout) {
  if (n == 0 || out == 0)
    return SLIMTUNE_KERNEL_OK;
  int32_t status;
  if (bf16GemmEnabled.load(std::memory_order_relaxed) && bf16GemmAvailable()) {
    f32ToBf16(x, work, static_cast<size_t>(n * in));
    status = layout == 0 ? gemmBf16(true, n, out, in, work, in, w, in, y, out)
                         : gemmBf16(false, n, out, in, work, in, w, out, y, out);
  } else {
    status = linearBf16Widened(y, x, w, reinterpret_cast<float *>(work), n, in, out, layout);
  }
  if (status == SLIMTUNE_KERNEL_OK && b)
    addBias(y, b, n, out);
  return status;
}

} // namespace slimtune::cpu
