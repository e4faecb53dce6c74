// Rotary position embedding (rotate-half form). Angles pos * theta^(-2i/d) and their cosines
// and sines are computed in double, once per position and shared by the batch and the heads;
// positions are split over the cores. y may alias x (each pair is read before it is written).
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/rope_reference.h"

#include <algorithm>
#include <cmath>

namespace slimtune::cpu {
namespace {

// Channel pairs whose cosines and sines are tabulated at a time (on the stack).
constexpr int64_t kPairs = 256;

struct RopeArgs {
  float *y;
  const float *x;
  int64_t b, t, channels, headDim;
  double theta;
  bool inverse;
};

// Pairs [i0, i0 + count) of every head at position ti, for every batch row.
SLIMTUNE_INLINE void rotate(const RopeArgs &a, int64_t ti, int64_t i0, int64_t count,
                            const float *cosine, const float *sine) {
  const int64_t half = a.headDim / 2;
  for (int64_t bi = 0; bi < a.b; ++bi)
    for (int64_t h = 0; h < a.channels / a.headDim; ++h) {
      const int64_t at = (bi * a.t + ti) * a.channels + h * a.headDim + i0;
      const float *x1 = a.x + at, *x2 = a.x + at + half;
      float *y1 = a.y + at, *y2 = a.y + at + half;
#pragma omp simd
      for (int64_t i = 0; i < count; ++i) {
        const float u = x1[i], w = x2[i];
        y1[i] = u * cosine[i] - w * sine[i];
        y2[i] = w * cosine[i] + u * sine[i];
      }
    }
}

SLIMTUNE_AVX2 void rotateAvx2(const RopeArgs &a, int64_t ti, int64_t i0, int64_t count,
                              const float *cosine, const float *sine) {
  rotate(a, ti, i0, count, cosine, sine);
}
void rotateBaseline(const RopeArgs &a, int64_t ti, int64_t i0, int64_t count, const float *cosine,
                    const float *sine) {
  rotate(a, ti, i0, count, cosine, sine);
}

} // namespace

void rope(float *y, const float *x, int64_t b, int64_t t, int64_t channels, int64_t headDim,
          float theta, int32_t inverse) {
  const int64_t half = headDim / 2;
  if (b <= 0 || t <= 0 || half <= 0)
    return;
  const RopeArgs args{y, x, b, t, channels, headDim, theta, inverse != 0};
  const bool avx2 = cpuHasAvx2();
  // The inverse frequencies of the first kPairs pairs, shared by all positions.
  double inverseFrequency[kPairs];
  for (int64_t i = 0; i < std::min(half, kPairs); ++i)
    inverseFrequency[i] =
        std::pow(static_cast<double>(theta), -2.0 * static_cast<double>(i) / headDim);
#pragma omp parallel for schedule(static) if (b * t * channels >= kParallelMin)
  for (int64_t ti = 0; ti < t; ++ti) {
    float cosine[kPairs], sine[kPairs];
    for (int64_t i0 = 0; i0 < half; i0 += kPairs) {
      const int64_t count = std::min(kPairs, half - i0);
      for (int64_t i = 0; i < count; ++i) {
        const double angle =
            i0 == 0 ? static_cast<double>(ti) * inverseFrequency[i]
                    : reference::ropeAngle(ti, i0 + i, headDim, static_cast<double>(theta));
        cosine[i] = static_cast<float>(std::cos(angle));
        sine[i] = static_cast<float>(args.inverse ? -std::sin(angle) : std::sin(angle));
      }
      if (avx2)
        rotateAvx2(args, ti, i0, count, cosine, sine);
      else
        rotateBaseline(args, ti, i0, count, cosine, sine);
    }
  }
}

} // namespace slimtune::cpu
