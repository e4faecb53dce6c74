// Plain references of the elementwise kernels (add, mul, scaled_add, fill_zero, copy_columns, SiLU, GELU),
// templated on the element type so that tests can run them in double precision; the
// activations one element at a time through kernels/common/activation.h. Semantics:
// SLIMTUNE_KERNELS in kernel_abi.h.
#ifndef SLIMTUNE_KERNELS_CPU_ELEMENTWISE_REFERENCE_H
#define SLIMTUNE_KERNELS_CPU_ELEMENTWISE_REFERENCE_H

#include "kernels/common/activation.h"

#include <cstdint>

namespace slimtune::cpu::reference {

// y[i] = a[i] + b[i]; y may alias a or b.
template <typename T>
void add(T *y, const T *a, const T *b, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = a[i] + b[i];
}

// y[i] = a[i] * b[i]; y may alias a or b.
template <typename T>
void mul(T *y, const T *a, const T *b, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = a[i] * b[i];
}

// y[i] = alpha a[i] + beta b[i] (alpha a[i] when beta = 0: b is not read); y may alias a or b.
template <typename T>
void scaledAdd(T *y, const T *a, const T *b, int64_t n, float alpha, float beta) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = beta == 0 ? static_cast<T>(alpha) * a[i]
                     : static_cast<T>(alpha) * a[i] + static_cast<T>(beta) * b[i];
}

inline void fillZero(void *y, int64_t bytes) {
  auto *p = static_cast<unsigned char *>(y);
  for (int64_t i = 0; i < bytes; ++i)
    p[i] = 0;
}

// dst [rows, dstCols], src [rows, srcCols]: dst[r, dstOffset + j] = src[r, srcOffset + j].
template <typename T>
void copyColumns(T *dst, const T *src, int64_t rows, int64_t srcCols, int64_t dstCols,
                 int64_t srcOffset, int64_t dstOffset, int64_t width) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < width; ++j)
      dst[r * dstCols + dstOffset + j] = src[r * srcCols + srcOffset + j];
}

// silu(x) = x * sigmoid(x); its gradient dy s (1 + x (1 - s)), s = sigmoid(x).
template <typename T>
void silu(T *y, const T *x, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = common::silu(x[i]);
}

template <typename T>
void siluGrad(T *dx, const T *dy, const T *x, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    dx[i] = common::siluGrad(dy[i], x[i]);
}

// GELU, erf or tanh form (kernels/common/activation.h).
template <typename T>
void gelu(T *y, const T *x, int64_t n, int32_t tanhApproximation) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = common::gelu(x[i], tanhApproximation != 0);
}

template <typename T>
void geluGrad(T *dx, const T *dy, const T *x, int64_t n, int32_t tanhApproximation) {
  for (int64_t i = 0; i < n; ++i)
    dx[i] = common::geluGrad(dy[i], x[i], tanhApproximation != 0);
}

} // namespace slimtune::cpu::reference

#endif // SLIMTUNE_KERNELS_CPU_ELEMENTWISE_REFERENCE_H
