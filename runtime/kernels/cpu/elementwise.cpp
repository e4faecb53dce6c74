// Elementwise kernels: add, mul, scaled_add, fill_zero, copy_columns, SiLU and GELU with their gradients.
// The transcendental ones use branch-free exp/erf approximations (a few ulp, see below) so the
// loops vectorize; libm's scalar expf/erff would not. Each loop is compiled for AVX2 and for
// baseline x86-64, picked at load time, and split over the cores in static chunks.
#include "kernels/common/activation.h"
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/kernels.h"

#include <algorithm>
#include <cstring>

namespace slimtune::cpu {
namespace {

// The helpers below are SLIMTUNE_INLINE, so that they are inlined into both clones of each
// loop, and use __builtin_fabsf/copysignf: <cmath>'s inline wrappers are not inlined into the
// AVX2 clone (target mismatch) and a call stops vectorization.

// Calls range(begin, end) on consecutive chunks of [0, n), statically spread over the threads.
template <typename Range>
void forChunks(int64_t n, const Range &range) {
  int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t c = 0; c < chunks; ++c)
    range(c * kChunk, std::min(n, (c + 1) * kChunk));
}

SLIMTUNE_INLINE float floatFromBits(int32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
SLIMTUNE_INLINE int32_t bitsOfFloat(float f) {
  int32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

// x's sign bit set ? ifNegative : ifNonNegative, in integer operations: under the default
// -ftrapping-math GCC will not if-convert a float comparison (it may trap), so a loop with
// `x >= 0 ? a : b` or a clamp by comparisons does not vectorize.
SLIMTUNE_INLINE float selectBySign(float x, float ifNonNegative, float ifNegative) {
  int32_t mask = bitsOfFloat(x) >> 31; // all ones when negative
  int32_t a = bitsOfFloat(ifNonNegative), b = bitsOfFloat(ifNegative);
  return floatFromBits(a ^ ((a ^ b) & mask));
}

// min(max(x, lo), hi) by the same trick. A NaN x may come out as lo or hi; every caller also
// multiplies by x, so NaN still propagates to the kernels' outputs.
SLIMTUNE_INLINE float clampFloat(float x, float lo, float hi) {
  x = selectBySign(x - lo, x, lo);
  return selectBySign(hi - x, x, hi);
}

// e^x, relative error < 1.5 ulp on [-87, 88] (Cephes expf: x = n ln2 + r, |r| <= ln2/2,
// e^r by a degree-7 polynomial, 2^n built in the exponent bits). Inputs are clamped to that
// range, so e^x never overflows and never goes subnormal.
SLIMTUNE_INLINE float expApprox(float x) {
  x = clampFloat(x, -87.0f, 88.0f);
  // n = round(x / ln 2): adding 1.5 * 2^23 leaves the rounded value in t's low mantissa bits.
  float t = x * 1.44269504088896341f + 12582912.0f;
  float n = t - 12582912.0f;
  float r = x - n * 0.693359375f; // ln 2 in two parts, the first exact in few bits
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  // 2^n is n + 127 in the exponent field. t's bits are 0x4B400000 + n, whose high part the
  // shift pushes out; taken from the bits (not a float-to-int conversion) and unsigned, so even
  // a NaN x is no undefined behaviour.
  uint32_t exponent = (static_cast<uint32_t>(bitsOfFloat(t)) + 127u) << 23;
  return p * floatFromBits(static_cast<int32_t>(exponent));
}

// erf(x), absolute error < 5e-7: odd rational approximation x P(x^2) / Q(x^2) on [-4, 4]
// (the one of Eigen and TensorFlow); |erf| rounds to 1 in fp32 beyond 4 anyway.
SLIMTUNE_INLINE float erfApprox(float x) {
  x = clampFloat(x, -4.0f, 4.0f);
  float x2 = x * x;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  float q = -1.45660718464996e-05f;
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  return x * p / q;
}

// sigmoid(x) from e = e^-|x| <= 1, so neither branch overflows and small results keep their
// relative precision.
SLIMTUNE_INLINE float sigmoidApprox(float x) {
  float e = expApprox(-__builtin_fabsf(x));
  float s = 1.0f / (1.0f + e);
  return selectBySign(x, s, e * s); // -0 picks e * s = s as well
}

// tanh(z) = sign(z) (1 - e) / (1 + e), e = e^-2|z|.
SLIMTUNE_INLINE float tanhApprox(float z) {
  float e = expApprox(-2.0f * __builtin_fabsf(z));
  return __builtin_copysignf((1.0f - e) / (1.0f + e), z);
}

// The definitions' constants (kernels/common/activation.h), rounded to fp32 once.
constexpr float kGeluTanhScale = static_cast<float>(common::kGeluTanhScale);
constexpr float kGeluCubic = static_cast<float>(common::kGeluCubic);
constexpr float kInvSqrt2 = static_cast<float>(common::kInvSqrt2);
constexpr float kInvSqrt2Pi = static_cast<float>(common::kInvSqrt2Pi);

SLIMTUNE_VECTOR_CLONES void siluRange(float *y, const float *x, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i)
    y[i] = x[i] * sigmoidApprox(x[i]);
}

SLIMTUNE_VECTOR_CLONES void siluGradRange(float *dx, const float *dy, const float *x,
                                          int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    float s = sigmoidApprox(x[i]);
    dx[i] = dy[i] * s * (1.0f + x[i] * (1.0f - s));
  }
}

SLIMTUNE_VECTOR_CLONES void geluErfRange(float *y, const float *x, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i)
    y[i] = 0.5f * x[i] * (1.0f + erfApprox(x[i] * kInvSqrt2));
}

