// CE-LoRA's column selection (kernel_abi.h, sampled_linear_grad), shared by the CPU kernel, its
// reference and the tests: the score of an output feature j is ‖dy[:, j]‖ · ‖W_j‖ (W_j the
// weight's row j in layout out_in, its column j in layout in_out), summed in fp32 in row order
// so that every implementation computes the same floats; the selected features are the k
// highest scores, ties to the lower index, returned in ascending order.
#ifndef SLIMTUNE_KERNELS_COMMON_COLUMN_SELECTION_H
#define SLIMTUNE_KERNELS_COMMON_COLUMN_SELECTION_H

#include "kernels/common/bf16.h"
#include "kernels/common/host_device.h"

#include <cmath>

#include <cstdint>

namespace slimtune::common {

// Element (row, col) of a weight given as f32 or as bf16 bit patterns.
SLIMTUNE_HOST_DEVICE inline float weightAt(const void *w, bool bf16, int64_t at) {
  return bf16 ? bf16BitsToF32(static_cast<const uint16_t *>(w)[at]) : static_cast<const float *>(w)[at];
}

// The norm of output feature j's weights: row j of W [out, in] (inOut false) or column j of
// W [in, out] (inOut true).
SLIMTUNE_HOST_DEVICE inline float weightFeatureNorm(const void *w, bool bf16, bool inOut, int64_t in, int64_t out,
                               int64_t j) {
  float sum = 0;
  for (int64_t c = 0; c < in; ++c) {
    float v = weightAt(w, bf16, inOut ? c * out + j : j * in + c);
    sum += v * v;
  }
  return sqrtf(sum);
}

// Whether feature a ranks before feature b: the higher score, then the lower index. Scores are
// compared as numbers; a NaN (from a NaN gradient) ranks first, so that a broken step still
// selects k distinct, valid features.
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
