// The LoRA adapter, forward and backward, with dropout on its input: rank-r GEMMs through cuBLAS
// (gemm.cuh) and the dropout mask regenerated from slimtune_dropout_keep's counter hash wherever
// it is needed (one grid-stride pass per use, one thread per element), never stored. The step
// counter lives on the device, so only these passes read it, never the host or cuBLAS.
#include "kernels/common/counter_random.h"
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/kernels.h"

namespace slimtune::cuda {
namespace {

// xd [count] = drop(x): x * keep / (1 - p); the element's row-major index is the hash's counter,
// exactly as the CPU draws it.
__global__ void dropout(float *xd, const float *x, int64_t count, float p, float inverseKeep,
                        int64_t seed, const int32_t *step) {
  const int32_t s = *step;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < count;
       e += int64_t(gridDim.x) * blockDim.x)
    xd[e] = slimtune_dropout_keep(static_cast<uint64_t>(seed), s, static_cast<uint64_t>(e), p)
                ? x[e] * inverseKeep
                : 0.0f;
}

// dx [count] *= keep / (1 - p), the mask dropout() applied in the forward.
__global__ void maskGradient(float *dx, int64_t count, float p, float inverseKeep, int64_t seed,
                             const int32_t *step) {
  const int32_t s = *step;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < count;
       e += int64_t(gridDim.x) * blockDim.x)
    dx[e] = slimtune_dropout_keep(static_cast<uint64_t>(seed), s, static_cast<uint64_t>(e), p)
                ? dx[e] * inverseKeep
                : 0.0f;
}

// drop(x) into `xd` when p > 0; returns the GEMMs' input: xd, or x itself without dropout.
int32_t dropInput(Context &c, const float **input, float *xd, const float *x, int64_t count,
                  float p, int64_t seed, const int32_t *step, const char *what) {
  *input = x;
  if (!(p > 0) || count == 0)
    return SLIMTUNE_KERNEL_OK;
  dropout<<<blocksFor(count), kThreads, 0, c.stream>>>(xd, x, count, p, 1.0f / (1.0f - p), seed,
                                                       step);
  *input = xd;
  return launchStatus(c, what);
}

} // namespace

// y [n, out] = scale * (drop(x) A^T) B^T; x [n, in], A [r, in], B [out, r].
// work: u [n, r], then drop(x) [n, in] when p > 0.
int32_t lora(void *context, float *y, const float *x, const float *a, const float *b, float *work,
             int64_t n, int64_t in, int64_t out, int64_t r, float scale, float p, int64_t seed,
             const int32_t *step) {
  Context &c = contextOf(context);
  float *u = work;
  const float *xd = nullptr;
  int32_t s = SLIMTUNE_KERNEL_OK;
  if ((s = dropInput(c, &xd, work + n * r, x, n * in, p, seed, step, "lora dropout")) ||
      (s = gemm(c, false, true, n, r, in, 1.0f, xd, in, a, in, 0.0f, u, r, "lora u")) ||
      (s = gemm(c, false, true, n, out, r, scale, u, r, b, r, 0.0f, y, out, "lora y")))
    return s;
  return SLIMTUNE_KERNEL_OK;
}

// dx [n, in], da [r, in], db [out, r] overwritten from dy [n, out].
// work: u [n, r], du [n, r], then drop(x) [n, in] when p > 0.
int32_t loraGrad(void *context, float *dx, float *da, float *db, const float *dy, const float *x,
                 const float *a, const float *b, float *work, int64_t n, int64_t in, int64_t out,
                 int64_t r, float scale, float p, int64_t seed, const int32_t *step) {
  Context &c = contextOf(context);
  float *u = work;
  float *du = work + n * r;
  const float *xd = nullptr;
  int32_t s = SLIMTUNE_KERNEL_OK;
  if ((s = dropInput(c, &xd, work + 2 * n * r, x, n * in, p, seed, step, "lora_grad dropout")) ||
      // u [n, r] = drop(x) A^T
      (s = gemm(c, false, true, n, r, in, 1.0f, xd, in, a, in, 0.0f, u, r, "lora_grad u")) ||
      // du [n, r] = scale dy B
      (s = gemm(c, false, false, n, r, out, scale, dy, out, b, r, 0.0f, du, r, "lora_grad du")) ||
      // dB [out, r] = scale dy^T u
      (s = gemm(c, true, false, out, r, n, scale, dy, out, u, r, 0.0f, db, r, "lora_grad db")) ||
      // dA [r, in] = du^T drop(x)
      (s = gemm(c, true, false, r, in, n, 1.0f, du, r, xd, in, 0.0f, da, in, "lora_grad da")))
    return s;
  if (!dx) // the input gradient not wanted (slim.lora_weight_grad)
    return SLIMTUNE_KERNEL_OK;
  // dx [n, in] = du A, masked below
  if ((s = gemm(c, false, false, n, in, r, 1.0f, du, r, a, in, 0.0f, dx, in, "lora_grad dx")))
    return s;
  if (!(p > 0) || n * in == 0)
    return SLIMTUNE_KERNEL_OK;
  maskGradient<<<blocksFor(n * in), kThreads, 0, c.stream>>>(dx, n * in, p, 1.0f / (1.0f - p),
                                                             seed, step);
  return launchStatus(c, "lora_grad mask");
}

} // namespace slimtune::cuda
