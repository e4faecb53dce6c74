// Conversions between fp32 and the 16-bit float formats checkpoints store (IEEE half, bfloat16).
// Each has a plain reference (bit manipulation written from the format definitions) and a fast
// bulk version; f32 -> 16-bit rounds to nearest, ties to even, and keeps NaNs NaN.
#ifndef SLIMTUNE_KERNELS_CPU_CONVERT_H
#define SLIMTUNE_KERNELS_CPU_CONVERT_H

#include <cstddef>
#include <cstdint>

namespace slimtune::cpu {

// Reference scalar conversions.
float f16ToF32Reference(uint16_t h);
uint16_t f32ToF16Reference(float f);
float bf16ToF32Reference(uint16_t b);
uint16_t f32ToBf16Reference(float f);

// Fast bulk conversions (F16C/AVX2 when the CPU has them, else the reference loop).
void f16ToF32(const uint16_t *src, float *dst, size_t n);
void f32ToF16(const float *src, uint16_t *dst, size_t n);
void bf16ToF32(const uint16_t *src, float *dst, size_t n);
void f32ToBf16(const float *src, uint16_t *dst, size_t n);

// Whether the fast half conversions use the F16C instructions on this CPU.
bool hasF16C();

} // namespace slimtune::cpu

#endif // SLIMTUNE_KERNELS_CPU_CONVERT_H
