// Plain references of the optimizer kernels (gradient norm, AdamW), templated on the element
// type so that tests can run them in double precision. Semantics: SUM_SQUARES, SQRT_F64 and
// ADAMW in kernel_abi.h.
#ifndef SLIMTUNE_KERNELS_CPU_OPTIMIZER_REFERENCE_H
#define SLIMTUNE_KERNELS_CPU_OPTIMIZER_REFERENCE_H

#include "kernels/common/adamw.h"

#include <cmath>
#include <cstdint>

namespace slimtune::cpu::reference {

// *acc += sum_i x[i]^2, accumulated in double.
template <typename T> void sumSquares(double *acc, const T *x, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  *acc += sum;
}

template <typename T> void sqrtF64(T *out, const double *acc) {
  *out = static_cast<T>(std::sqrt(*acc));
}

// The factor AdamW scales gradients by (kernels/common/adamw.h): min(1, maxNorm /
// (sqrt(*sumSquares) + 1e-6)) when maxNorm > 0 and sumSquares is given, else 1.
using common::clipFactor;

// PyTorch's AdamW with t = *step + 1, g' = g clip:
//   p -= lr wd p; m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2;
//   p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
template <typename T>
void adamw(T *p, T *m, T *v, const T *g, int64_t n, const T *lr, const int32_t *step,
           const double *sumSquares, T maxNorm, T beta1, T beta2, T eps, T weightDecay) {
  const T t = static_cast<T>(*step) + T(1);
  const T clip = static_cast<T>(clipFactor(sumSquares, maxNorm));
  const T correction1 = T(1) - std::pow(beta1, t), correction2 = T(1) - std::pow(beta2, t);
  for (int64_t i = 0; i < n; ++i) {
    const T grad = g[i] * clip;
    p[i] -= *lr * weightDecay * p[i];
    m[i] = beta1 * m[i] + (T(1) - beta1) * grad;
    v[i] = beta2 * v[i] + (T(1) - beta2) * grad * grad;
    p[i] -= *lr * (m[i] / correction1) / (std::sqrt(v[i] / correction2) + eps);
  }
}

} // namespace slimtune::cpu::reference

#endif // SLIMTUNE_KERNELS_CPU_OPTIMIZER_REFERENCE_H
