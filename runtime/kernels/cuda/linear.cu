// The dense layer and its weight gradient on the GPU: one cuBLAS GEMM each (gemm.cuh), plus a
// grid-stride pass adding the bias. As on the CPU, the input gradient needs no kernel of its
// own: dx = dy W is `linear` of dy with the other layout. linear_bf16, for frozen weights kept
// in bf16, first rounds x to bf16 into its workspace, as cuBLAS wants both operands in one type.
#include "kernels/common/bf16.h"
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

// to[i] = bf16(from[i]), with the helper the CPU reference rounds with (the same bits).
__global__ void convertToBf16(uint16_t *to, const float *from, int64_t count) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x)
    to[i] = common::f32ToBf16Bits(from[i]);
}

int32_t addBiasTo(Context &c, float *y, const float *b, int64_t n, int64_t out, const char *what) {
  const dim3 grid(blocksFor(out), static_cast<unsigned>(std::min<int64_t>(n, kMaxBlocks)));
  addBias<<<grid, kThreads, 0, c.stream>>>(y, b, n, out);
  return launchStatus(c, what);
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
  return addBiasTo(c, y, b, n, out, "linear bias");
}

// y [n, out] = bf16(x) W^T + b with W bf16, [out, in] (layout 0) or [in, out] (layout 1); work
// holds bf16(x) [n, in] for the GEMM.
int32_t linearBf16(void *context, float *y, const float *x, const uint16_t *w, const float *b,
                   uint16_t *work, int64_t n, int64_t in, int64_t out, int32_t layout) {
  Context &c = contextOf(context);
  if (n == 0 || out == 0)
    return SLIMTUNE_KERNEL_OK;
  if (n * in > 0) {
    convertToBf16<<<blocksFor(n * in), kThreads, 0, c.stream>>>(work, x, n * in);
    if (const int32_t s = launchStatus(c, "linear_bf16 round"); s != SLIMTUNE_KERNEL_OK)
      return s;
  }
  const int32_t s =
      layout == 0
          ? gemmBf16(c, false, true, n, out, in, 1.0f, work, in, w, in, 0.0f, y, out, "linear_bf16")
          : gemmBf16(c, false, false, n, out, in, 1.0f, work, in, w, out, 0.0f, y, out,
                     "linear_bf16");
  if (s != SLIMTUNE_KERNEL_OK || !b)
    return s;
  return addBiasTo(c, y, b, n, out, "linear_bf16 bias");
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
