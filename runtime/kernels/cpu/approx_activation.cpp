// Approx-BP kernels, fast versions (references: approx_activation_reference.h): a byte of
// flags (4 elements) per iteration, the levels looked up from a 4-entry table, both cores.
#include "kernels/approx_activation.h"
#include "kernels/cpu/kernels.h"

namespace slimtune::cpu {
namespace {

constexpr int64_t kParallelMin = 1 << 15; // elements; below this threads cost more than they save

struct Breakpoints {
  float c0, c1, c2;
  explicit Breakpoints(int32_t kind)
      : c0(static_cast<float>(slimtune_approx_activations[kind].c[0])),
        c1(static_cast<float>(slimtune_approx_activations[kind].c[1])),
        c2(static_cast<float>(slimtune_approx_activations[kind].c[2])) {}
  unsigned flagOf(float x) const {
    return static_cast<unsigned>(x > c0) + static_cast<unsigned>(x > c1) +
           static_cast<unsigned>(x > c2);
  }
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
    dx[i] = dy[i] * level[(flags[i >> 2] >> (2 * (i & 3))) & 3];
}

} // namespace slimtune::cpu
