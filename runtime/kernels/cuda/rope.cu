// Rotary position embedding (rotate-half form). A block owns one position and up to
// kRowThreads channel pairs of it (grid-stride over position x pair-chunk): its threads first
// compute those pairs' cosines and sines once, in double from common/rope_angle.h as the CPU
// does, into shared memory, then rotate those pairs in every batch row and head. The rotation
// rounds each product on its own, as the CPU (common/rounding.h). y may alias x: each pair is
// read by the thread that writes it.
#include "kernels/common/rope_angle.h"
#include "kernels/common/rounding.h"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/kernels.h"

namespace slimtune::cuda {
namespace {

using common::addRn;
using common::mulRn;
using common::subRn;

constexpr int kRowThreads = 256;

__global__ void ropeKernel(float *y, const float *x, int64_t b, int64_t t, int64_t channels,
                           int64_t headDim, double theta, bool inverse) {
  __shared__ float cosine[kRowThreads], sine[kRowThreads];
  const int64_t half = headDim / 2, heads = channels / headDim;
  const int64_t chunks = (half + kRowThreads - 1) / kRowThreads;
  for (int64_t item = blockIdx.x; item < t * chunks; item += gridDim.x) {
    const int64_t ti = item / chunks, i0 = (item % chunks) * kRowThreads;
    const int64_t count = half - i0 < kRowThreads ? half - i0 : kRowThreads;
    if (threadIdx.x < count) {
      const double angle = common::ropeAngle(ti, i0 + threadIdx.x, headDim, theta);
      cosine[threadIdx.x] = static_cast<float>(cos(angle));
      sine[threadIdx.x] = static_cast<float>(inverse ? -sin(angle) : sin(angle));
    }
    __syncthreads();
    // Element e: pair e % count of (batch, head) e / count.
    for (int64_t e = threadIdx.x; e < b * heads * count; e += blockDim.x) {
      const int64_t bh = e / count, i = e % count;
      const int64_t at = ((bh / heads) * t + ti) * channels + (bh % heads) * headDim + i0 + i;
      const float u = x[at], w = x[at + half];
      y[at] = subRn(mulRn(u, cosine[i]), mulRn(w, sine[i]));
      y[at + half] = addRn(mulRn(w, cosine[i]), mulRn(u, sine[i]));
    }
    __syncthreads(); // the tables are rewritten for the next item
  }
}

} // namespace

int32_t rope(void *context, float *y, const float *x, int64_t b, int64_t t, int64_t channels,
             int64_t headDim, float theta, int32_t inverse) {
  Context &ctx = contextOf(context);
  const int64_t half = headDim / 2;
  if (b <= 0 || t <= 0 || half <= 0 || channels < headDim)
    return SLIMTUNE_KERNEL_OK;
  const int64_t items = t * ((half + kRowThreads - 1) / kRowThreads);
  ropeKernel<<<static_cast<unsigned>(std::min(items, kMaxBlocks)), kRowThreads, 0, ctx.stream>>>(
      y, x, b, t, channels, headDim, static_cast<double>(theta), inverse != 0);
  return launchStatus(ctx, "rope");
}

} // namespace slimtune::cuda
