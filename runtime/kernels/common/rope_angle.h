// RoPE's rotation angle (ROPE in kernel_abi.h), shared by the CPU's reference and fast kernels
// and the CUDA kernel so that every backend rotates by the same cosines and sines.
#ifndef SLIMTUNE_KERNELS_COMMON_ROPE_ANGLE_H
#define SLIMTUNE_KERNELS_COMMON_ROPE_ANGLE_H

#include "kernels/common/host_device.h"

#include <cmath>
#include <cstdint>

namespace slimtune::common {

// The angle of channel pair i (< headDim / 2) at position pos: pos theta^(-2i/headDim), in
// double so that long sequences stay accurate.
SLIMTUNE_HOST_DEVICE inline double ropeAngle(int64_t pos, int64_t i, int64_t headDim,
                                             double theta) {
  return static_cast<double>(pos) *
         std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(headDim));
}

} // namespace slimtune::common

#endif // SLIMTUNE_KERNELS_COMMON_ROPE_ANGLE_H
