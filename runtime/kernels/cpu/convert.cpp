// fp32 <-> fp16 / bf16 conversions: references from the format definitions, and bulk versions
// that use F16C (8 values per instruction) when the CPU has it.
#include "kernels/cpu/convert.h"

#include "kernels/common/bf16.h"

#include <cstring>
#include <immintrin.h>

namespace slimtune::cpu {
namespace {
uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
} // namespace

//===-- References --------------------------------------------------------------------===//

// IEEE binary16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
float f16ToF32Reference(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  if (exponent == 0x1f) // Inf or NaN; NaN payload kept in the top mantissa bits.
    return floatOf(sign | 0x7f800000 | (mantissa << 13));
  if (exponent == 0) {
    if (mantissa == 0)
      return floatOf(sign);
    // Subnormal: mantissa · 2^-24, exact in fp32.
    float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  return floatOf(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
}

uint16_t f32ToF16Reference(float f) {
  uint32_t u = bitsOf(f);
  uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000);
  uint32_t exponent = (u >> 23) & 0xff;
  uint32_t mantissa = u & 0x7fffff;
  if (exponent == 0xff) {
    if (mantissa == 0)
      return sign | 0x7c00;
    // NaN: keep the top payload bits and force the quiet bit so it stays a NaN.
    return sign | 0x7c00 | 0x200 | static_cast<uint16_t>(mantissa >> 13);
  }
  int32_t e = static_cast<int32_t>(exponent) - 127 + 15; // biased half exponent
  if (e >= 0x1f)
    return sign | 0x7c00; // too large: infinity
  // The value's significand with its implicit bit (0 for fp32 subnormals, far below half's
  // range anyway), and how many low bits the half result drops.
  uint32_t significand = exponent ? (mantissa | 0x800000) : mantissa;
  int32_t shift = e > 0 ? 13 : 14 - e; // subnormal halves drop more bits
  if (shift > 24)
    return sign; // below half the smallest subnormal: rounds to zero
  uint32_t kept = significand >> shift;
  uint32_t dropped = significand & ((1u << shift) - 1);
  uint32_t halfway = 1u << (shift - 1);
  if (dropped > halfway || (dropped == halfway && (kept & 1)))
    ++kept; // may carry into the exponent, which is exactly right (up to infinity)
  if (e > 0)
    return sign | static_cast<uint16_t>((static_cast<uint32_t>(e) << 10) + (kept - 0x400));
  return sign | static_cast<uint16_t>(kept);
}

// bfloat16 is the top half of an fp32.
// bfloat16 is defined once for every backend (kernels/common/bf16.h): the checkpoint readers
// and writers round exactly as the bf16 kernels do.
float bf16ToF32Reference(uint16_t b) { return common::bf16BitsToF32(b); }

uint16_t f32ToBf16Reference(float f) { return common::f32ToBf16Bits(f); }

//===-- Fast bulk versions ------------------------------------------------------------===//

bool hasF16C() {
  static const bool has = __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx");
  return has;
}

namespace {
__attribute__((target("avx,f16c"))) void f16ToF32F16C(const uint16_t *src, float *dst,
                                                     size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(src + i));
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i)
    dst[i] = f16ToF32Reference(src[i]);
}

__attribute__((target("avx,f16c"))) void f32ToF16F16C(const float *src, uint16_t *dst,
                                                     size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i *>(dst + i), h);
  }
  for (; i < n; ++i)
    dst[i] = f32ToF16Reference(src[i]);
}
} // namespace

void f16ToF32(const uint16_t *src, float *dst, size_t n) {
  if (hasF16C())
    return f16ToF32F16C(src, dst, n);
  for (size_t i = 0; i < n; ++i)
    dst[i] = f16ToF32Reference(src[i]);
}

void f32ToF16(const float *src, uint16_t *dst, size_t n) {
  if (hasF16C())
    return f32ToF16F16C(src, dst, n);
  for (size_t i = 0; i < n; ++i)
    dst[i] = f32ToF16Reference(src[i]);
}

// The bf16 references are branch-light shifts the compiler vectorizes; the bulk versions are
// those loops, compiled once more for AVX2 and picked at load time.
__attribute__((target_clones("avx2", "default"))) void bf16ToF32(const uint16_t *src,
                                                                  float *dst, size_t n) {
  for (size_t i = 0; i < n; ++i)
    dst[i] = bf16ToF32Reference(src[i]);
}

__attribute__((target_clones("avx2", "default"))) void f32ToBf16(const float *src,
                                                                  uint16_t *dst, size_t n) {
  for (size_t i = 0; i < n; ++i)
    dst[i] = f32ToBf16Reference(src[i]);
}

} // namespace slimtune::cpu
