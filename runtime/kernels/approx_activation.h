// Approx-BP (TECHNIQUES.md §2, arXiv 2406.16282): the constants and the flag layout every
// implementation of activation_flags / activation_grad_flags shares, CPU and CUDA alike.
//
// SiLU's and GELU's derivatives are replaced by that of h(x) = Σ_{i<3} a_i·ReLU(x − c_i), a
// step function of 4 levels; each element keeps only its segment index
//   flag = [x > c0] + [x > c1] + [x > c2]      (fp32 compares, strict >)
// packed 4 per byte: element i in byte i / 4 at bits 2·(i mod 4). The gradient is
//   dx = dy · level[flag],  level = {0, a0, a0 + a1, a0 + a1 + a2}.
#ifndef SLIMTUNE_KERNELS_APPROX_ACTIVATION_H
#define SLIMTUNE_KERNELS_APPROX_ACTIVATION_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The `kind` argument of the kernels (slim::ApproxActivation). */
enum { SLIMTUNE_RESILU2 = 0, SLIMTUNE_REGELU2 = 1 };

typedef struct {
  double c[3]; /* breakpoints, increasing */
  double a[3]; /* slopes added at each breakpoint */
} slimtune_approx_activation;

/* The published constants, exactly. */
static const slimtune_approx_activation slimtune_approx_activations[2] = {
    /* ReSiLU2 */
    {{-6.3050461001646445, -0.0008684942046214787, 6.325815242089708},
     {-0.04060357190528599, 1.080925428529668, -0.040321856624382146}},
    /* ReGELU2 */
    {{-3.1858810036855245, -0.001178821281161997, 3.190832613414926},
     {-0.04922261145617846, 1.0979632065417297, -0.048740595085551286}},
};

/* The derivative on each segment, summed in double: {0, a0, a0 + a1, a0 + a1 + a2}. */
static inline double slimtune_approx_level(int kind, int flag) {
  const double *a = slimtune_approx_activations[kind].a;
  double level = 0.0;
  for (int j = 0; j < flag; ++j)
    level += a[j];
  return level;
}

#ifdef __cplusplus
} // extern "C"
#endif

#endif // SLIMTUNE_KERNELS_APPROX_ACTIVATION_H
