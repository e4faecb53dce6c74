// Device kernels (device_kernel_test.h), norms: rms_norm, layer_norm, normalize and their
// gradients, scale_shift.
#include "kernels/device_buffers.h"
#include "kernels/device_kernel_test.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace slimtune::testing {
namespace {

//===-- Norms -----------------------------------------------------------------------------===//

TEST_P(DeviceKernels, RmsNorm) {
  Rng rng(4);
  for (RowShape s : kRowShapes)
    for (bool withScale : {false, true}) {
      const std::string l = label<SLIMTUNE_KERNEL_RMS_NORM>(
          cat("n ", s.n, " c ", s.c, withScale ? " scale" : " no scale"));
      std::vector<float> x = rng.uniform(s.n * s.c, -2, 2), scale = rng.uniform(s.c, 0.5f, 1.5f);
      DeviceBuffers d(device());
      float *y = d.filled(s.n * s.c, 0.0f);
      const float *dx = d.upload(x), *dScale = withScale ? d.upload(scale) : nullptr;
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_RMS_NORM>(l, y, dx, dScale, s.n, s.c, 1e-5f);
      std::vector<float> ref(s.n * s.c);
      onHost<SLIMTUNE_KERNEL_RMS_NORM>(l, ref.data(), x.data(), withScale ? scale.data() : nullptr,
                                       s.n, s.c, 1e-5f);
      expectClose(l, "y", d.download(y, ref.size()), ref); // a product: no cancellation
    }
}

// Per row: r = 1 / sqrt(mean(x^2) + eps) in double, mean|x|.
struct RowStats {
  double r, meanAbs, mean;
};
RowStats rowStats(const float *x, int64_t c, bool centered, double eps) {
  double sum = 0, sumAbs = 0;
  for (int64_t j = 0; j < c; ++j)
    sum += x[j], sumAbs += std::fabs(x[j]);
  const double mean = centered ? sum / c : 0.0;
  double squares = 0;
  for (int64_t j = 0; j < c; ++j)
    squares += (x[j] - mean) * (x[j] - mean);
  return {1.0 / std::sqrt(squares / c + eps), sumAbs / c, mean};
}

TEST_P(DeviceKernels, RmsNormGrad) {
  Rng rng(5);
  for (RowShape s : kRowShapes)
    for (bool withScale : {false, true}) {
      const std::string l = label<SLIMTUNE_KERNEL_RMS_NORM_GRAD>(
          cat("n ", s.n, " c ", s.c, withScale ? " scale" : " no scale"));
      std::vector<float> x = rng.uniform(s.n * s.c, -2, 2), dy = rng.uniform(s.n * s.c),
                         scale = rng.uniform(s.c, 0.5f, 1.5f);
      DeviceBuffers d(device());
      float *dx = d.filled(s.n * s.c, 0.0f);
      const float *dDy = d.upload(dy), *dX = d.upload(x),
                  *dScale = withScale ? d.upload(scale) : nullptr;
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_RMS_NORM_GRAD>(l, dx, dDy, dX, dScale, s.n, s.c, 1e-5f);
      std::vector<float> ref(s.n * s.c);
      onHost<SLIMTUNE_KERNEL_RMS_NORM_GRAD>(l, ref.data(), dy.data(), x.data(),
                                            withScale ? scale.data() : nullptr, s.n, s.c, 1e-5f);
      // dx = r g - (r^3 / c) x sum(g x): magnitude r |g| + (r^3 / c) |x| sum|g x|.
      std::vector<double> magnitude(ref.size());
      for (int64_t i = 0; i < s.n; ++i) {
        const RowStats st = rowStats(&x[i * s.c], s.c, false, 1e-5);
        double gx = 0;
        for (int64_t j = 0; j < s.c; ++j)
          gx += std::fabs(dy[i * s.c + j] * (withScale ? scale[j] : 1.0f) * x[i * s.c + j]);
        for (int64_t j = 0; j < s.c; ++j)
          magnitude[i * s.c + j] =
              st.r * std::fabs(dy[i * s.c + j] * (withScale ? scale[j] : 1.0f)) +
              st.r * st.r * st.r / s.c * std::fabs(x[i * s.c + j]) * gx;
      }
      expectClose(l, "dx", d.download(dx, ref.size()), ref, magnitude);
    }
}

// (x - mean) r s + shift: magnitude (|x| + mean|x|) r |s| + |shift| (the mean's error is
// relative to mean|x|, not to |mean|).
TEST_P(DeviceKernels, LayerNorm) {
  Rng rng(6);
  for (RowShape s : kRowShapes)
    for (bool affine : {false, true}) {
      const std::string l = label<SLIMTUNE_KERNEL_LAYER_NORM>(
          cat("n ", s.n, " c ", s.c, affine ? " scale+shift" : " plain"));
      std::vector<float> x = rng.uniform(s.n * s.c, -1.5f, 2.5f),
                         scale = rng.uniform(s.c, 0.5f, 1.5f), shift = rng.uniform(s.c);
      DeviceBuffers d(device());
      float *y = d.filled(s.n * s.c, 0.0f);
      const float *dX = d.upload(x), *dScale = affine ? d.upload(scale) : nullptr,
                  *dShift = affine ? d.upload(shift) : nullptr;
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_LAYER_NORM>(l, y, dX, dScale, dShift, s.n, s.c, 1e-5f);
      std::vector<float> ref(s.n * s.c);
      onHost<SLIMTUNE_KERNEL_LAYER_NORM>(l, ref.data(), x.data(), affine ? scale.data() : nullptr,
                                         affine ? shift.data() : nullptr, s.n, s.c, 1e-5f);
      std::vector<double> magnitude(ref.size());
      for (int64_t i = 0; i < s.n; ++i) {
        const RowStats st = rowStats(&x[i * s.c], s.c, true, 1e-5);
        for (int64_t j = 0; j < s.c; ++j)
          magnitude[i * s.c + j] = (std::fabs(x[i * s.c + j]) + st.meanAbs) * st.r *
                                       (affine ? std::fabs(scale[j]) : 1.0) +
                                   (affine ? std::fabs(shift[j]) : 0.0);
      }
      expectClose(l, "y", d.download(y, ref.size()), ref, magnitude);
    }
}

// dx = r (g - mean(g) - xhat mean(g xhat)): magnitude r (|g| + mean|g| + |xhat| mean|g xhat|),
// with |xhat| = (|x| + mean|x|) r.
TEST_P(DeviceKernels, LayerNormGrad) {
  Rng rng(7);
  for (RowShape s : kRowShapes)
    for (bool withScale : {false, true}) {
      const std::string l = label<SLIMTUNE_KERNEL_LAYER_NORM_GRAD>(
          cat("n ", s.n, " c ", s.c, withScale ? " scale" : " no scale"));
      std::vector<float> x = rng.uniform(s.n * s.c, -1.5f, 2.5f), dy = rng.uniform(s.n * s.c),
                         scale = rng.uniform(s.c, 0.5f, 1.5f);
      DeviceBuffers d(device());
      float *dx = d.filled(s.n * s.c, 0.0f);
      const float *dDy = d.upload(dy), *dX = d.upload(x),
                  *dScale = withScale ? d.upload(scale) : nullptr;
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_LAYER_NORM_GRAD>(l, dx, dDy, dX, dScale, s.n, s.c, 1e-5f);
      std::vector<float> ref(s.n * s.c);
      onHost<SLIMTUNE_KERNEL_LAYER_NORM_GRAD>(l, ref.data(), dy.data(), x.data(),
                                              withScale ? scale.data() : nullptr, s.n, s.c, 1e-5f);
      std::vector<double> magnitude(ref.size());
      for (int64_t i = 0; i < s.n; ++i) {
        const RowStats st = rowStats(&x[i * s.c], s.c, true, 1e-5);
        double meanG = 0, meanGXhat = 0;
        for (int64_t j = 0; j < s.c; ++j) {
          const double g = std::fabs(dy[i * s.c + j] * (withScale ? scale[j] : 1.0f));
          meanG += g / s.c;
          meanGXhat += g * (std::fabs(x[i * s.c + j]) + st.meanAbs) * st.r / s.c;
        }
        for (int64_t j = 0; j < s.c; ++j) {
          const double g = std::fabs(dy[i * s.c + j] * (withScale ? scale[j] : 1.0f));
          magnitude[i * s.c + j] =
              st.r * (g + meanG + (std::fabs(x[i * s.c + j]) + st.meanAbs) * st.r * meanGXhat);
        }
      }
      expectClose(l, "dx", d.download(dx, ref.size()), ref, magnitude);
    }
}

TEST_P(DeviceKernels, Normalize) {
  Rng rng(8);
  for (RowShape s : kRowShapes)
    for (int32_t kind : {0, 1}) {
      const std::string l =
          label<SLIMTUNE_KERNEL_NORMALIZE>(cat("n ", s.n, " c ", s.c, " kind ", kind));
      std::vector<float> x = rng.uniform(s.n * s.c, -1.5f, 2.5f);
      DeviceBuffers d(device());
      float *z = d.filled(s.n * s.c, 0.0f), *rstd = d.filled(s.n, 0.0f);
      const float *dX = d.upload(x);
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_NORMALIZE>(l, z, rstd, dX, s.n, s.c, 1e-5f, kind);
      std::vector<float> zRef(s.n * s.c), rstdRef(s.n);
      onHost<SLIMTUNE_KERNEL_NORMALIZE>(l, zRef.data(), rstdRef.data(), x.data(), s.n, s.c, 1e-5f,
                                        kind);
      std::vector<double> magnitude(zRef.size()); // as layer_norm's; a product for rms
      for (int64_t i = 0; i < s.n; ++i) {
        const RowStats st = rowStats(&x[i * s.c], s.c, kind == 1, 1e-5);
        for (int64_t j = 0; j < s.c; ++j)
          magnitude[i * s.c + j] =
              (std::fabs(x[i * s.c + j]) + (kind == 1 ? st.meanAbs : 0.0)) * st.r;
      }
      expectClose(l, "z", d.download(z, zRef.size()), zRef, magnitude);
      expectClose(l, "rstd", d.download(rstd, rstdRef.size()), rstdRef);
    }
}

// dx = rstd (g - [mean(g)] - z mean(g z)): magnitude rstd (|g| + [mean|g|] + |z| mean|g z|).
TEST_P(DeviceKernels, NormalizeGrad) {
  Rng rng(9);
  for (RowShape s : kRowShapes)
    for (int32_t kind : {0, 1}) {
      const std::string l =
          label<SLIMTUNE_KERNEL_NORMALIZE_GRAD>(cat("n ", s.n, " c ", s.c, " kind ", kind));
      std::vector<float> x = rng.uniform(s.n * s.c, -1.5f, 2.5f), dz = rng.uniform(s.n * s.c);
      std::vector<float> z(s.n * s.c), rstd(s.n);
      onHost<SLIMTUNE_KERNEL_NORMALIZE>(l, z.data(), rstd.data(), x.data(), s.n, s.c, 1e-5f, kind);
      DeviceBuffers d(device());
      float *dx = d.filled(s.n * s.c, 0.0f);
      const float *dDz = d.upload(dz), *dZ = d.upload(z), *dRstd = d.upload(rstd);
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_NORMALIZE_GRAD>(l, dx, dDz, dZ, dRstd, s.n, s.c, kind);
      std::vector<float> ref(s.n * s.c);
      onHost<SLIMTUNE_KERNEL_NORMALIZE_GRAD>(l, ref.data(), dz.data(), z.data(), rstd.data(), s.n,
                                             s.c, kind);
      std::vector<double> magnitude(ref.size());
      for (int64_t i = 0; i < s.n; ++i) {
        double meanG = 0, meanGZ = 0;
        for (int64_t j = 0; j < s.c; ++j) {
          meanG += std::fabs(dz[i * s.c + j]) / s.c;
          meanGZ += std::fabs(dz[i * s.c + j] * z[i * s.c + j]) / s.c;
        }
        for (int64_t j = 0; j < s.c; ++j)
          magnitude[i * s.c + j] =
              rstd[i] * (std::fabs(dz[i * s.c + j]) + (kind == 1 ? meanG : 0.0) +
                         std::fabs(z[i * s.c + j]) * meanGZ);
      }
      expectClose(l, "dx", d.download(dx, ref.size()), ref, magnitude);
    }
}

// y = x scale + shift; y may alias x. Magnitude |x scale| + |shift|.
TEST_P(DeviceKernels, ScaleShift) {
  Rng rng(10);
  for (RowShape s : kRowShapes)
    for (bool withShift : {false, true})
      for (bool alias : {false, true}) {
        const std::string l = label<SLIMTUNE_KERNEL_SCALE_SHIFT>(
            cat("n ", s.n, " c ", s.c, withShift ? " shift" : " no shift", alias ? " y=x" : ""));
        std::vector<float> x = rng.uniform(s.n * s.c), scale = rng.uniform(s.c),
                           shift = rng.uniform(s.c);
        DeviceBuffers d(device());
        float *dX = d.upload(x);
        float *y = alias ? dX : d.filled(s.n * s.c, 0.0f);
        const float *dScale = d.upload(scale), *dShift = withShift ? d.upload(shift) : nullptr;
        ASSERT_TRUE(d.ok());
        onDevice<SLIMTUNE_KERNEL_SCALE_SHIFT>(l, y, dX, dScale, dShift, s.n, s.c);
        std::vector<float> ref = x;
        float *refY = alias ? ref.data() : nullptr;
        std::vector<float> separate(s.n * s.c);
        if (!alias)
          refY = separate.data();
        onHost<SLIMTUNE_KERNEL_SCALE_SHIFT>(l, refY, ref.data(), scale.data(),
                                            withShift ? shift.data() : nullptr, s.n, s.c);
        std::vector<float> want(refY, refY + s.n * s.c);
        std::vector<double> magnitude(want.size());
        for (int64_t i = 0; i < s.n; ++i)
          for (int64_t j = 0; j < s.c; ++j)
            magnitude[i * s.c + j] =
                std::fabs(x[i * s.c + j] * scale[j]) + (withShift ? std::fabs(shift[j]) : 0.0);
        expectClose(l, "y", d.download(y, want.size()), want, magnitude);
      }
}

} // namespace
} // namespace slimtune::testing
