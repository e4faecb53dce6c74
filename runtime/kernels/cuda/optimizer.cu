// The optimizer's kernels. sum_squares: a fixed number of blocks for a given n (grid-stride,
// each thread accumulating x^2 in double, then blockAllReduce), one partial per block in the
// context's scratch, then one block adds the partials in a fixed order and does *acc += sum:
// the same bits every run. sqrt_f64: one thread. adamw: a grid-stride loop over the elements,
// kernels/common/adamw.h's update, as the CPU's; each block's first thread computes the step's
// constants from lr, step and the squared norm (device pointers) into shared memory.
#include "kernels/common/adamw.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/kernels.h"

namespace slimtune::cuda {
namespace {

constexpr int64_t kSumBlocks = 1024;
static_assert(kSumBlocks * sizeof(double) <= kScratchBytes, "sum_squares' partials fit the scratch");

__global__ void sumSquaresKernel(double *partial, const float *x, int64_t n) {
  double acc = 0;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const double v = x[i];
    acc += v * v;
  }
  acc = blockAllReduce(acc, 0.0, SumOp{});
  if (threadIdx.x == 0)
    partial[blockIdx.x] = acc;
}

__global__ void accumulateKernel(double *acc, const double *partial, int64_t blocks) {
  double total = 0;
  for (int64_t b = threadIdx.x; b < blocks; b += blockDim.x)
    total += partial[b];
  total = blockAllReduce(total, 0.0, SumOp{});
  if (threadIdx.x == 0)
    *acc += total;
}

__global__ void sqrtKernel(float *out, const double *acc) { *out = static_cast<float>(sqrt(*acc)); }

__global__ void adamwKernel(float *p, float *m, float *v, const float *g, int64_t n,
                            const float *lr, const int32_t *step, const double *sumSquares,
                            float maxNorm, float beta1, float beta2, float eps,
                            float weightDecay) {
  __shared__ common::AdamConstants shared;
  if (threadIdx.x == 0)
    shared = common::adamConstants(*lr, *step, sumSquares, maxNorm, beta1, beta2, eps, weightDecay);
  __syncthreads();
  const common::AdamConstants k = shared;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float pi = p[i], mi = m[i], vi = v[i];
    common::adamElement(k, pi, mi, vi, g[i]);
    p[i] = pi;
    m[i] = mi;
    v[i] = vi;
  }
}

} // namespace

int32_t sumSquares(void *context, double *acc, const float *x, int64_t n) {
  Context &ctx = contextOf(context);
  if (n <= 0)
    return SLIMTUNE_KERNEL_OK;
  const int64_t blocks = std::min<int64_t>(blocksFor(n), kSumBlocks);
  auto *partial = static_cast<double *>(ctx.scratch);
  sumSquaresKernel<<<static_cast<unsigned>(blocks), kThreads, 0, ctx.stream>>>(partial, x, n);
  if (int32_t status = launchStatus(ctx, "sum_squares"))
    return status;
  accumulateKernel<<<1, kThreads, 0, ctx.stream>>>(acc, partial, blocks);
  return launchStatus(ctx, "sum_squares accumulate");
}

int32_t sqrtF64(void *context, float *out, const double *acc) {
  Context &ctx = contextOf(context);
  sqrtKernel<<<1, 1, 0, ctx.stream>>>(out, acc);
  return launchStatus(ctx, "sqrt_f64");
}

int32_t adamw(void *context, float *p, float *m, float *v, const float *g, int64_t n,
              const float *lr, const int32_t *step, const double *sumSquares, float maxNorm,
              float beta1, float beta2, float eps, float weightDecay) {
  Context &ctx = contextOf(context);
  if (n <= 0)
    return SLIMTUNE_KERNEL_OK;
  adamwKernel<<<blocksFor(n), kThreads, 0, ctx.stream>>>(p, m, v, g, n, lr, step, sumSquares,
                                                         maxNorm, beta1, beta2, eps, weightDecay);
  return launchStatus(ctx, "adamw");
}

} // namespace slimtune::cuda
