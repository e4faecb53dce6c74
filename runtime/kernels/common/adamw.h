// AdamW (ADAMW in kernel_abi.h) one element at a time, in PyTorch's arithmetic: the step's
// constants (bias corrections, weight decay, the clipping factor) computed once in double and
// rounded to float, then p *= 1 - lr wd; m, v moving averages; p -= (lr / c1) m / (sqrt(v) /
// sqrt(c2) + eps). The CPU's fast kernel and the CUDA kernel update every element with these
// (the CPU's AVX2 loop spells the same operations in intrinsics).
#ifndef SLIMTUNE_KERNELS_COMMON_ADAMW_H
#define SLIMTUNE_KERNELS_COMMON_ADAMW_H

#include "kernels/common/host_device.h"
#include "kernels/common/rounding.h"

#include <cmath>
#include <cstdint>

namespace slimtune::common {

// The factor gradients are scaled by: min(1, maxNorm / (sqrt(*sumSquares) + 1e-6)) when
// maxNorm > 0 and sumSquares is given, else 1. The min written out as std::min computes it
// (device code cannot call it).
SLIMTUNE_HOST_DEVICE inline double clipFactor(const double *sumSquares, double maxNorm) {
  if (!(maxNorm > 0) || !sumSquares)
    return 1.0;
  const double factor = maxNorm / (std::sqrt(*sumSquares) + 1e-6);
  return factor < 1.0 ? factor : 1.0;
}

struct AdamConstants {
  float decay;        // 1 - lr wd
  float clip;         // gradient factor
  float beta1, beta2; // and their complements below
  float oneMinusBeta1, oneMinusBeta2;
  float stepSize;         // lr / (1 - beta1^t)
  float inverseRootBias2; // 1 / sqrt(1 - beta2^t)
  float eps;
};

// The constants of step t = step + 1.
SLIMTUNE_HOST_DEVICE inline AdamConstants adamConstants(float lr, int32_t step,
                                                        const double *sumSquares, float maxNorm,
                                                        float beta1, float beta2, float eps,
                                                        float weightDecay) {
  const double t = static_cast<double>(step) + 1.0, rate = lr;
  const double correction1 = 1.0 - std::pow(static_cast<double>(beta1), t);
  const double correction2 = 1.0 - std::pow(static_cast<double>(beta2), t);
  return {static_cast<float>(subRn(1.0, mulRn(rate, static_cast<double>(weightDecay)))),
          static_cast<float>(clipFactor(sumSquares, maxNorm)),
          beta1,
          beta2,
          1.0f - beta1,
          1.0f - beta2,
          static_cast<float>(rate / correction1),
          static_cast<float>(1.0 / std::sqrt(correction2)),
          eps};
}

SLIMTUNE_HOST_DEVICE inline void adamElement(const AdamConstants &k, float &p, float &m, float &v,
                                             float g) {
  g = mulRn(g, k.clip);
  p = mulRn(p, k.decay);
  m = addRn(mulRn(k.beta1, m), mulRn(k.oneMinusBeta1, g));
  v = addRn(mulRn(k.beta2, v), mulRn(k.oneMinusBeta2, mulRn(g, g)));
  p = subRn(p, mulRn(k.stepSize, m) / addRn(mulRn(std::sqrt(v), k.inverseRootBias2), k.eps));
}

} // namespace slimtune::common

#endif // SLIMTUNE_KERNELS_COMMON_ADAMW_H
