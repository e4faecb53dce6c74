// The optimizer's kernels: the squared gradient norm (accumulated in double, reduced in a fixed
// order), its square root, and AdamW in PyTorch's arithmetic (p *= 1 - lr wd; m, v moving
// averages; p -= (lr / c1) m / (sqrt(v) / sqrt(c2) + eps)) with the bias corrections and the
// clipping factor computed once in double.
// The element loops use AVX2 when the CPU has it and are split over the cores.
#include "kernels/common/adamw.h"
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/kernels.h"

#include <cmath>

namespace slimtune::cpu {
namespace {

SLIMTUNE_INLINE double sumSquaresRange(const float *x, int64_t begin, int64_t end) {
  double acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t i = begin; i < end; ++i)
    acc += static_cast<double>(x[i]) * x[i];
  return acc;
}
SLIMTUNE_AVX2 double sumSquaresAvx2(const float *x, int64_t begin, int64_t end) {
  return sumSquaresRange(x, begin, end);
}
double sumSquaresBaseline(const float *x, int64_t begin, int64_t end) {
  return sumSquaresRange(x, begin, end);
}

// The constants and the scalar update (the AVX2 loop's tail and the baseline loop):
// kernels/common/adamw.h, which the CUDA kernel shares.
using common::AdamConstants;

SLIMTUNE_AVX2 void adamAvx2(const AdamConstants &k, float *p, float *m, float *v, const float *g,
                            int64_t begin, int64_t end) {
  const __m256 clip = _mm256_set1_ps(k.clip), decay = _mm256_set1_ps(k.decay),
               b1 = _mm256_set1_ps(k.beta1), c1 = _mm256_set1_ps(k.oneMinusBeta1),
               b2 = _mm256_set1_ps(k.beta2), c2 = _mm256_set1_ps(k.oneMinusBeta2),
               step = _mm256_set1_ps(k.stepSize), root = _mm256_set1_ps(k.inverseRootBias2),
               eps = _mm256_set1_ps(k.eps);
  int64_t i = begin;
  for (; i + 8 <= end; i += 8) {
    const __m256 grad = _mm256_mul_ps(_mm256_loadu_ps(g + i), clip);
    const __m256 pv = _mm256_mul_ps(_mm256_loadu_ps(p + i), decay);
    const __m256 mv =
        _mm256_add_ps(_mm256_mul_ps(b1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(c1, grad));
    const __m256 vv = _mm256_add_ps(_mm256_mul_ps(b2, _mm256_loadu_ps(v + i)),
                                    _mm256_mul_ps(c2, _mm256_mul_ps(grad, grad)));
    const __m256 denom = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vv), root), eps);
    _mm256_storeu_ps(p + i, _mm256_sub_ps(pv, _mm256_div_ps(_mm256_mul_ps(step, mv), denom)));
    _mm256_storeu_ps(m + i, mv);
    _mm256_storeu_ps(v + i, vv);
  }
  for (; i < end; ++i)
    common::adamElement(k, p[i], m[i], v[i], g[i]);
}

} // namespace

void sumSquares(double *acc, const float *x, int64_t n) {
  const bool avx2 = cpuHasAvx2();
  double partial[kMaxThreads] = {};
  const int threads = forThreadChunks(n, n, [&](int thread, int64_t begin, int64_t end) {
    partial[thread] = avx2 ? sumSquaresAvx2(x, begin, end) : sumSquaresBaseline(x, begin, end);
  });
  double total = 0;
  for (int i = 0; i < threads; ++i)
    total += partial[i];
  *acc += total;
}

void sqrtF64(float *out, const double *acc) { *out = static_cast<float>(std::sqrt(*acc)); }

void adamw(float *p, float *m, float *v, const float *g, int64_t n, const float *lr,
           const int32_t *step, const double *sumSquares, float maxNorm, float beta1, float beta2,
           float eps, float weightDecay) {
  const AdamConstants k =
      common::adamConstants(*lr, *step, sumSquares, maxNorm, beta1, beta2, eps, weightDecay);
  const bool avx2 = cpuHasAvx2();
  forThreadChunks(n, n, [&](int, int64_t begin, int64_t end) {
    if (avx2) {
      adamAvx2(k, p, m, v, g, begin, end);
    } else {
      for (int64_t i = begin; i < end; ++i)
        common::adamElement(k, p[i], m[i], v[i], g[i]);
    }
  });
}

} // namespace slimtune::cpu
