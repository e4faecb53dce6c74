// Device kernels (device_kernel_test.h), activations and elementwise: silu, gelu and their
// gradients, activation_flags, add, mul.
#include "kernels/device_buffers.h"
#include "kernels/device_kernel_test.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace slimtune::testing {
namespace {

//===-- Activations and elementwise -------------------------------------------------------===//

enum class Activation { Silu, SiluGrad, Gelu, GeluGrad };

// The terms each activation sums, in absolute value (x sigmoid(x) has none that cancel):
//   silu_grad = dy s (1 + x (1 - s)):         |dy| s (1 + |x| (1 + s))
//   gelu      = 0.5 x (1 + erf|tanh(..)):     0.5 |x| (1 + |erf|tanh|)
//   gelu_grad = dy (0.5 (1 + erf) + x pdf):   |dy| (0.5 (1 + |erf|) + |x| pdf)
//             tanh: dy (0.5 (1 + t) + 0.5 x (1 - t^2) dz): |dy| (0.5 (1 + |t|) + 0.5 |x| (1 + t^2)
//             |dz|)
double activationMagnitude(Activation kind, bool tanhForm, double x, double dy) {
  const double s = 1.0 / (1.0 + std::exp(-x));
  const double z = 0.7978845608028654 * (x + 0.044715 * x * x * x), t = std::tanh(z);
  const double e = std::erf(x * 0.7071067811865476);
  switch (kind) {
  case Activation::Silu:
    return 0.0;
  case Activation::SiluGrad:
    return std::fabs(dy) * s * (1 + std::fabs(x) * (1 + s));
  case Activation::Gelu:
    return 0.5 * std::fabs(x) * (1 + std::fabs(tanhForm ? t : e));
  case Activation::GeluGrad:
    if (tanhForm) {
      const double dz = 0.7978845608028654 * (1 + 3 * 0.044715 * x * x);
      return std::fabs(dy) * (0.5 * (1 + std::fabs(t)) + 0.5 * std::fabs(x) * (1 + t * t) * dz);
    }
    return std::fabs(dy) *
           (0.5 * (1 + std::fabs(e)) + std::fabs(x) * 0.3989422804014327 * std::exp(-0.5 * x * x));
  }
  return 0.0;
}

TEST_P(DeviceKernels, Activations) {
  Rng rng(20);
  for (Activation kind :
       {Activation::Silu, Activation::SiluGrad, Activation::Gelu, Activation::GeluGrad})
    for (int32_t tanhForm : {0, 1}) {
      if ((kind == Activation::Silu || kind == Activation::SiluGrad) && tanhForm)
        continue;
      for (int64_t n : kElementCounts) {
        const std::string shape = cat("n ", n, tanhForm ? " tanh" : "");
        std::vector<float> x = rng.uniform(n, -8, 8), dy = rng.uniform(n);
        DeviceBuffers d(device());
        float *out = d.filled(n, 3.0f);
        const float *dX = d.upload(x), *dDy = d.upload(dy);
        ASSERT_TRUE(d.ok());
        std::vector<float> ref(n);
        std::string l;
        switch (kind) {
        case Activation::Silu:
          l = label<SLIMTUNE_KERNEL_SILU>(shape);
          onDevice<SLIMTUNE_KERNEL_SILU>(l, out, dX, n);
          onHost<SLIMTUNE_KERNEL_SILU>(l, ref.data(), x.data(), n);
          break;
        case Activation::SiluGrad:
          l = label<SLIMTUNE_KERNEL_SILU_GRAD>(shape);
          onDevice<SLIMTUNE_KERNEL_SILU_GRAD>(l, out, dDy, dX, n);
          onHost<SLIMTUNE_KERNEL_SILU_GRAD>(l, ref.data(), dy.data(), x.data(), n);
          break;
        case Activation::Gelu:
          l = label<SLIMTUNE_KERNEL_GELU>(shape);
          onDevice<SLIMTUNE_KERNEL_GELU>(l, out, dX, n, tanhForm);
          onHost<SLIMTUNE_KERNEL_GELU>(l, ref.data(), x.data(), n, tanhForm);
          break;
        case Activation::GeluGrad:
          l = label<SLIMTUNE_KERNEL_GELU_GRAD>(shape);
          onDevice<SLIMTUNE_KERNEL_GELU_GRAD>(l, out, dDy, dX, n, tanhForm);
          onHost<SLIMTUNE_KERNEL_GELU_GRAD>(l, ref.data(), dy.data(), x.data(), n, tanhForm);
          break;
        }
        std::vector<double> magnitude(n);
        for (int64_t i = 0; i < n; ++i)
          magnitude[i] = activationMagnitude(kind, tanhForm, x[i], dy[i]);
        expectClose(l, "y", d.download(out, ref.size()), ref, magnitude);
      }
    }
}

// Flags are compared byte for byte (unused bits included); the flagged gradient is a product.
TEST_P(DeviceKernels, ActivationFlagsAndGrad) {
  Rng rng(21);
  for (int32_t kind : {0, 1})
    for (int64_t n : {int64_t{1}, int64_t{5}, int64_t{777}, int64_t{300 * 777 + 3}}) {
      const std::string flagsLabel =
          label<SLIMTUNE_KERNEL_ACTIVATION_FLAGS>(cat("n ", n, " kind ", kind));
      const std::string gradLabel =
          label<SLIMTUNE_KERNEL_ACTIVATION_GRAD_FLAGS>(cat("n ", n, " kind ", kind));
      std::vector<float> x = rng.uniform(n, -6, 6), dy = rng.uniform(n);
      const int64_t bytes = (n + 3) / 4;
      DeviceBuffers d(device());
      uint8_t *flags = d.filled<uint8_t>(bytes, 0xFF);
      float *dx = d.filled(n, 3.0f);
      const float *dX = d.upload(x), *dDy = d.upload(dy);
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_ACTIVATION_FLAGS>(flagsLabel, flags, dX, n, kind);
      std::vector<uint8_t> flagsRef(bytes, 0xFF);
      onHost<SLIMTUNE_KERNEL_ACTIVATION_FLAGS>(flagsLabel, flagsRef.data(), x.data(), n, kind);
      expectEqualBytes(flagsLabel, "flags", d.download(flags, bytes), flagsRef);
      // The gradient from the reference's flags on both sides.
      const uint8_t *dFlags = d.upload(flagsRef);
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_ACTIVATION_GRAD_FLAGS>(gradLabel, dx, dDy, dFlags, n, kind);
      std::vector<float> ref(n);
      onHost<SLIMTUNE_KERNEL_ACTIVATION_GRAD_FLAGS>(gradLabel, ref.data(), dy.data(),
                                                    flagsRef.data(), n, kind);
      expectClose(gradLabel, "dx", d.download(dx, ref.size()), ref);
    }
}

// y = a + b (magnitude |a| + |b|) and y = a b; y separate, aliasing a, or aliasing b.
TEST_P(DeviceKernels, AddAndMul) {
  Rng rng(22);
  for (bool isAdd : {true, false})
    for (int64_t n : kElementCounts)
      for (int aliasing : {0, 1, 2}) {
        const std::string shape = cat("n ", n,
                                      aliasing == 1   ? " y=a"
                                      : aliasing == 2 ? " y=b"
                                                      : "");
        const std::string l =
            isAdd ? label<SLIMTUNE_KERNEL_ADD>(shape) : label<SLIMTUNE_KERNEL_MUL>(shape);
        std::vector<float> a = rng.uniform(n, -3, 3), b = rng.uniform(n, -3, 3);
        DeviceBuffers d(device());
        float *dA = d.upload(a), *dB = d.upload(b);
        float *y = aliasing == 1 ? dA : aliasing == 2 ? dB : d.filled(n, 7.0f);
        ASSERT_TRUE(d.ok());
        std::vector<float> ha = a, hb = b, hy(n, 7.0f);
        float *refY = aliasing == 1 ? ha.data() : aliasing == 2 ? hb.data() : hy.data();
        if (isAdd) {
          onDevice<SLIMTUNE_KERNEL_ADD>(l, y, dA, dB, n);
          onHost<SLIMTUNE_KERNEL_ADD>(l, refY, ha.data(), hb.data(), n);
        } else {
          onDevice<SLIMTUNE_KERNEL_MUL>(l, y, dA, dB, n);
          onHost<SLIMTUNE_KERNEL_MUL>(l, refY, ha.data(), hb.data(), n);
        }
        std::vector<float> ref(refY, refY + n);
        std::vector<double> magnitude;
        if (isAdd) {
          magnitude.resize(n);
          for (int64_t i = 0; i < n; ++i)
            magnitude[i] = std::fabs(a[i]) + std::fabs(b[i]);
        }
        expectClose(l, "y", d.download(y, n), ref, magnitude);
      }
}

// y = alpha a + beta b (magnitude |alpha a| + |beta b|), the reversible couplings and their
// inverses, output aliasing b; beta = 0 reads nothing of b (NaN there stays out).
TEST_P(DeviceKernels, ScaledAdd) {
  Rng rng(23);
  for (int64_t n : kElementCounts)
    for (auto [alpha, beta] : {std::pair{0.1f, 1.0f}, {10.0f, -10.0f}, {0.5f, 0.5f}, {0.02f, 0.0f}}) {
      const std::string l = label<SLIMTUNE_KERNEL_SCALED_ADD>(cat("n ", n, " alpha ", alpha, " beta ", beta));
      std::vector<float> a = rng.uniform(n, -3, 3), b = rng.uniform(n, -3, 3);
      if (beta == 0.0f)
        b.assign(n, std::numeric_limits<float>::quiet_NaN());
      DeviceBuffers d(device());
      float *dA = d.upload(a), *dB = d.upload(b);
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_SCALED_ADD>(l, dB, dA, dB, n, alpha, beta);
      std::vector<float> ref(n);
      onHost<SLIMTUNE_KERNEL_SCALED_ADD>(l, ref.data(), a.data(), b.data(), n, alpha, beta);
      std::vector<double> magnitude(n);
      for (int64_t i = 0; i < n; ++i)
        magnitude[i] = std::fabs(alpha * a[i]) + (beta == 0.0f ? 0.0 : std::fabs(beta * b[i]));
      expectClose(l, "y", d.download(dB, n), ref, magnitude);
    }
}

} // namespace
} // namespace slimtune::testing
