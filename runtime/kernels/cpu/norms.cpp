// RMSNorm and LayerNorm, forward and input gradient (scale and shift frozen), and the split form
// memory-sharing backprop uses (normalize -> z, rstd; scale_shift; the gradient from z, rstd).
// Row statistics
// (sum of squares, mean, variance, the gradients' row sums) are accumulated in double, and
// LayerNorm's variance takes a second pass over x - mean, so rows with a large common offset
// keep their precision. Each row loop is compiled for AVX2+FMA and for baseline x86-64 (picked
// once from the CPU's features) and rows are split over the cores in static chunks.
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/kernels.h"

#include <algorithm>
#include <cmath>

namespace slimtune::cpu {
namespace {

struct NormArgs {
  float *out;
  const float *x, *dy, *scale, *shift;
  int64_t c;
  float eps;
  // The split form: rstd per row (written by normalize, read by normalize_grad), and whether
  // the norm is a LayerNorm (centred) rather than an RMSNorm.
  float *rstdOut = nullptr;
  const float *rstd = nullptr;
  bool centred = false;
};

SLIMTUNE_INLINE double sumSquaresOf(const float *x, int64_t c) {
  double acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t j = 0; j < c; ++j)
    acc += static_cast<double>(x[j]) * x[j];
  return acc;
}

SLIMTUNE_INLINE double meanOf(const float *x, int64_t c) {
  double acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t j = 0; j < c; ++j)
    acc += x[j];
  return acc / static_cast<double>(c);
}

SLIMTUNE_INLINE double centeredSumSquaresOf(const float *x, int64_t c, double mean) {
  double acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t j = 0; j < c; ++j) {
    const double centered = x[j] - mean;
    acc += centered * centered;
  }
  return acc;
}

SLIMTUNE_INLINE void rmsNormRow(const NormArgs &a, int64_t i) {
  const float *x = a.x + i * a.c;
  float *y = a.out + i * a.c;
  const float r = static_cast<float>(1.0 / std::sqrt(sumSquaresOf(x, a.c) / a.c + a.eps));
  if (a.scale) {
#pragma omp simd
    for (int64_t j = 0; j < a.c; ++j)
      y[j] = x[j] * r * a.scale[j];
  } else {
#pragma omp simd
    for (int64_t j = 0; j < a.c; ++j)
      y[j] = x[j] * r;
  }
}

// dx = r g - (r^3 / c) x sum(g x), g = dy s; in double (the two terms nearly cancel when one
// channel dominates the row).
SLIMTUNE_INLINE void rmsNormGradRow(const NormArgs &a, int64_t i) {
  const float *x = a.x + i * a.c, *dy = a.dy + i * a.c, *s = a.scale;
  float *dx = a.out + i * a.c;
  double gx = 0;
#pragma omp simd reduction(+ : gx)
  for (int64_t j = 0; j < a.c; ++j) {
    const double g = s ? static_cast<double>(dy[j]) * s[j] : dy[j];
    gx += g * x[j];
  }
  const double r = 1.0 / std::sqrt(sumSquaresOf(x, a.c) / a.c + a.eps);
  const double coefficient = r * r * r * gx / a.c;
#pragma omp simd
  for (int64_t j = 0; j < a.c; ++j) {
    const double g = s ? static_cast<double>(dy[j]) * s[j] : dy[j];
    dx[j] = static_cast<float>(r * g - coefficient * x[j]);
  }
}

// y = (x - mean) r s + shift, with x - mean and the product by r in double.
SLIMTUNE_INLINE void layerNormRow(const NormArgs &a, int64_t i) {
  const float *x = a.x + i * a.c;
  float *y = a.out + i * a.c;
  const double mean = meanOf(x, a.c);
  const double r = 1.0 / std::sqrt(centeredSumSquaresOf(x, a.c, mean) / a.c + a.eps);
  const float *s = a.scale, *b = a.shift;
#pragma omp simd
  for (int64_t j = 0; j < a.c; ++j) {
    float value = static_cast<float>((x[j] - mean) * r);
    if (s)
      value *= s[j];
    if (b)
      value += b[j];
    y[j] = value;
  }
}

// dx = r (g - mean(g) - xhat mean(g xhat)), xhat = (x - mean) r, g = dy s; in double.
SLIMTUNE_INLINE void layerNormGradRow(const NormArgs &a, int64_t i) {
  const float *x = a.x + i * a.c, *dy = a.dy + i * a.c, *s = a.scale;
  float *dx = a.out + i * a.c;
  const double mean = meanOf(x, a.c);
  const double r = 1.0 / std::sqrt(centeredSumSquaresOf(x, a.c, mean) / a.c + a.eps);
  double sumG = 0, sumGCentered = 0;
#pragma omp simd reduction(+ : sumG, sumGCentered)
  for (int64_t j = 0; j < a.c; ++j) {
    const double g = s ? static_cast<double>(dy[j]) * s[j] : dy[j];
    sumG += g;
    sumGCentered += g * (x[j] - mean);
  }
  const double meanG = sumG / a.c, xCoefficient = r * r * sumGCentered / a.c;
#pragma omp simd
  for (int64_t j = 0; j < a.c; ++j) {
    const double g = s ? static_cast<double>(dy[j]) * s[j] : dy[j];
    dx[j] = static_cast<float>(r * (g - meanG - (x[j] - mean) * xCoefficient));
  }
}

