// Compiled by nvcc in common_headers_test.cpp (never by the host build): device code calling
// every per-element helper of kernels/common/, so that a CUDA backend can share them as they
// are, and the ABI header (whose random draws the kernels' semantics name).
#include "kernels/common/activation.h"
#include "kernels/common/approx_activation.h"
#include "kernels/common/bf16.h"
#include "kernels/common/stash_codec.h"
#include "slimtune/kernel_abi.h"

namespace common = slimtune::common;

template <typename T> __device__ T activations(T x, T dy) {
  return common::silu(x) + common::siluGrad(dy, x) + common::gelu(x, false) +
         common::gelu(x, true) + common::geluGrad(dy, x, false) + common::geluGrad(dy, x, true);
}

__global__ void perElement(float *y, double *yd, uint8_t *bytes, const float *x, int64_t n) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n)
    return;
  y[i] = activations(x[i], 1.0f);
  yd[i] = activations(static_cast<double>(x[i]), 1.0);
  const unsigned flag =
      slimtune_approx_flag(x[i], SLIMTUNE_REGELU2) + slimtune_approx_flag_at(bytes, i);
  y[i] += static_cast<float>(slimtune_approx_level(SLIMTUNE_RESILU2, static_cast<int>(flag)));
  const common::CodeScale s = common::codeScale(2.0f, 255.0f);
  const float q =
      common::quantizeCode(x[i], -1.0f, s.scale, common::roundingOffset(1, 7, 3, i), 255.0f);
  y[i] += common::decode(static_cast<float>(common::codeAt(bytes, i, 4)), s.step, -1.0f);
  y[i] += common::roundToBf16(x[i]) + common::bf16BitsToF32(common::f32ToBf16Bits(y[i]));
  if (slimtune_dropout_keep(7, 3, static_cast<uint64_t>(i), 0.1f))
    common::packCode(bytes, i, 8, q);
}
