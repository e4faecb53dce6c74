// Frozen weights in ggml blocks (kernel_abi.h, slimtune_weight_format): what a block holds
// and how it decodes, for the kernels that read such weights (linear_blocks, embedding_blocks,
// linear_cross_entropy) and their references. Decoding is exact: the fp32 value of each code
// is d*q (+ m), one rounding of the product, as ggml's own dequantizers compute it (the
// runtime's GGUF reader, formats/ggml_types.cpp, is the independent check in the tests).
#ifndef SLIMTUNE_KERNELS_CPU_WEIGHT_BLOCKS_H
#define SLIMTUNE_KERNELS_CPU_WEIGHT_BLOCKS_H

#include "kernels/cpu/convert.h"
#include "slimtune/kernel_abi.h"

#include <cstdint>
#include <cstring>

namespace slimtune::cpu {

inline constexpr int64_t kBlockElements = 32;

// Bytes of one block of `format`, or 0 for a format that is not blocks.
inline int64_t blockBytes(int32_t format) {
  switch (format) {
  case SLIMTUNE_WEIGHT_Q8_0:
    return 34;
  case SLIMTUNE_WEIGHT_Q4_0:
    return 18;
  case SLIMTUNE_WEIGHT_Q4_1:
    return 20;
  default:
    return 0;
  }
}

inline float blockHalf(const uint8_t *p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return f16ToF32Reference(h);
}

// The 32 values of one block into y.
inline void decodeBlock(int32_t format, const uint8_t *b, float *y) {
  if (format == SLIMTUNE_WEIGHT_Q8_0) {
    const float d = blockHalf(b);
    const auto *q = reinterpret_cast<const int8_t *>(b + 2);
    for (int j = 0; j < 32; ++j)
      y[j] = static_cast<float>(q[j]) * d;
    return;
  }
  const bool hasMin = format == SLIMTUNE_WEIGHT_Q4_1;
  const float d = blockHalf(b), m = hasMin ? blockHalf(b + 2) : 0.0f;
  const uint8_t *q = b + (hasMin ? 4 : 2);
  const int offset = hasMin ? 0 : 8;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>((q[j] & 0x0f) - offset) * d + m;
    y[j + 16] = static_cast<float>((q[j] >> 4) - offset) * d + m;
  }
}

// `count` values (a multiple of 32) from the blocks starting at `blocks`.
inline void decodeBlocks(int32_t format, const uint8_t *blocks, float *y, int64_t count) {
  const int64_t bytes = blockBytes(format);
  for (int64_t i = 0; i < count / kBlockElements; ++i)
    decodeBlock(format, blocks + i * bytes, y + i * kBlockElements);
}

// Elements [begin, begin + count) of row `row` of a matrix whose rows are `width` elements in
// blocks; begin, count and width multiples of 32.
inline void decodeRowPart(int32_t format, const uint8_t *w, int64_t row, int64_t width,
                          int64_t begin, int64_t count, float *y) {
  const int64_t bytes = blockBytes(format);
  decodeBlocks(format, w + (row * (width / kBlockElements) + begin / kBlockElements) * bytes, y,
               count);
}

} // namespace slimtune::cpu

#endif // SLIMTUNE_KERNELS_CPU_WEIGHT_BLOCKS_H
