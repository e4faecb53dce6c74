// Approx-BP kernels, fast versions (references: approx_activation_reference.h): a byte of
// flags (4 elements) per iteration, the levels looked up from a 4-entry table, both cores.
#include "kernels/common/approx_activation.h"
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/kernels.h"

namespace slimtune::cpu {
namespace {

// The breakpoints of a kind, rounded to fp32 once.
struct Breakpoints {
  float c0, c1, c2;
  explicit Breakpoints(int32_t kind) {
    const slimtune_approx_activation constants = slimtune_approx_constants(kind);
    c0 = static_cast<float>(constants.c[0]);
    c1 = static_cast<float>(constants.c[1]);
    c2 = static_cast<float>(constants.c[2]);
  }
  unsigned flagOf(float x) const { return slimtune_approx_segment(x, c0, c1, c2); }
};

} // namespace

void activationFlags(uint8_t *flags, const float *x, int64_t n, int32_t kind) {
  const Breakpoints c(kind);
  const int64_t full = n / 4;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t byte = 0; byte < full; ++byte) {
    const float *v = x + 4 * byte;
    flags[byte] = static_cast<uint8_t>(c.flagOf(v[0]) | c.flagOf(v[1]) << 2 |
                                       c.flagOf(v[2]) << 4 | c.flagOf(v[3]) << 6);
  }
  if (n % 4) {
    unsigned last = 0;
    for (int64_t i = 4 * full; i < n; ++i)
      last |= c.flagOf(x[i]) << (2 * (i % 4));
    flags[full] = static_cast<uint8_t>(last);
  }
}

void activationGradFlags(float *dx, const float *dy, const uint8_t *flags, int64_t n,
                         int32_t kind) {
  float level[4];
  for (int f = 0; f < 4; ++f)
    level[f] = static_cast<float>(slimtune_approx_level(kind, f));
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i)
    dx[i] = dy[i] * level[slimtune_approx_flag_at(flags, i)];
}

} // namespace slimtune::cpu
