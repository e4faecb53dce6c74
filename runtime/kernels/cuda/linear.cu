// The dense layer and its weight gradient on the GPU: one cuBLAS GEMM each (gemm.cuh), plus a
// grid-stride pass adding the bias. As on the CPU, the input gradient needs no kernel of its
// own: dx = dy W is `linear` of dy with the other layout.
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/kernels.h"

namespace slimtune::cuda {
namespace {

// y [n, out] += b [out]; a 2D grid (columns in x, rows strided in y) so that no element needs
// a 64-bit division to find its column.
__global__ void addBias(float *y, const float *b, int64_t n, int64_t out) {
  for (int64_t i = blockIdx.y; i < n; i += gridDim.y)
    for (int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < out;
         o += int64_t(gridDim.x) * blockDim.x)
      y[i * out + o] += b[o];
}

} // namespace

// y [n, out] = x [n, in] W^T + b, W [out, in] (layout 0) or [in, out] (layout 1).
int32_t linear(void *context, float *y, const float *x, const float *w, const float *b, int64_t n,
               int64_t in, int64_t out, int32_t layout) {
  Context &c = contextOf(context);
  if (n == 0 || out == 0)
    return SLIMTUNE_KERNEL_OK;
  const int32_t s = layout == 0
                        ? gemm(c, false, true, n, out, in, 1.0f, x, in, w, in, 0.0f, y, out, "linear")
                        : gemm(c, false, false, n, out, in, 1.0f, x, in, w, out, 0.0f, y, out, "linear");
  if (s != SLIMTUNE_KERNEL_OK || !b)
    return s;
  const dim3 grid(blocksFor(out), static_cast<unsigned>(std::min<int64_t>(n, kMaxBlocks)));
  addBias<<<grid, kThreads, 0, c.stream>>>(y, b, n, out);
  return launchStatus(c, "linear bias");
}

// dW = dy^T x [out, in] (layout 0) or x^T dy [in, out] (layout 1); dy [n, out], x [n, in].
int32_t weightGrad(void *context, float *dw, const float *dy, const float *x, int64_t n, int64_t in,
                   int64_t out, int32_t layout) {
  Context &c = contextOf(context);
  if (layout == 0)
    return gemm(c, true, false, out, in, n, 1.0f, dy, out, x, in, 0.0f, dw, in, "weight_grad");
  return gemm(c, true, false, in, out, n, 1.0f, x, in, dy, out, 0.0f, dw, out, "weight_grad");
}

} // namespace slimtune::cuda
