// Plain reference of rotary position embedding (Hugging Face LLaMA's rotate-half form),
// templated on the element type so that tests can run it in double precision. Semantics: ROPE
// in kernel_abi.h.
#ifndef SLIMTUNE_KERNELS_CPU_ROPE_REFERENCE_H
#define SLIMTUNE_KERNELS_CPU_ROPE_REFERENCE_H

#include "kernels/common/rope_angle.h"

#include <cmath>
#include <cstdint>

namespace slimtune::cpu::reference {

// The rotation angle of channel pair i at position pos (kernels/common/rope_angle.h).
using common::ropeAngle;

// x, y [b, t, channels], channels a multiple of headDim (even). For each head, with
// x1 = x[.., :headDim/2], x2 = x[.., headDim/2:] and a = ropeAngle(ti, i) (-a if inverse):
// y1 = x1 cos a - x2 sin a, y2 = x2 cos a + x1 sin a. y may alias x.
template <typename T>
void rope(T *y, const T *x, int64_t b, int64_t t, int64_t channels, int64_t headDim, float theta,
          int32_t inverse) {
  const int64_t half = headDim / 2;
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t ti = 0; ti < t; ++ti)
      for (int64_t h = 0; h < channels / headDim; ++h)
        for (int64_t i = 0; i < half; ++i) {
          const double angle = ropeAngle(ti, i, headDim, theta);
          const T cosine = static_cast<T>(std::cos(angle));
          const T sine = static_cast<T>(inverse ? -std::sin(angle) : std::sin(angle));
          const int64_t at = (bi * t + ti) * channels + h * headDim + i;
          const T x1 = x[at], x2 = x[at + half];
          y[at] = x1 * cosine - x2 * sine;
          y[at + half] = x2 * cosine + x1 * sine;
        }
}

} // namespace slimtune::cpu::reference

#endif // SLIMTUNE_KERNELS_CPU_ROPE_REFERENCE_H
