// Plain references of the elementwise kernels (add, mul, fill_zero, copy_columns, SiLU, GELU),
// templated on the element type so that tests can run them in double precision. Semantics:
// SLIMTUNE_KERNELS in kernel_abi.h.
#ifndef SLIMTUNE_KERNELS_CPU_ELEMENTWISE_REFERENCE_H
#define SLIMTUNE_KERNELS_CPU_ELEMENTWISE_REFERENCE_H

#include <cmath>
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

template <typename T>
T sigmoidOf(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

// silu(x) = x * sigmoid(x).
template <typename T>
void silu(T *y, const T *x, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = x[i] * sigmoidOf(x[i]);
}

// d silu / dx = s (1 + x (1 - s)), s = sigmoid(x).
template <typename T>
void siluGrad(T *dx, const T *dy, const T *x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    T s = sigmoidOf(x[i]);
    dx[i] = dy[i] * s * (T(1) + x[i] * (T(1) - s));
  }
}

// erf GELU: 0.5 x (1 + erf(x / sqrt 2)); tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
constexpr double kGeluTanhScale = 0.7978845608028654; // sqrt(2 / pi)
constexpr double kGeluCubic = 0.044715;
constexpr double kInvSqrt2 = 0.7071067811865476;
constexpr double kInvSqrt2Pi = 0.3989422804014327;

template <typename T>
T geluOf(T x, bool tanhApproximation) {
  if (tanhApproximation)
    return T(0.5) * x *
           (T(1) + std::tanh(T(kGeluTanhScale) * (x + T(kGeluCubic) * x * x * x)));
  return T(0.5) * x * (T(1) + std::erf(x * T(kInvSqrt2)));
}

template <typename T>
T geluDerivativeOf(T x, bool tanhApproximation) {
  if (tanhApproximation) {
    T t = std::tanh(T(kGeluTanhScale) * (x + T(kGeluCubic) * x * x * x));
    T dz = T(kGeluTanhScale) * (T(1) + T(3 * kGeluCubic) * x * x);
    return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * dz;
  }
  T cdf = T(0.5) * (T(1) + std::erf(x * T(kInvSqrt2)));
  T pdf = T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
  return cdf + x * pdf;
}

template <typename T>
void gelu(T *y, const T *x, int64_t n, int32_t tanhApproximation) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = geluOf(x[i], tanhApproximation != 0);
}

template <typename T>
void geluGrad(T *dx, const T *dy, const T *x, int64_t n, int32_t tanhApproximation) {
  for (int64_t i = 0; i < n; ++i)
    dx[i] = dy[i] * geluDerivativeOf(x[i], tanhApproximation != 0);
}

} // namespace slimtune::cpu::reference

#endif // SLIMTUNE_KERNELS_CPU_ELEMENTWISE_REFERENCE_H
