// Plain reference of the Mesa stash codec (quantize, quantize_ema, dequantize): one group, one
// element at a time (kernels/common/stash_codec.h), straight from the definition in
// kernel_abi.h.
#ifndef SLIMTUNE_KERNELS_CPU_QUANTIZE_REFERENCE_H
#define SLIMTUNE_KERNELS_CPU_QUANTIZE_REFERENCE_H

#include "kernels/common/stash_codec.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace slimtune::cpu::reference {

// One group's codes for the range [lo, lo + width]: its step and minimum into params, the
// codes OR-ed into the (zeroed) code bytes, values outside clamped.
inline void encodeGroup(uint8_t *codes, float *params, const float *x, int64_t first,
                        int64_t length, int32_t bits, int32_t stochastic, int64_t seed,
                        const int32_t *step, float lo, float width) {
  const float levels = static_cast<float>((1 << bits) - 1);
  const common::CodeScale s = common::codeScale(width, levels);
  params[0] = s.step;
  params[1] = lo;
  for (int64_t i = first; i < first + length; ++i) {
    const float u = common::roundingOffset(stochastic, seed, step ? *step : 0, i);
    common::packCode(codes, i, bits, common::quantizeCode(x[i], lo, s.scale, u, levels));
  }
}

inline void quantize(uint8_t *out, const float *x, int64_t rows, int64_t channels, int64_t group,
                     int32_t bits, int32_t stochastic, int64_t seed, const int32_t *step) {
  const int64_t perRow = common::groupsPerRow(channels, group), groups = rows * perRow;
  auto *params = reinterpret_cast<float *>(out);
  uint8_t *codes = out + groups * 2 * sizeof(float);
  std::memset(codes, 0, static_cast<size_t>((rows * channels * bits + 7) / 8));
  for (int64_t k = 0; k < groups; ++k) {
    const auto [first, length, c] = common::groupSpan(k, channels, group, perRow);
    float lo = x[first], hi = x[first];
    for (int64_t i = first; i < first + length; ++i)
      lo = std::min(lo, x[i]), hi = std::max(hi, x[i]);
    encodeGroup(codes, &params[2 * k], x, first, length, bits, stochastic, seed, step, lo, hi - lo);
  }
}

// Mesa's moving range: per channel group c (channels c*group .. of every row) the batch's
// minimum and maximum over all rows; range[c] = that at step 0, else decay * range[c] +
// (1 - decay) * that; then every row's group is coded with range[c], clamped.
inline void quantizeEma(uint8_t *out, const float *x, float *range, int64_t rows,
                        int64_t channels, int64_t group, int32_t bits, int32_t stochastic,
                        int64_t seed, const int32_t *step, float decay) {
  const int64_t perRow = common::groupsPerRow(channels, group), groups = rows * perRow;
  auto *params = reinterpret_cast<float *>(out);
  uint8_t *codes = out + groups * 2 * sizeof(float);
  std::memset(codes, 0, static_cast<size_t>((rows * channels * bits + 7) / 8));
  for (int64_t c = 0; c < perRow; ++c) {
    const int64_t length = common::groupSpan(c, channels, group, perRow).length; // row 0's
    float lo = x[c * group], hi = lo;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < length; ++j)
        lo = std::min(lo, x[r * channels + c * group + j]),
        hi = std::max(hi, x[r * channels + c * group + j]);
    const bool first = !step || *step == 0;
    range[2 * c] = first ? lo : decay * range[2 * c] + (1.0f - decay) * lo;
    range[2 * c + 1] = first ? hi : decay * range[2 * c + 1] + (1.0f - decay) * hi;
  }
  for (int64_t k = 0; k < groups; ++k) {
    const common::GroupSpan g = common::groupSpan(k, channels, group, perRow);
    const float lo = range[2 * g.channelGroup];
    encodeGroup(codes, &params[2 * k], x, g.first, g.length, bits, stochastic, seed, step, lo,
                range[2 * g.channelGroup + 1] - lo);
  }
}

inline void dequantize(float *y, const uint8_t *in, int64_t rows, int64_t channels,
                       int64_t group, int32_t bits) {
  const int64_t perRow = common::groupsPerRow(channels, group), groups = rows * perRow;
  const auto *params = reinterpret_cast<const float *>(in);
  const uint8_t *codes = in + groups * 2 * sizeof(float);
  for (int64_t k = 0; k < groups; ++k) {
    const auto [first, length, c] = common::groupSpan(k, channels, group, perRow);
    for (int64_t i = first; i < first + length; ++i)
      y[i] = common::decode(static_cast<float>(common::codeAt(codes, i, bits)), params[2 * k],
                            params[2 * k + 1]);
  }
}

} // namespace slimtune::cpu::reference

#endif // SLIMTUNE_KERNELS_CPU_QUANTIZE_REFERENCE_H