// z = x r (rms) or (x - mean) r (layer), and r itself: the same arithmetic as rmsNormRow and
// layerNormRow, so z * scale + shift reproduces their output bit for bit.
SLIMTUNE_INLINE void normalizeRow(const NormArgs &a, int64_t i) {
  const float *x = a.x + i * a.c;
  float *z = a.out + i * a.c;
  if (a.centred) {
    const double mean = meanOf(x, a.c);
    const double r = 1.0 / std::sqrt(centeredSumSquaresOf(x, a.c, mean) / a.c + a.eps);
#pragma omp simd
    for (int64_t j = 0; j < a.c; ++j)
      z[j] = static_cast<float>((x[j] - mean) * r);
    a.rstdOut[i] = static_cast<float>(r);
  } else {
    const float r = static_cast<float>(1.0 / std::sqrt(sumSquaresOf(x, a.c) / a.c + a.eps));
#pragma omp simd
    for (int64_t j = 0; j < a.c; ++j)
      z[j] = x[j] * r;
    a.rstdOut[i] = r;
  }
}

// From z and r alone: dx = r (g - z mean(g z)) (rms), minus r mean(g) as well (layer); g = dz.
// Sums in double, as in the gradients from x.
SLIMTUNE_INLINE void normalizeGradRow(const NormArgs &a, int64_t i) {
  const float *z = a.x + i * a.c, *g = a.dy + i * a.c;
  float *dx = a.out + i * a.c;
  double sumG = 0, sumGZ = 0;
#pragma omp simd reduction(+ : sumG, sumGZ)
  for (int64_t j = 0; j < a.c; ++j) {
    sumG += g[j];
    sumGZ += static_cast<double>(g[j]) * z[j];
  }
  const double r = a.rstd[i], meanG = a.centred ? sumG / a.c : 0.0, meanGZ = sumGZ / a.c;
#pragma omp simd
  for (int64_t j = 0; j < a.c; ++j)
    dx[j] = static_cast<float>(r * (g[j] - meanG - z[j] * meanGZ));
}

// y = x s + shift, as two roundings (the product, then the sum) like the fused norms.
SLIMTUNE_INLINE void scaleShiftRow(const NormArgs &a, int64_t i) {
  const float *x = a.x + i * a.c, *s = a.scale, *b = a.shift;
  float *y = a.out + i * a.c;
  if (b) {
#pragma omp simd
    for (int64_t j = 0; j < a.c; ++j) {
      float value = x[j] * s[j];
      value += b[j];
      y[j] = value;
    }
  } else {
#pragma omp simd
    for (int64_t j = 0; j < a.c; ++j)
      y[j] = x[j] * s[j];
  }
}

// Rows [begin, end) of Row, compiled for AVX2+FMA and for the baseline.
template <void (*Row)(const NormArgs &, int64_t)>
SLIMTUNE_AVX2 void rowsAvx2(const NormArgs &a, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i)
    Row(a, i);
}
template <void (*Row)(const NormArgs &, int64_t)>
void rowsBaseline(const NormArgs &a, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i)
    Row(a, i);
}

template <void (*Row)(const NormArgs &, int64_t)> void forRows(const NormArgs &a, int64_t n) {
  if (n <= 0 || a.c <= 0)
    return;
  const bool avx2 = cpuHasAvx2();
  const int64_t rowsPerChunk = std::max<int64_t>(1, kChunk / a.c);
  const int64_t chunks = (n + rowsPerChunk - 1) / rowsPerChunk;
#pragma omp parallel for schedule(static) if (n * a.c >= kParallelMin)
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    const int64_t begin = chunk * rowsPerChunk, end = std::min(n, begin + rowsPerChunk);
    if (avx2)
      rowsAvx2<Row>(a, begin, end);
    else
      rowsBaseline<Row>(a, begin, end);
  }
}

} // namespace

void rmsNorm(float *y, const float *x, const float *scale, int64_t n, int64_t c, float eps) {
  forRows<rmsNormRow>(NormArgs{y, x, nullptr, scale, nullptr, c, eps}, n);
}

void rmsNormGrad(float *dx, const float *dy, const float *x, const float *scale, int64_t n,
                 int64_t c, float eps) {
  forRows<rmsNormGradRow>(NormArgs{dx, x, dy, scale, nullptr, c, eps}, n);
}

void layerNorm(float *y, const float *x, const float *scale, const float *shift, int64_t n,
               int64_t c, float eps) {
  forRows<layerNormRow>(NormArgs{y, x, nullptr, scale, shift, c, eps}, n);
}

void layerNormGrad(float *dx, const float *dy, const float *x, const float *scale, int64_t n,
                   int64_t c, float eps) {
  forRows<layerNormGradRow>(NormArgs{dx, x, dy, scale, nullptr, c, eps}, n);
}

void normalize(float *z, float *rstd, const float *x, int64_t n, int64_t c, float eps,
               int32_t kind) {
  NormArgs a{z, x, nullptr, nullptr, nullptr, c, eps};
  a.rstdOut = rstd;
  a.centred = kind == 1;
  forRows<normalizeRow>(a, n);
}

void normalizeGrad(float *dx, const float *dz, const float *z, const float *rstd, int64_t n,
                   int64_t c, int32_t kind) {
  NormArgs a{dx, z, dz, nullptr, nullptr, c, 0.0f};
  a.rstd = rstd;
  a.centred = kind == 1;
  forRows<normalizeGradRow>(a, n);
}

void scaleShift(float *y, const float *x, const float *scale, const float *shift, int64_t n,
                int64_t c) {
  forRows<scaleShiftRow>(NormArgs{y, x, nullptr, scale, shift, c, 0.0f}, n);
}

} // namespace slimtune::cpu
