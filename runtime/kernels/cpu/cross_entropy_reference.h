// Plain reference of mean cross-entropy over the non-ignored rows, with its logits gradient,
// templated on the element type so that tests can run it in double precision. Semantics:
// CROSS_ENTROPY in kernel_abi.h.
#ifndef SLIMTUNE_KERNELS_CPU_CROSS_ENTROPY_REFERENCE_H
#define SLIMTUNE_KERNELS_CPU_CROSS_ENTROPY_REFERENCE_H

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace slimtune::cpu {

// Test hook: whether the fast cross-entropy uses its AVX2+FMA exponential (when the CPU has
// it) or libm's. Returns whether the AVX2 path is now in use.
bool setCrossEntropySimd(bool enabled);

namespace reference {

// logits [n, vocab], targets [n]. *loss = mean over rows with targets[i] != ignoreIndex of
// logsumexp(row) - row[target], 0 when every row is ignored. dlogits (may be null, may alias
// logits) = (softmax(row) - onehot(target)) / count on those rows, 0 on ignored rows.
template <typename T>
void crossEntropy(T *loss, T *dlogits, const T *logits, const int32_t *targets, int64_t n,
                  int64_t vocab, int32_t ignoreIndex) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i)
    count += targets[i] != ignoreIndex;
  T total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T *row = logits + i * vocab;
    if (targets[i] == ignoreIndex) {
      if (dlogits)
        std::fill(dlogits + i * vocab, dlogits + (i + 1) * vocab, T(0));
      continue;
    }
    T maximum = row[0];
    for (int64_t j = 1; j < vocab; ++j)
      maximum = std::max(maximum, row[j]);
    T sum = 0;
    for (int64_t j = 0; j < vocab; ++j)
      sum += std::exp(row[j] - maximum);
    const T lse = maximum + std::log(sum);
    total += lse - row[targets[i]];
    if (dlogits) {
      const int32_t target = targets[i];
      for (int64_t j = 0; j < vocab; ++j) // row may be dlogits' row: row[j] is read first
        dlogits[i * vocab + j] =
            (std::exp(row[j] - lse) - (j == target ? T(1) : T(0))) / static_cast<T>(count);
    }
  }
  *loss = count > 0 ? total / static_cast<T>(count) : T(0);
}

} // namespace reference
} // namespace slimtune::cpu

#endif // SLIMTUNE_KERNELS_CPU_CROSS_ENTROPY_REFERENCE_H
