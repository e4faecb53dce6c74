// What the CPU kernels share: how their fast paths are compiled and picked (functions compiled
// for AVX2+FMA beside the baseline x86-64 code, chosen at run time from the CPU's features),
// the SIMD helpers several kernels use (horizontal sums and maxima, lane masks, a vector
// exponential), and when a loop is worth waking the OpenMP team.
#ifndef SLIMTUNE_KERNELS_CPU_CPU_COMMON_H
#define SLIMTUNE_KERNELS_CPU_CPU_COMMON_H

#include <algorithm>
#include <cstdint>
#include <immintrin.h>
#include <omp.h>

// A function compiled for AVX2+FMA (the rest of its file stays baseline x86-64); called only
// when cpuHasAvx2().
#define SLIMTUNE_AVX2 __attribute__((target("avx2,fma")))
// A function compiled for AVX2 and for the baseline, the copy picked at load time. An ISA
// clone, not an arch= one: GCC picks "arch=haswell" (or x86-64-v3) clones only on Intel CPUs of
// that exact subtype, so AMD machines would always run the baseline clone.
#define SLIMTUNE_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
// A helper inlined into both copies of its caller: a call would stop the caller's loop from
// vectorizing (and <cmath>'s inline wrappers are not inlined across a target mismatch).
#define SLIMTUNE_INLINE __attribute__((always_inline)) inline

namespace slimtune::cpu {

//===-- When to go parallel -----------------------------------------------------------===//

// Work below this many elements runs on one thread: waking the team costs more than it saves.
constexpr int64_t kParallelMin = 1 << 15;
// Elements per parallel work item (64 KB of fp32), large enough to amortize a clone dispatch.
constexpr int64_t kChunk = 1 << 14;
// Reductions keep one partial per thread and add them in thread order (reproducible runs).
constexpr int kMaxThreads = 256;

// Calls range(thread, begin, end) on [0, n) split in one contiguous chunk per thread, on the
// team when `work` (elements in all) reaches kParallelMin; returns the number of chunks (the
// partials a reduction adds).
template <typename Range> int forThreadChunks(int64_t n, int64_t work, const Range &range) {
  int threads = 1;
#pragma omp parallel if (work >= kParallelMin)
  {
    const int thread = omp_get_thread_num();
#pragma omp single
    threads = std::min(omp_get_num_threads(), kMaxThreads);
    // The implicit barrier of `single` publishes `threads`.
    if (thread < threads)
      range(thread, n * thread / threads, n * (thread + 1) / threads);
  }
  return threads;
}

//===-- AVX2 --------------------------------------------------------------------------===//

inline bool cpuHasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

SLIMTUNE_AVX2 inline float hsum(__m256 v) {
  __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  x = _mm_add_ss(x, _mm_movehdup_ps(x));
  return _mm_cvtss_f32(x);
}

SLIMTUNE_AVX2 inline float hmax(__m256 v) {
  __m128 x = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  x = _mm_max_ps(x, _mm_movehl_ps(x, x));
  x = _mm_max_ss(x, _mm_movehdup_ps(x));
  return _mm_cvtss_f32(x);
}

// Lanes c with c0 + c < limit, as a mask.
SLIMTUNE_AVX2 inline __m256 lanesBelow(int c0, int limit) {
  __m256i lane = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(c0));
  return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(limit), lane));
}

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

#endif // SLIMTUNE_KERNELS_CPU_CPU_COMMON_H
