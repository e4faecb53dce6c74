// bfloat16 as the kernels see it (kernel_abi.h: bf16 tensors travel as uint16_t bit patterns):
// the top half of an fp32, so widening is a shift and narrowing a rounding of the low half.
// One definition for the CPU kernels and CUDA device code, so that every backend rounds an
// activation to the same bf16 value (linear_bf16's bf16(x)) and the CPU reference checks the
// GPU bit for bit on the rounded inputs. The checkpoint readers' and writers' conversions
// (kernels/cpu/convert.h) are these too.
#ifndef SLIMTUNE_KERNELS_COMMON_BF16_H
#define SLIMTUNE_KERNELS_COMMON_BF16_H

#include "kernels/common/host_device.h"

#include <cstdint>
#include <cstring>

namespace slimtune::common {

// The bits of an fp32 and back: memcpy on the host (no aliasing questions), the intrinsics in
// device code.
SLIMTUNE_HOST_DEVICE inline uint32_t f32Bits(float f) {
#ifdef __CUDA_ARCH__
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
#endif
}

SLIMTUNE_HOST_DEVICE inline float f32FromBits(uint32_t u) {
#ifdef __CUDA_ARCH__
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
#endif
}

// fp32 -> bf16 bits, rounded to nearest, ties to even. Adding 0x7fff plus the kept half's
// lowest bit to the fp32's bits rounds its low half into the high one in integer arithmetic
// (a carry into the exponent is exactly right, up to infinity; infinities are unchanged). A
// NaN would carry into the sign or become infinity, so it is truncated instead, with the
// quiet bit set: a NaN whose payload sat in the low half alone stays NaN (never infinity).
SLIMTUNE_HOST_DEVICE inline uint16_t f32ToBf16Bits(float f) {
  const uint32_t u = f32Bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return static_cast<uint16_t>((u >> 16) | 0x40u);
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// bf16 bits -> fp32: exact.
SLIMTUNE_HOST_DEVICE inline float bf16BitsToF32(uint16_t b) {
  return f32FromBits(static_cast<uint32_t>(b) << 16);
}

// f rounded to the nearest bf16 value, as an fp32.
SLIMTUNE_HOST_DEVICE inline float roundToBf16(float f) { return bf16BitsToF32(f32ToBf16Bits(f)); }

} // namespace slimtune::common

#endif // SLIMTUNE_KERNELS_COMMON_BF16_H
