// Mean cross-entropy over the non-ignored rows and its logits gradient, in three launches so
// that the loss has the same bits every run:
//   1. one block counts the non-ignored rows into the context's scratch (dlogits divide by it);
//   2. a fixed number of blocks (kLossBlocks, fewer when there are fewer rows), one row at a
//      time each (grid-stride): the row's max, sum_j exp(x_j - max) in double, its loss term
//      lse - x_target, and dlogits = (softmax - onehot) / count over the row; each block adds
//      its rows' terms in row order into its own partial in scratch;
//   3. one block adds the partials in a fixed order and writes the mean.
// The arithmetic per row is the CPU's fast kernel's (cpu/cross_entropy.cpp). dlogits may be
// the logits: every read of a row precedes, across a barrier, every write to it.
#include "kernels/common/rounding.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/kernels.h"

namespace slimtune::cuda {
namespace {

constexpr int kRowThreads = 512, kCountThreads = 1024, kSumThreads = 256;
constexpr int64_t kLossBlocks = 1024;

struct Scratch {
  long long count; // non-ignored rows
  double partial[kLossBlocks];
};
static_assert(sizeof(Scratch) <= kScratchBytes, "cross_entropy's partials fit the scratch");

__global__ void countKernel(Scratch *scratch, const int32_t *targets, int64_t n,
                            int32_t ignoreIndex) {
  long long count = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
    count += targets[i] != ignoreIndex;
  count = blockAllReduce(count, 0LL, SumOp{});
  if (threadIdx.x == 0)
    scratch->count = count;
}

// `accumulate`: add to the block's partial (a later chunk of the fused head's rows) instead of
// starting it.
__global__ void rowsKernel(Scratch *scratch, float *dlogits, const float *logits,
                           const int32_t *targets, int64_t n, int64_t vocab, int32_t ignoreIndex,
                           bool accumulate) {
  const long long count = scratch->count;
  double blockTotal = 0; // thread 0's, in row order
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x) {
    const int32_t target = targets[i];
    const float *row = logits + i * vocab;
    float *drow = dlogits ? dlogits + i * vocab : nullptr;
    if (target == ignoreIndex) {
      if (drow)
        for (int64_t j = threadIdx.x; j < vocab; j += blockDim.x)
          drow[j] = 0.0f;
      continue;
    }
    const float targetLogit = row[target];
    float maximum = row[0];
    for (int64_t j = threadIdx.x; j < vocab; j += blockDim.x)
      maximum = MaxOp{}(maximum, row[j]);
    maximum = blockAllReduce(maximum, row[0], MaxOp{});
    double sum = 0;
    for (int64_t j = threadIdx.x; j < vocab; j += blockDim.x)
      sum += expf(row[j] - maximum);
    sum = blockAllReduce(sum, 0.0, SumOp{});
    if (drow) {
      // softmax / count as e_j * (1 / (sum count)), minus 1 / count at the target: the CPU's
      // two roundings.
      const float factor = static_cast<float>(1.0 / (sum * static_cast<double>(count)));
      const float one = static_cast<float>(1.0 / static_cast<double>(count));
      for (int64_t j = threadIdx.x; j < vocab; j += blockDim.x) {
        const float d = common::mulRn(expf(row[j] - maximum), factor);
        drow[j] = j == target ? common::subRn(d, one) : d;
      }
    }
    // lse - x_target as (max - x_target) + log(sum), both terms small and exact-ish.
    blockTotal += (static_cast<double>(maximum) - targetLogit) + log(sum);
  }
  if (threadIdx.x == 0)
    scratch->partial[blockIdx.x] = (accumulate ? scratch->partial[blockIdx.x] : 0.0) + blockTotal;
}

__global__ void meanKernel(float *loss, const Scratch *scratch, int64_t blocks) {
  double total = 0;
  for (int64_t b = threadIdx.x; b < blocks; b += blockDim.x)
    total += scratch->partial[b];
  total = blockAllReduce(total, 0.0, SumOp{});
  if (threadIdx.x == 0) {
    const long long count = scratch->count;
    *loss = count > 0 ? static_cast<float>(total / static_cast<double>(count)) : 0.0f;
  }
}

} // namespace

int32_t crossEntropyCount(Context &ctx, const int32_t *targets, int64_t n, int32_t ignoreIndex) {
  countKernel<<<1, kCountThreads, 0, ctx.stream>>>(static_cast<Scratch *>(ctx.scratch), targets,
                                                   n, ignoreIndex);
  return launchStatus(ctx, "cross_entropy count");
}

int64_t crossEntropyRows(Context &ctx, float *dlogits, const float *logits,
                         const int32_t *targets, int64_t n, int64_t vocab, int32_t ignoreIndex,
                         bool accumulate, int32_t *status) {
  const int64_t blocks = std::min(n, kLossBlocks);
  rowsKernel<<<static_cast<unsigned>(blocks), kRowThreads, 0, ctx.stream>>>(
      static_cast<Scratch *>(ctx.scratch), dlogits, logits, targets, n, vocab, ignoreIndex,
      accumulate);
  *status = launchStatus(ctx, "cross_entropy");
  return blocks;
}

int32_t crossEntropyMean(Context &ctx, float *loss, int64_t blocks) {
  meanKernel<<<1, kSumThreads, 0, ctx.stream>>>(loss, static_cast<const Scratch *>(ctx.scratch),
                                                blocks);
  return launchStatus(ctx, "cross_entropy mean");
}

int32_t crossEntropy(void *context, float *loss, float *dlogits, const float *logits,
                     const int32_t *targets, int64_t n, int64_t vocab, int32_t ignoreIndex) {
  Context &ctx = contextOf(context);
  if (n <= 0) { // no rows: the loss is 0
    cudaMemsetAsync(loss, 0, sizeof(float), ctx.stream);
    return launchStatus(ctx, "cross_entropy");
  }
  if (int32_t status = crossEntropyCount(ctx, targets, n, ignoreIndex))
    return status;
  int32_t status;
  const int64_t blocks =
      crossEntropyRows(ctx, dlogits, logits, targets, n, vocab, ignoreIndex, false, &status);
  if (status)
    return status;
  return crossEntropyMean(ctx, loss, blocks);
}

} // namespace slimtune::cuda
