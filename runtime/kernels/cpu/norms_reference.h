// Plain references of RMSNorm and LayerNorm and their input gradients, templated on the element
// type so that tests can run them in double precision. Semantics: RMS_NORM, RMS_NORM_GRAD,
// LAYER_NORM, LAYER_NORM_GRAD, NORMALIZE, NORMALIZE_GRAD, SCALE_SHIFT in kernel_abi.h. x, y, dy, dx are [n, c]; scale and shift are [c]
// and may be null (1 and 0); they are frozen, so the gradients are with respect to x only.
#ifndef SLIMTUNE_KERNELS_CPU_NORMS_REFERENCE_H
#define SLIMTUNE_KERNELS_CPU_NORMS_REFERENCE_H

#include <cmath>
#include <cstdint>

namespace slimtune::cpu::reference {

// y = x r s with r = 1 / sqrt(mean(x^2) + eps).
template <typename T> void rmsNorm(T *y, const T *x, const T *scale, int64_t n, int64_t c, T eps) {
  for (int64_t i = 0; i < n; ++i) {
    const T *xi = x + i * c;
    T sumSquares = 0;
    for (int64_t j = 0; j < c; ++j)
      sumSquares += xi[j] * xi[j];
    const T r = T(1) / std::sqrt(sumSquares / T(c) + eps);
    for (int64_t j = 0; j < c; ++j)
      y[i * c + j] = xi[j] * r * (scale ? scale[j] : T(1));
  }
}

// With g = dy s: dx = r g - (r^3 / c) x sum_j(g_j x_j).
template <typename T>
void rmsNormGrad(T *dx, const T *dy, const T *x, const T *scale, int64_t n, int64_t c, T eps) {
  for (int64_t i = 0; i < n; ++i) {
    const T *xi = x + i * c, *dyi = dy + i * c;
    T sumSquares = 0, gx = 0;
    for (int64_t j = 0; j < c; ++j) {
      sumSquares += xi[j] * xi[j];
      gx += dyi[j] * (scale ? scale[j] : T(1)) * xi[j];
    }
    const T r = T(1) / std::sqrt(sumSquares / T(c) + eps);
    for (int64_t j = 0; j < c; ++j)
      dx[i * c + j] = r * dyi[j] * (scale ? scale[j] : T(1)) - r * r * r / T(c) * xi[j] * gx;
  }
}

// y = (x - mean) r s + shift with r = 1 / sqrt(var + eps), var the biased variance.
template <typename T>
void layerNorm(T *y, const T *x, const T *scale, const T *shift, int64_t n, int64_t c, T eps) {
  for (int64_t i = 0; i < n; ++i) {
    const T *xi = x + i * c;
    T sum = 0;
    for (int64_t j = 0; j < c; ++j)
      sum += xi[j];
    const T mean = sum / T(c);
    T sumSquares = 0;
    for (int64_t j = 0; j < c; ++j)
      sumSquares += (xi[j] - mean) * (xi[j] - mean);
    const T r = T(1) / std::sqrt(sumSquares / T(c) + eps);
    for (int64_t j = 0; j < c; ++j)
      y[i * c + j] = (xi[j] - mean) * r * (scale ? scale[j] : T(1)) + (shift ? shift[j] : T(0));
  }
}

// With xhat = (x - mean) r and g = dy s: dx = r (g - mean(g) - xhat mean(g xhat)).
template <typename T>
void layerNormGrad(T *dx, const T *dy, const T *x, const T *scale, int64_t n, int64_t c, T eps) {
  for (int64_t i = 0; i < n; ++i) {
    const T *xi = x + i * c, *dyi = dy + i * c;
    T sum = 0;
    for (int64_t j = 0; j < c; ++j)
      sum += xi[j];
    const T mean = sum / T(c);
    T sumSquares = 0;
    for (int64_t j = 0; j < c; ++j)
      sumSquares += (xi[j] - mean) * (xi[j] - mean);
    const T r = T(1) / std::sqrt(sumSquares / T(c) + eps);
    T sumG = 0, sumGXhat = 0;
    for (int64_t j = 0; j < c; ++j) {
      const T g = dyi[j] * (scale ? scale[j] : T(1));
      sumG += g;
      sumGXhat += g * (xi[j] - mean) * r;
    }
    for (int64_t j = 0; j < c; ++j) {
      const T g = dyi[j] * (scale ? scale[j] : T(1));
      dx[i * c + j] = r * (g - sumG / T(c) - (xi[j] - mean) * r * sumGXhat / T(c));
    }
  }
}

// The split form (memory-sharing backprop). z = x r (kind 0, rms) or (x - mean) r (kind 1,
// layer), rstd[i] = r.
template <typename T>
void normalize(T *z, T *rstd, const T *x, int64_t n, int64_t c, T eps, int32_t kind) {
  for (int64_t i = 0; i < n; ++i) {
    const T *xi = x + i * c;
    T mean = 0;
    if (kind == 1) {
      for (int64_t j = 0; j < c; ++j)
        mean += xi[j];
      mean /= T(c);
    }
    T sumSquares = 0;
    for (int64_t j = 0; j < c; ++j)
      sumSquares += (xi[j] - mean) * (xi[j] - mean);
    const T r = T(1) / std::sqrt(sumSquares / T(c) + eps);
    for (int64_t j = 0; j < c; ++j)
      z[i * c + j] = (xi[j] - mean) * r;
    rstd[i] = r;
  }
}

// With g = dz: dx = r (g - z mean(g z)) (rms), and - r mean(g) besides (layer).
template <typename T>
void normalizeGrad(T *dx, const T *dz, const T *z, const T *rstd, int64_t n, int64_t c,
                   int32_t kind) {
  for (int64_t i = 0; i < n; ++i) {
    const T *zi = z + i * c, *gi = dz + i * c;
    T sumG = 0, sumGZ = 0;
    for (int64_t j = 0; j < c; ++j) {
      sumG += gi[j];
      sumGZ += gi[j] * zi[j];
    }
    const T meanG = kind == 1 ? sumG / T(c) : T(0);
    for (int64_t j = 0; j < c; ++j)
      dx[i * c + j] = rstd[i] * (gi[j] - meanG - zi[j] * sumGZ / T(c));
  }
}

// y = x scale + shift (shift may be null).
template <typename T>
void scaleShift(T *y, const T *x, const T *scale, const T *shift, int64_t n, int64_t c) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j)
      y[i * c + j] = x[i * c + j] * scale[j] + (shift ? shift[j] : T(0));
}

} // namespace slimtune::cpu::reference

#endif // SLIMTUNE_KERNELS_CPU_NORMS_REFERENCE_H