SLIMTUNE_VECTOR_CLONES void geluTanhRange(float *y, const float *x, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    float v = x[i];
    y[i] = 0.5f * v * (1.0f + tanhApprox(kGeluTanhScale * (v + kGeluCubic * v * v * v)));
  }
}

SLIMTUNE_VECTOR_CLONES void geluErfGradRange(float *dx, const float *dy, const float *x,
                                             int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    float v = x[i];
    float cdf = 0.5f * (1.0f + erfApprox(v * kInvSqrt2));
    float pdf = kInvSqrt2Pi * expApprox(-0.5f * v * v);
    dx[i] = dy[i] * (cdf + v * pdf);
  }
}

SLIMTUNE_VECTOR_CLONES void geluTanhGradRange(float *dx, const float *dy, const float *x,
                                              int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    float v = x[i];
    float t = tanhApprox(kGeluTanhScale * (v + kGeluCubic * v * v * v));
    float dz = kGeluTanhScale * (1.0f + 3.0f * kGeluCubic * v * v);
    dx[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * dz);
  }
}

} // namespace

// y may alias a or b: `omp simd` promises no dependence between iterations, and with exact
// aliasing there is none (each element is read before it is written, by the same lane).
void add(float *y, const float *a, const float *b, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i)
    y[i] = a[i] + b[i];
}

void mul(float *y, const float *a, const float *b, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i)
    y[i] = a[i] * b[i];
}

// The reversible layers' coupling and its inverse (slim.scaled_add), in fp32. With beta = 0
// b is not read, so a scaled copy (a coupling's gradient) needs no second operand.
void scaledAdd(float *y, const float *a, const float *b, int64_t n, float alpha, float beta) {
  if (beta == 0.0f) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i)
      y[i] = alpha * a[i];
    return;
  }
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i)
    y[i] = alpha * a[i] + beta * b[i];
}

void fillZero(void *y, int64_t bytes) {
  constexpr int64_t kBytesPerChunk = kChunk * sizeof(float);
  auto *p = static_cast<unsigned char *>(y);
  int64_t chunks = (bytes + kBytesPerChunk - 1) / kBytesPerChunk;
#pragma omp parallel for schedule(static) if (bytes >= kParallelMin * 4)
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t begin = c * kBytesPerChunk;
    std::memset(p + begin, 0, static_cast<size_t>(std::min(bytes - begin, kBytesPerChunk)));
  }
}

void copyColumns(float *dst, const float *src, int64_t rows, int64_t srcCols, int64_t dstCols,
                 int64_t srcOffset, int64_t dstOffset, int64_t width) {
#pragma omp parallel for schedule(static) if (rows * width >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(dst + r * dstCols + dstOffset, src + r * srcCols + srcOffset,
                static_cast<size_t>(width) * sizeof(float));
}

void silu(float *y, const float *x, int64_t n) {
  forChunks(n, [&](int64_t begin, int64_t end) { siluRange(y + begin, x + begin, end - begin); });
}

void siluGrad(float *dx, const float *dy, const float *x, int64_t n) {
  forChunks(n, [&](int64_t begin, int64_t end) {
    siluGradRange(dx + begin, dy + begin, x + begin, end - begin);
  });
}

void gelu(float *y, const float *x, int64_t n, int32_t tanhApproximation) {
  forChunks(n, [&](int64_t begin, int64_t end) {
    if (tanhApproximation)
      geluTanhRange(y + begin, x + begin, end - begin);
    else
      geluErfRange(y + begin, x + begin, end - begin);
  });
}

void geluGrad(float *dx, const float *dy, const float *x, int64_t n, int32_t tanhApproximation) {
  forChunks(n, [&](int64_t begin, int64_t end) {
    if (tanhApproximation)
      geluTanhGradRange(dx + begin, dy + begin, x + begin, end - begin);
    else
      geluErfGradRange(dx + begin, dy + begin, x + begin, end - begin);
  });
}

} // namespace slimtune::cpu
