// SiLU and GELU (erf and tanh forms) with their gradients, one element at a time and in any
// precision: the definitions the CPU references compute and a CUDA kernel can call as they
// are. The CPU's fast kernels vectorize approximations of the same formulas, with these
// constants (cpu/elementwise.cpp).
#ifndef SLIMTUNE_KERNELS_COMMON_ACTIVATION_H
#define SLIMTUNE_KERNELS_COMMON_ACTIVATION_H

#include "kernels/common/host_device.h"

#include <cmath>

namespace slimtune::common {

// erf GELU: 0.5 x (1 + erf(x / sqrt 2));
// tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
constexpr double kGeluTanhScale = 0.7978845608028654; // sqrt(2 / pi)
constexpr double kGeluCubic = 0.044715;
constexpr double kInvSqrt2 = 0.7071067811865476;
constexpr double kInvSqrt2Pi = 0.3989422804014327;

template <typename T> SLIMTUNE_HOST_DEVICE inline T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

// silu(x) = x sigmoid(x).
template <typename T> SLIMTUNE_HOST_DEVICE inline T silu(T x) { return x * sigmoid(x); }

// dy times d silu / dx = s (1 + x (1 - s)), s = sigmoid(x), multiplied in that order.
template <typename T> SLIMTUNE_HOST_DEVICE inline T siluGrad(T dy, T x) {
  const T s = sigmoid(x);
  return dy * s * (T(1) + x * (T(1) - s));
}

template <typename T> SLIMTUNE_HOST_DEVICE inline T gelu(T x, bool tanhApproximation) {
  if (tanhApproximation)
    return T(0.5) * x * (T(1) + std::tanh(T(kGeluTanhScale) * (x + T(kGeluCubic) * x * x * x)));
  return T(0.5) * x * (T(1) + std::erf(x * T(kInvSqrt2)));
}

// d gelu / dx: Φ(x) + x φ(x) (erf form); the tanh form's own derivative.
template <typename T> SLIMTUNE_HOST_DEVICE inline T geluDerivative(T x, bool tanhApproximation) {
  if (tanhApproximation) {
    const T t = std::tanh(T(kGeluTanhScale) * (x + T(kGeluCubic) * x * x * x));
    const T dz = T(kGeluTanhScale) * (T(1) + T(3 * kGeluCubic) * x * x);
    return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * dz;
  }
  const T cdf = T(0.5) * (T(1) + std::erf(x * T(kInvSqrt2)));
  const T pdf = T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
  return cdf + x * pdf;
}

template <typename T> SLIMTUNE_HOST_DEVICE inline T geluGrad(T dy, T x, bool tanhApproximation) {
  return dy * geluDerivative(x, tanhApproximation);
}

} // namespace slimtune::common

#endif // SLIMTUNE_KERNELS_COMMON_ACTIVATION_H
