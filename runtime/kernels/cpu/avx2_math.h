// AVX2 + FMA helpers the fast kernels share: the target attribute their SIMD paths are
// compiled with (the rest of the file stays baseline x86-64, chosen at run time), and a
// vector exponential.
#ifndef SLIMTUNE_KERNELS_CPU_AVX2_MATH_H
#define SLIMTUNE_KERNELS_CPU_AVX2_MATH_H

#include <immintrin.h>

#define SLIMTUNE_AVX2 __attribute__((target("avx2,fma")))

namespace slimtune::cpu {

// e^x with relative error < 2 ulp on [-87, 88] (Cephes expf: x = n ln2 + r, |r| <= ln2/2,
// e^r by a degree-6 polynomial, 2^n in the exponent bits); inputs are clamped to that range,
// so e^x is never subnormal (callers mask the entries that must be exactly 0). NaN stays NaN,
// as with libm's expf: max/min return their second operand when either is NaN, so x goes
// second, and a NaN score reaches the loss instead of being clamped into a number.
SLIMTUNE_AVX2 inline __m256 exp256(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(88.0f), _mm256_max_ps(_mm256_set1_ps(-87.0f), x));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  __m256i e =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

} // namespace slimtune::cpu

#endif // SLIMTUNE_KERNELS_CPU_AVX2_MATH_H
