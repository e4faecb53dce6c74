// The Mesa stash codec, fast versions (references: quantize_reference.h): groups in parallel
// on both cores, each group's range in one pass and its codes in a second; with a moving range
// (quantize_ema), the batch's range per channel group first, then every group's codes. A group
// is `group` channels of one row; a row's last group is shorter when `group` does not divide
// the channels. Groups run in parallel only when each starts on a byte boundary; otherwise two
// groups would write the same byte.
#include "kernels/common/stash_codec.h"
#include "kernels/cpu/cpu_common.h"
#include "kernels/cpu/kernels.h"

#include <algorithm>
#include <cstring>

namespace slimtune::cpu {
namespace {

// A group's minimum, code step and its inverse (0 when all values are equal). Inlined into
// both paths below, so the AVX2 clone of nearest8 vectorizes it too.
struct GroupRange {
  float lo, step, scale;
};
SLIMTUNE_INLINE GroupRange groupRange(float lo, float width, float levels) {
  const common::CodeScale s = common::codeScale(width, levels);
  return {lo, s.step, s.scale};
}
SLIMTUNE_INLINE GroupRange rangeOf(const float *v, int64_t group, float levels) {
  float lo = v[0], hi = v[0];
#pragma omp simd reduction(min : lo) reduction(max : hi)
  for (int64_t j = 1; j < group; ++j) {
    lo = std::min(lo, v[j]);
    hi = std::max(hi, v[j]);
  }
  return groupRange(lo, hi - lo, levels);
}

// One group's 8-bit nearest codes, the lean pipeline's common case, compiled for AVX2 as well
// as the baseline ISA (picked at load time); writes the group's step and minimum.
SLIMTUNE_VECTOR_CLONES void nearest8(uint8_t *q, const float *v, int64_t group, float levels,
                                     float *params) {
  const GroupRange r = rangeOf(v, group, levels);
  params[0] = r.step;
  params[1] = r.lo;
  // (x - lo) * scale + 0.5 >= 0, so truncation is the floor (and cheaper than calling it).
#pragma omp simd
  for (int64_t j = 0; j < group; ++j)
    q[j] = static_cast<uint8_t>(static_cast<int32_t>(std::min((v[j] - r.lo) * r.scale + 0.5f, levels)));
}

// One group's codes for a given range, any width and rounding; values outside the range
// clamp to the end codes. The group is `length` elements from flat index `first` (a row's
// last group may be shorter). Writes the group's step and minimum.
void encodeGroup(uint8_t *codes, float *params, const float *v, int64_t first, int64_t length,
                 int32_t bits, int32_t stochastic, int64_t seed, int32_t at, float levels,
                 GroupRange r) {
  params[0] = r.step;
  params[1] = r.lo;
  for (int64_t j = 0; j < length; ++j) {
    const int64_t i = first + j;
    const float q = common::quantizeCode(v[j], r.lo, r.scale,
                                         common::roundingOffset(stochastic, seed, at, i), levels);
    if (bits == 8)
      codes[i] = static_cast<uint8_t>(q);
    else
      common::packCode(codes, i, bits, q);
  }
}
// The code bytes after the groups' [step, minimum] pairs; narrower codes are OR-ed into their
// bytes, so those are cleared first (8-bit codes overwrite theirs).
uint8_t *codeBytes(uint8_t *out, int64_t groups, int64_t elements, int32_t bits) {
  uint8_t *codes = out + groups * 2 * sizeof(float);
  if (bits != 8)
    std::memset(codes, 0, static_cast<size_t>((elements * bits + 7) / 8));
  return codes;
}

// Groups may be coded in parallel only when each starts on a byte boundary (otherwise two
// would write the same byte): every row and every group must start on one.
inline bool parallelGroups(int64_t elements, int64_t channels, int64_t group, int32_t bits) {
  return elements >= kParallelMin && (group * bits) % 8 == 0 && (channels * bits) % 8 == 0;
}
} // namespace

void quantize(uint8_t *out, const float *x, int64_t rows, int64_t channels, int64_t group,
              int32_t bits, int32_t stochastic, int64_t seed, const int32_t *step) {
  const int64_t perRow = common::groupsPerRow(channels, group), groups = rows * perRow;
  auto *params = reinterpret_cast<float *>(out);
  uint8_t *codes = codeBytes(out, groups, rows * channels, bits);
  const float levels = static_cast<float>((1 << bits) - 1);
  const int32_t at = step ? *step : 0;
#pragma omp parallel for schedule(static) if (parallelGroups(rows * channels, channels, group, bits))
  for (int64_t k = 0; k < groups; ++k) {
    const common::GroupSpan g = common::groupSpan(k, channels, group, perRow);
    const float *v = x + g.first;
    if (bits == 8 && !stochastic) {
      nearest8(codes + g.first, v, g.length, levels, &params[2 * k]);
      continue;
    }
    encodeGroup(codes, &params[2 * k], v, g.first, g.length, bits, stochastic, seed, at, levels,
                rangeOf(v, g.length, levels));
  }
}

void quantizeEma(uint8_t *out, const float *x, float *range, int64_t rows, int64_t channels,
                 int64_t group, int32_t bits, int32_t stochastic, int64_t seed,
                 const int32_t *step, float decay) {
  const int64_t perRow = common::groupsPerRow(channels, group), groups = rows * perRow;
  auto *params = reinterpret_cast<float *>(out);
  uint8_t *codes = codeBytes(out, groups, rows * channels, bits);
  const float levels = static_cast<float>((1 << bits) - 1);
  const int32_t at = step ? *step : 0;
  // The batch's range per channel group, over all rows, folded into the moving one.
#pragma omp parallel for schedule(static) if (rows * channels >= kParallelMin)
  for (int64_t c = 0; c < perRow; ++c) {
    const int64_t length = common::groupSpan(c, channels, group, perRow).length; // row 0's
    float lo = x[c * group], hi = lo;
    for (int64_t r = 0; r < rows; ++r) {
      const float *v = x + r * channels + c * group;
#pragma omp simd reduction(min : lo) reduction(max : hi)
      for (int64_t j = 0; j < length; ++j) {
        lo = std::min(lo, v[j]);
        hi = std::max(hi, v[j]);
      }
    }
    if (at == 0) {
      range[2 * c] = lo;
      range[2 * c + 1] = hi;
    } else {
      range[2 * c] = decay * range[2 * c] + (1.0f - decay) * lo;
      range[2 * c + 1] = decay * range[2 * c + 1] + (1.0f - decay) * hi;
    }
  }
#pragma omp parallel for schedule(static) if (parallelGroups(rows * channels, channels, group, bits))
  for (int64_t k = 0; k < groups; ++k) {
    const common::GroupSpan g = common::groupSpan(k, channels, group, perRow);
    const float lo = range[2 * g.channelGroup];
    const GroupRange r = groupRange(lo, range[2 * g.channelGroup + 1] - lo, levels);
    encodeGroup(codes, &params[2 * k], x + g.first, g.first, g.length, bits, stochastic, seed,
                at, levels, r);
  }
}

void dequantize(float *y, const uint8_t *in, int64_t rows, int64_t channels, int64_t group,
                int32_t bits) {
  const int64_t perRow = common::groupsPerRow(channels, group), groups = rows * perRow;
  const auto *params = reinterpret_cast<const float *>(in);
  const uint8_t *codes = in + groups * 2 * sizeof(float);
#pragma omp parallel for schedule(static) if (rows * channels >= kParallelMin)
  for (int64_t k = 0; k < groups; ++k) {
    const common::GroupSpan g = common::groupSpan(k, channels, group, perRow);
    const float stepSize = params[2 * k], lo = params[2 * k + 1];
    float *out = y + g.first;
    if (bits == 8) {
      const uint8_t *q = codes + g.first;
#pragma omp simd
      for (int64_t j = 0; j < g.length; ++j)
        out[j] = common::decode(q[j], stepSize, lo);
    } else {
      for (int64_t j = 0; j < g.length; ++j)
        out[j] = common::decode(static_cast<float>(common::codeAt(codes, g.first + j, bits)),
                                stepSize, lo);
    }
  }
}

} // namespace slimtune::cpu
