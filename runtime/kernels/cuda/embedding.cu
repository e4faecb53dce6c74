// The embedding lookups: token rows gathered from the table by id, and position rows copied
// to every batch row. One warp per output row (grid-stride over rows), its lanes over the
// channels: coalesced, and no division per element. Ids are validated by the runtime.
#include "kernels/common/bf16.h"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/kernels.h"

namespace slimtune::cuda {
namespace {

constexpr int kWarpsPerBlock = kThreads / 32;

__device__ inline int64_t firstWarp() {
  return blockIdx.x * static_cast<int64_t>(kWarpsPerBlock) + threadIdx.x / 32;
}
__device__ inline int64_t warpCount() { return static_cast<int64_t>(gridDim.x) * kWarpsPerBlock; }

__global__ void embeddingKernel(float *out, const float *table, const int32_t *ids, int64_t n,
                                int64_t c) {
  for (int64_t i = firstWarp(); i < n; i += warpCount()) {
    const float *from = table + static_cast<int64_t>(ids[i]) * c;
    for (int64_t j = threadIdx.x % 32; j < c; j += 32)
      out[i * c + j] = from[j];
  }
}

// The same gather from a bf16 table, each value widened to fp32 (exact).
__global__ void embeddingBf16Kernel(float *out, const uint16_t *table, const int32_t *ids,
                                    int64_t n, int64_t c) {
  for (int64_t i = firstWarp(); i < n; i += warpCount()) {
    const uint16_t *from = table + static_cast<int64_t>(ids[i]) * c;
    for (int64_t j = threadIdx.x % 32; j < c; j += 32)
      out[i * c + j] = common::bf16BitsToF32(from[j]);
  }
}

// out [b * t, c]: row i is table row i % t.
__global__ void positionEmbeddingKernel(float *out, const float *table, int64_t rows, int64_t t,
                                        int64_t c) {
  for (int64_t i = firstWarp(); i < rows; i += warpCount()) {
    const float *from = table + (i % t) * c;
    for (int64_t j = threadIdx.x % 32; j < c; j += 32)
      out[i * c + j] = from[j];
  }
}

} // namespace

int32_t embedding(void *context, float *out, const float *table, const int32_t *ids, int64_t n,
                  int64_t c, int64_t /*vocab*/) {
  Context &ctx = contextOf(context);
  if (n <= 0 || c <= 0)
    return SLIMTUNE_KERNEL_OK;
  embeddingKernel<<<blocksFor(n * 32), kThreads, 0, ctx.stream>>>(out, table, ids, n, c);
  return launchStatus(ctx, "embedding");
}

int32_t embeddingBf16(void *context, float *out, const uint16_t *table, const int32_t *ids,
                      int64_t n, int64_t c, int64_t /*vocab*/) {
  Context &ctx = contextOf(context);
  if (n <= 0 || c <= 0)
    return SLIMTUNE_KERNEL_OK;
  embeddingBf16Kernel<<<blocksFor(n * 32), kThreads, 0, ctx.stream>>>(out, table, ids, n, c);
  return launchStatus(ctx, "embedding_bf16");
}

int32_t positionEmbedding(void *context, float *out, const float *table, int64_t b, int64_t t,
                          int64_t c) {
  Context &ctx = contextOf(context);
  if (b <= 0 || t <= 0 || c <= 0)
    return SLIMTUNE_KERNEL_OK;
  positionEmbeddingKernel<<<blocksFor(b * t * 32), kThreads, 0, ctx.stream>>>(out, table, b * t,
                                                                              t, c);
  return launchStatus(ctx, "position_embedding");
}

} // namespace slimtune::cuda
