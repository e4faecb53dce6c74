// CE-LoRA's column selection (kernel_abi.h, sampled_linear_grad), shared by the CPU kernel, its
// reference, the CUDA kernel and the tests: the score of output feature j is
// ‖dy[:, j]‖ · norms[j] (norms: the residual weight's per-feature norms), the sum of squares in
// fp32 in row order so that every implementation computes the same floats; the selected
// features are the k highest scores, ties to the lower index, returned in ascending order.
#ifndef SLIMTUNE_KERNELS_COMMON_COLUMN_SELECTION_H
#define SLIMTUNE_KERNELS_COMMON_COLUMN_SELECTION_H

#include "kernels/common/bf16.h"
#include "kernels/common/host_device.h"

#include <cstdint>

namespace slimtune::common {

// Element `at` of a weight given as f32 or as bf16 bit patterns.
SLIMTUNE_HOST_DEVICE inline float weightAt(const void *w, bool bf16, int64_t at) {
  return bf16 ? bf16BitsToF32(static_cast<const uint16_t *>(w)[at]) : static_cast<const float *>(w)[at];
}

// The index of element (feature j, input c) of a weight stored [out, in] (inOut false) or
// [in, out] (inOut true).
SLIMTUNE_HOST_DEVICE inline int64_t featureElement(bool inOut, int64_t in, int64_t out, int64_t j,
                                                   int64_t c) {
  return inOut ? c * out + j : j * in + c;
}

// Whether feature a ranks before feature b: the higher score, then the lower index. A NaN
// score (from a NaN gradient) ranks first, so that a broken step still selects k distinct,
// valid features.
SLIMTUNE_HOST_DEVICE inline bool ranksBefore(const float *score, int32_t a, int32_t b) {
  float sa = score[a], sb = score[b];
  bool na = sa != sa, nb = sb != sb;
  if (na != nb)
    return na;
  if (!na && sa != sb)
    return sa > sb;
  return a < b;
}

} // namespace slimtune::common

#endif // SLIMTUNE_KERNELS_COMMON_COLUMN_SELECTION_H
