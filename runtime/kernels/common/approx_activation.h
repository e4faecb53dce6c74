/* Approx-BP (docs/techniques.md, arXiv 2406.16282): the constants, the flag layout and the
 * per-element steps every implementation of activation_flags / activation_grad_flags shares,
 * CPU and CUDA alike.
 *
 * SiLU's and GELU's derivatives are replaced by that of h(x) = Σ_{i<3} a_i·ReLU(x − c_i), a
 * step function of 4 levels; each element keeps only its segment index
 *   flag = [x > c0] + [x > c1] + [x > c2]      (fp32 compares, strict >)
 * packed 4 per byte: element i in byte i / 4 at bits 2·(i mod 4). The gradient is
 *   dx = dy · level[flag],  level = {0, a0, a0 + a1, a0 + a1 + a2}. */
#ifndef SLIMTUNE_KERNELS_COMMON_APPROX_ACTIVATION_H
#define SLIMTUNE_KERNELS_COMMON_APPROX_ACTIVATION_H

#include "kernels/common/host_device.h"

#include <stdint.h>

/* The `kind` argument of the kernels (slim::ApproxActivation). */
enum { SLIMTUNE_RESILU2 = 0, SLIMTUNE_REGELU2 = 1 };

typedef struct {
  double c[3]; /* breakpoints, increasing */
  double a[3]; /* slopes added at each breakpoint */
} slimtune_approx_activation;

/* The published constants of a kind, exactly. A function rather than a table: CUDA device code
 * cannot read a host array. */
SLIMTUNE_HOST_DEVICE static inline slimtune_approx_activation slimtune_approx_constants(int kind) {
  const slimtune_approx_activation resilu2 = {
      {-6.3050461001646445, -0.0008684942046214787, 6.325815242089708},
      {-0.04060357190528599, 1.080925428529668, -0.040321856624382146}};
  const slimtune_approx_activation regelu2 = {
      {-3.1858810036855245, -0.001178821281161997, 3.190832613414926},
      {-0.04922261145617846, 1.0979632065417297, -0.048740595085551286}};
  return kind == SLIMTUNE_REGELU2 ? regelu2 : resilu2;
}

/* The derivative on each segment, summed in double: {0, a0, a0 + a1, a0 + a1 + a2}. */
SLIMTUNE_HOST_DEVICE static inline double slimtune_approx_level(int kind, int flag) {
  const slimtune_approx_activation constants = slimtune_approx_constants(kind);
  double level = 0.0;
  for (int j = 0; j < flag; ++j)
    level += constants.a[j];
  return level;
}

/* x's segment against breakpoints already rounded to fp32 (a kernel rounds them once). */
SLIMTUNE_HOST_DEVICE static inline unsigned slimtune_approx_segment(float x, float c0, float c1,
                                                                    float c2) {
  return (unsigned)(x > c0) + (unsigned)(x > c1) + (unsigned)(x > c2);
}

/* x's segment for a kind. */
SLIMTUNE_HOST_DEVICE static inline unsigned slimtune_approx_flag(float x, int kind) {
  const slimtune_approx_activation constants = slimtune_approx_constants(kind);
  return slimtune_approx_segment(x, (float)constants.c[0], (float)constants.c[1],
                                 (float)constants.c[2]);
}

/* The flag of element i (>= 0) in the packed flags; shifts, not / and %, so that a loop over a
 * signed index vectorizes without a sign fix-up. */
SLIMTUNE_HOST_DEVICE static inline unsigned slimtune_approx_flag_at(const uint8_t *flags,
                                                                    int64_t i) {
  return (unsigned)(flags[i >> 2] >> (2 * (i & 3))) & 3u;
}

#endif /* SLIMTUNE_KERNELS_COMMON_APPROX_ACTIVATION_H */
