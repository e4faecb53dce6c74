// The LoRA adapter, forward and backward, with dropout on its input: rank-r GEMMs through
// cpu::gemm (skinny shapes, which it sends to oneDNN) and the dropout mask regenerated from
// slimtune_dropout_keep's counter hash wherever it is needed, never stored.
#include "kernels/common/counter_random.h"
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/kernels.h"

namespace slimtune::cpu {
namespace {

// xd [n, in] = drop(x): x * keep / (1 - p), keep from the hash of the element's index.
void dropout(float *xd, const float *x, int64_t n, int64_t in, float p, int64_t seed,
             int32_t step) {
  float inverseKeep = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(static) if (n * in >= kParallelMin)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < in; ++k) {
      int64_t e = i * in + k;
      xd[e] = slimtune_dropout_keep(static_cast<uint64_t>(seed), step, static_cast<uint64_t>(e),
                                    p)
                  ? x[e] * inverseKeep
                  : 0.0f;
    }
}

// dx [n, in] *= keep / (1 - p), the same mask as dropout().
void maskGradient(float *dx, int64_t n, int64_t in, float p, int64_t seed, int32_t step) {
  float inverseKeep = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(static) if (n * in >= kParallelMin)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < in; ++k) {
      int64_t e = i * in + k;
      dx[e] = slimtune_dropout_keep(static_cast<uint64_t>(seed), step, static_cast<uint64_t>(e),
                                    p)
                  ? dx[e] * inverseKeep
                  : 0.0f;
    }
}

} // namespace

// y [n, out] = scale * (drop(x) A^T) B^T; x [n, in], A [r, in], B [out, r].
// work: u [n, r], then drop(x) [n, in] when p > 0.
int32_t lora(float *y, const float *x, const float *a, const float *b, float *work, int64_t n,
             int64_t in, int64_t out, int64_t r, float scale, float p, int64_t seed,
             const int32_t *step) {
  float *u = work;
  const float *xd = x;
  if (p > 0) {
    dropout(work + n * r, x, n, in, p, seed, *step);
    xd = work + n * r;
  }
  if (int32_t s = gemm(false, true, n, r, in, 1.0f, xd, in, a, in, 0.0f, u, r)) // u = drop(x) A^T
    return s;
  return gemm(false, true, n, out, r, scale, u, r, b, r, 0.0f, y, out); // y = scale u B^T
}

// dx [n, in], da [r, in], db [out, r] overwritten from dy [n, out].
// work: u [n, r], du [n, r], then drop(x) [n, in] when p > 0.
int32_t loraGrad(float *dx, float *da, float *db, const float *dy, const float *x, const float *a,
                 const float *b, float *work, int64_t n, int64_t in, int64_t out, int64_t r,
                 float scale, float p, int64_t seed, const int32_t *step) {
  float *u = work;
  float *du = work + n * r;
  const float *xd = x;
  if (p > 0) {
    dropout(work + 2 * n * r, x, n, in, p, seed, *step);
    xd = work + 2 * n * r;
  }
  int32_t s = SLIMTUNE_KERNEL_OK;
  if ((s = gemm(false, true, n, r, in, 1.0f, xd, in, a, in, 0.0f, u, r)) ||    // u [n, r] = drop(x) A^T
      (s = gemm(false, false, n, r, out, scale, dy, out, b, r, 0.0f, du, r)) || // du [n, r] = scale dy B
      (s = gemm(true, false, out, r, n, scale, dy, out, u, r, 0.0f, db, r)) ||  // dB [out, r] = scale dy^T u
      (s = gemm(true, false, r, in, n, 1.0f, du, r, xd, in, 0.0f, da, in)))    // dA [r, in] = du^T drop(x)
    return s;
  if (!dx) // the input gradient not wanted (slim.lora_weight_grad)
    return SLIMTUNE_KERNEL_OK;
  if ((s = gemm(false, false, n, in, r, 1.0f, du, r, a, in, 0.0f, dx, in))) // dx [n, in] = du A
    return s;
  if (p > 0)
    maskGradient(dx, n, in, p, seed, *step);
  return SLIMTUNE_KERNEL_OK;
}

} // namespace slimtune::cpu
