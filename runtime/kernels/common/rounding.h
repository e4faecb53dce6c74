// Arithmetic rounded after every operation, in float and double, for the per-element helpers a
// CUDA kernel shares with the CPU. The CPU build never fuses (-std=c++17 turns GCC's
// contraction off), while nvcc fuses a * b + c into one FMA, rounded once: a code of the stash
// codec could move across a rounding boundary, and a value by an ulp, against the CPU's. On
// the host these are the plain operators.
#ifndef SLIMTUNE_KERNELS_COMMON_ROUNDING_H
#define SLIMTUNE_KERNELS_COMMON_ROUNDING_H

#include "kernels/common/host_device.h"

namespace slimtune::common {

#ifdef __CUDA_ARCH__
SLIMTUNE_HOST_DEVICE inline float mulRn(float a, float b) { return __fmul_rn(a, b); }
SLIMTUNE_HOST_DEVICE inline float addRn(float a, float b) { return __fadd_rn(a, b); }
SLIMTUNE_HOST_DEVICE inline float subRn(float a, float b) { return __fsub_rn(a, b); }
SLIMTUNE_HOST_DEVICE inline double mulRn(double a, double b) { return __dmul_rn(a, b); }
SLIMTUNE_HOST_DEVICE inline double addRn(double a, double b) { return __dadd_rn(a, b); }
SLIMTUNE_HOST_DEVICE inline double subRn(double a, double b) { return __dsub_rn(a, b); }
#else
SLIMTUNE_HOST_DEVICE inline float mulRn(float a, float b) { return a * b; }
SLIMTUNE_HOST_DEVICE inline float addRn(float a, float b) { return a + b; }
SLIMTUNE_HOST_DEVICE inline float subRn(float a, float b) { return a - b; }
SLIMTUNE_HOST_DEVICE inline double mulRn(double a, double b) { return a * b; }
SLIMTUNE_HOST_DEVICE inline double addRn(double a, double b) { return a + b; }
SLIMTUNE_HOST_DEVICE inline double subRn(double a, double b) { return a - b; }
#endif

} // namespace slimtune::common

#endif // SLIMTUNE_KERNELS_COMMON_ROUNDING_H
