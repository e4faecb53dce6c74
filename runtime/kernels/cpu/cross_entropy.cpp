// Mean cross-entropy over the non-ignored rows, and its gradient. Per row: the maximum, then
// e_j = exp(x_j - max) summed in double (and stored as dlogits when asked for, so each logit
// is exponentiated once), lse = max + log(sum), loss term lse - x_target, and dlogits scaled
// by 1 / (sum count). Rows are split over the cores; the loss is reduced in double, in a fixed
// order (one partial per thread), so a run is reproducible. The exponential is an AVX2+FMA
// polynomial (a few ulp) when the CPU has it, else libm's expf.
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/cross_entropy_reference.h"
#include "kernels/cpu/kernels.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

namespace slimtune::cpu {
namespace {

std::atomic<bool> simdEnabled{true};

SLIMTUNE_AVX2 float rowMaxAvx2(const float *x, int64_t n) {
  __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0;
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + j));
    m1 = _mm256_max_ps(m1, _mm256_loadu_ps(x + j + 8));
  }
  float result = hmax(_mm256_max_ps(m0, m1));
  for (; j < n; ++j)
    result = std::max(result, x[j]);
  return result;
}

// sum_j exp(x_j - shift), in double; the exponentials are stored to out when it is not null
// (out may be x).
SLIMTUNE_AVX2 double expSumAvx2(float *out, const float *x, int64_t n, float shift) {
  const __m256 s = _mm256_set1_ps(shift);
  __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), s));
    if (out)
      _mm256_storeu_ps(out + j, e);
    acc0 = _mm256_add_pd(acc0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
    acc1 = _mm256_add_pd(acc1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(acc0, acc1));
  double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; j < n; ++j) {
    const float e = std::exp(x[j] - shift);
    if (out)
      out[j] = e;
    sum += e;
  }
  return sum;
}

SLIMTUNE_AVX2 void scaleAvx2(float *x, int64_t n, float factor) {
  const __m256 f = _mm256_set1_ps(factor);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    _mm256_storeu_ps(x + j, _mm256_mul_ps(_mm256_loadu_ps(x + j), f));
  for (; j < n; ++j)
    x[j] *= factor;
}

double expSumPortable(float *out, const float *x, int64_t n, float shift) {
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    const float e = std::exp(x[j] - shift);
    if (out)
      out[j] = e;
    sum += e;
  }
  return sum;
}

// One non-ignored row: its loss term; dlogits row (may be the logits row) when not null.
double rowLoss(float *drow, const float *row, int64_t vocab, int32_t target, int64_t count,
               bool simd) {
  const float targetLogit = row[target];
  double sum;
  float maximum;
  if (simd) {
    maximum = rowMaxAvx2(row, vocab);
    sum = expSumAvx2(drow, row, vocab, maximum);
  } else {
    maximum = *std::max_element(row, row + vocab);
    sum = expSumPortable(drow, row, vocab, maximum);
  }
  if (drow) {
    const float factor = static_cast<float>(1.0 / (sum * static_cast<double>(count)));
    if (simd)
      scaleAvx2(drow, vocab, factor);
    else
      for (int64_t j = 0; j < vocab; ++j)
        drow[j] *= factor;
    drow[target] -= static_cast<float>(1.0 / static_cast<double>(count));
  }
  // lse - x_target = (max - x_target) + log(sum), both terms small and exact-ish.
  return (static_cast<double>(maximum) - targetLogit) + std::log(sum);
}

} // namespace

bool setCrossEntropySimd(bool enabled) {
  simdEnabled.store(enabled, std::memory_order_relaxed);
  return enabled && cpuHasAvx2();
}

int64_t countTargets(const int32_t *targets, int64_t n, int32_t ignoreIndex) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i)
    count += targets[i] != ignoreIndex;
  return count;
}

void crossEntropy(float *loss, float *dlogits, const float *logits, const int32_t *targets,
                  int64_t n, int64_t vocab, int32_t ignoreIndex) {
  const int64_t count = countTargets(targets, n, ignoreIndex);
  const double total = crossEntropySum(dlogits, logits, targets, n, vocab, ignoreIndex, count);
  *loss = count > 0 ? static_cast<float>(total / static_cast<double>(count)) : 0.0f;
}

double crossEntropySum(float *dlogits, const float *logits, const int32_t *targets, int64_t n,
                       int64_t vocab, int32_t ignoreIndex, int64_t count) {
  const bool simd = cpuHasAvx2() && simdEnabled.load(std::memory_order_relaxed);
  double partial[kMaxThreads] = {};
  // Rows split in contiguous static chunks, one per thread.
  const int threads = forThreadChunks(n, n * vocab, [&](int thread, int64_t begin, int64_t end) {
    double local = 0;
    for (int64_t i = begin; i < end; ++i) {
      float *drow = dlogits ? dlogits + i * vocab : nullptr;
      if (targets[i] == ignoreIndex) {
        if (drow)
          std::memset(drow, 0, vocab * sizeof(float));
        continue;
      }
      local += rowLoss(drow, logits + i * vocab, vocab, targets[i], count, simd);
    }
    partial[thread] = local;
  });
  double total = 0;
  for (int i = 0; i < threads; ++i)
    total += partial[i];
  return total;
}

} // namespace slimtune::cpu
