// Plain reference of the Approx-BP kernels (activation_flags, activation_grad_flags): one
// element at a time, straight from the definitions in kernels/common/approx_activation.h.
#ifndef SLIMTUNE_KERNELS_CPU_APPROX_ACTIVATION_REFERENCE_H
#define SLIMTUNE_KERNELS_CPU_APPROX_ACTIVATION_REFERENCE_H

#include "kernels/common/approx_activation.h"

#include <cstdint>

namespace slimtune::cpu::reference {

inline void activationFlags(uint8_t *flags, const float *x, int64_t n, int32_t kind) {
  for (int64_t i = 0; i < (n + 3) / 4; ++i)
    flags[i] = 0;
  for (int64_t i = 0; i < n; ++i)
    flags[i / 4] =
        static_cast<uint8_t>(flags[i / 4] | (slimtune_approx_flag(x[i], kind) << (2 * (i % 4))));
}

inline void activationGradFlags(float *dx, const float *dy, const uint8_t *flags, int64_t n,
                                int32_t kind) {
  for (int64_t i = 0; i < n; ++i)
    dx[i] =
        dy[i] * static_cast<float>(slimtune_approx_level(kind, slimtune_approx_flag_at(flags, i)));
}

} // namespace slimtune::cpu::reference

#endif // SLIMTUNE_KERNELS_CPU_APPROX_ACTIVATION_REFERENCE_H
