// The Mesa stash codec (quantize, quantize_ema, dequantize in kernel_abi.h) one element at a
// time: the groups of a tensor, a group's code step from its range, an element's code (nearest
// or stochastic rounding, clamped to the end codes), the packing of codes `bits` wide, low bits
// first, and decoding.
// The CPU references and fast kernels and a CUDA kernel code every element with these.
#ifndef SLIMTUNE_KERNELS_COMMON_STASH_CODEC_H
#define SLIMTUNE_KERNELS_COMMON_STASH_CODEC_H

#include "kernels/common/counter_random.h"
#include "kernels/common/host_device.h"
#include "kernels/common/rounding.h"

#include <cmath>
#include <cstdint>

namespace slimtune::common {

// The groups of a [rows, channels] tensor: `group` channels of one row each, a row's last
// group shorter when `group` does not divide `channels`; perRow = groupsPerRow(channels,
// group) per row, group k being channel group k % perRow of row k / perRow.
SLIMTUNE_HOST_DEVICE inline int64_t groupsPerRow(int64_t channels, int64_t group) {
  return (channels + group - 1) / group;
}

// Group k's first element, its length and its channel group (k % perRow).
struct GroupSpan {
  int64_t first, length, channelGroup;
};
SLIMTUNE_HOST_DEVICE inline GroupSpan groupSpan(int64_t k, int64_t channels, int64_t group,
                                                int64_t perRow) {
  const int64_t row = k / perRow, c = k % perRow, rest = channels - c * group;
  return {row * channels + c * group, group < rest ? group : rest, c};
}

// A group's code step and its inverse for the range [lo, lo + width]: both 0 when width is 0
// (every element codes to 0 and decodes to lo).
struct CodeScale {
  float step, scale;
};
SLIMTUNE_HOST_DEVICE inline CodeScale codeScale(float width, float levels) {
  return {width > 0 ? width / levels : 0.0f, width > 0 ? levels / width : 0.0f};
}

// The rounding offset u of element i: 0.5 (nearest), or a uniform draw when stochastic.
SLIMTUNE_HOST_DEVICE inline float roundingOffset(int32_t stochastic, int64_t seed, int32_t step,
                                                 int64_t i) {
  return stochastic
             ? slimtune_counter_uniform(static_cast<uint64_t>(seed), step, static_cast<uint64_t>(i))
             : 0.5f;
}

// clamp(floor((x - lo) scale + u), 0, levels), as a float: values outside the range take the
// end codes (Mesa's code wraps around instead). The clamp is written out as std::max and
// std::min compute it (a NaN stays NaN): device code cannot call those. Each operation rounds
// on its own (rounding.h), so that CUDA's codes are the CPU's.
SLIMTUNE_HOST_DEVICE inline float quantizeCode(float x, float lo, float scale, float u,
                                               float levels) {
  const float q = std::floor(addRn(mulRn(x - lo, scale), u));
  const float atLeastZero = q < 0.0f ? 0.0f : q;
  return levels < atLeastZero ? levels : atLeastZero;
}

// Code q of element i OR-ed into the (zeroed) code bytes, `bits` wide, low bits first.
SLIMTUNE_HOST_DEVICE inline void packCode(uint8_t *codes, int64_t i, int32_t bits, float q) {
  codes[i * bits / 8] |= static_cast<uint8_t>(static_cast<unsigned>(q) << (i * bits % 8));
}

// The code of element i.
SLIMTUNE_HOST_DEVICE inline unsigned codeAt(const uint8_t *codes, int64_t i, int32_t bits) {
  return (codes[i * bits / 8] >> (i * bits % 8)) & ((1u << bits) - 1);
}

// y = code step + lo. The code as a float (exact): an 8-bit code converts straight from its
// byte, which vectorizes better than through an unsigned int.
SLIMTUNE_HOST_DEVICE inline float decode(float code, float step, float lo) {
  return addRn(mulRn(code, step), lo);
}

} // namespace slimtune::common

#endif // SLIMTUNE_KERNELS_COMMON_STASH_CODEC_H
