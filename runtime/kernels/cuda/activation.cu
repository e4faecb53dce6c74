// SiLU and GELU with their gradients, and Approx-BP's packed segment flags and the gradient
// from them: grid-stride loops, one element per thread (one flag byte, four elements, per
// thread for activation_flags, so no two threads write a byte). The per-element math is
// kernels/common/activation.h and approx_activation.h, the CPU's own.
#include "kernels/common/activation.h"
#include "kernels/common/approx_activation.h"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/kernels.h"

namespace slimtune::cuda {
namespace {

__device__ inline int64_t firstThread() {
  return blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
}
__device__ inline int64_t threadCount() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

__global__ void siluKernel(float *y, const float *x, int64_t n) {
  for (int64_t i = firstThread(); i < n; i += threadCount())
    y[i] = common::silu(x[i]);
}

__global__ void siluGradKernel(float *dx, const float *dy, const float *x, int64_t n) {
  for (int64_t i = firstThread(); i < n; i += threadCount())
    dx[i] = common::siluGrad(dy[i], x[i]);
}

__global__ void geluKernel(float *y, const float *x, int64_t n, bool tanhApproximation) {
  for (int64_t i = firstThread(); i < n; i += threadCount())
    y[i] = common::gelu(x[i], tanhApproximation);
}

__global__ void geluGradKernel(float *dx, const float *dy, const float *x, int64_t n,
                               bool tanhApproximation) {
  for (int64_t i = firstThread(); i < n; i += threadCount())
    dx[i] = common::geluGrad(dy[i], x[i], tanhApproximation);
}

// Byte k holds the flags of elements 4k .. 4k + 3; bits of elements past n stay 0.
__global__ void activationFlagsKernel(uint8_t *flags, const float *x, int64_t n, int kind) {
  const slimtune_approx_activation k = slimtune_approx_constants(kind);
  const float c0 = static_cast<float>(k.c[0]), c1 = static_cast<float>(k.c[1]),
              c2 = static_cast<float>(k.c[2]);
  const int64_t bytes = (n + 3) / 4;
  for (int64_t byte = firstThread(); byte < bytes; byte += threadCount()) {
    unsigned packed = 0;
    for (int e = 0; e < 4 && 4 * byte + e < n; ++e)
      packed |= slimtune_approx_segment(x[4 * byte + e], c0, c1, c2) << (2 * e);
    flags[byte] = static_cast<uint8_t>(packed);
  }
}

__global__ void activationGradFlagsKernel(float *dx, const float *dy, const uint8_t *flags,
                                          int64_t n, int kind) {
  // The four levels rounded to float once, as the CPU's reference rounds each.
  const float level1 = static_cast<float>(slimtune_approx_level(kind, 1)),
              level2 = static_cast<float>(slimtune_approx_level(kind, 2)),
              level3 = static_cast<float>(slimtune_approx_level(kind, 3));
  for (int64_t i = firstThread(); i < n; i += threadCount()) {
    const unsigned flag = slimtune_approx_flag_at(flags, i);
    const float level = flag == 0 ? 0.0f : flag == 1 ? level1 : flag == 2 ? level2 : level3;
    dx[i] = dy[i] * level;
  }
}

} // namespace

int32_t silu(void *context, float *y, const float *x, int64_t n) {
  Context &ctx = contextOf(context);
  if (n <= 0)
    return SLIMTUNE_KERNEL_OK;
  siluKernel<<<blocksFor(n), kThreads, 0, ctx.stream>>>(y, x, n);
  return launchStatus(ctx, "silu");
}

int32_t siluGrad(void *context, float *dx, const float *dy, const float *x, int64_t n) {
  Context &ctx = contextOf(context);
  if (n <= 0)
    return SLIMTUNE_KERNEL_OK;
  siluGradKernel<<<blocksFor(n), kThreads, 0, ctx.stream>>>(dx, dy, x, n);
  return launchStatus(ctx, "silu_grad");
}

int32_t gelu(void *context, float *y, const float *x, int64_t n, int32_t tanhApproximation) {
  Context &ctx = contextOf(context);
  if (n <= 0)
    return SLIMTUNE_KERNEL_OK;
  geluKernel<<<blocksFor(n), kThreads, 0, ctx.stream>>>(y, x, n, tanhApproximation != 0);
  return launchStatus(ctx, "gelu");
}

int32_t geluGrad(void *context, float *dx, const float *dy, const float *x, int64_t n,
                 int32_t tanhApproximation) {
  Context &ctx = contextOf(context);
  if (n <= 0)
    return SLIMTUNE_KERNEL_OK;
  geluGradKernel<<<blocksFor(n), kThreads, 0, ctx.stream>>>(dx, dy, x, n, tanhApproximation != 0);
  return launchStatus(ctx, "gelu_grad");
}

int32_t activationFlags(void *context, uint8_t *flags, const float *x, int64_t n, int32_t kind) {
  Context &ctx = contextOf(context);
  if (n <= 0)
    return SLIMTUNE_KERNEL_OK;
  activationFlagsKernel<<<blocksFor((n + 3) / 4), kThreads, 0, ctx.stream>>>(flags, x, n, kind);
  return launchStatus(ctx, "activation_flags");
}

int32_t activationGradFlags(void *context, float *dx, const float *dy, const uint8_t *flags,
                            int64_t n, int32_t kind) {
  Context &ctx = contextOf(context);
  if (n <= 0)
    return SLIMTUNE_KERNEL_OK;
  activationGradFlagsKernel<<<blocksFor(n), kThreads, 0, ctx.stream>>>(dx, dy, flags, n, kind);
  return launchStatus(ctx, "activation_grad_flags");
}

} // namespace slimtune::cuda
