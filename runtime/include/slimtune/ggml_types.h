// ggml tensor element types as GGUF files store them: ids, block sizes and bytes per block,
// and conversion of their rows to fp32 (dequantization) and back for the simple block formats.
#ifndef SLIMTUNE_GGML_TYPES_H
#define SLIMTUNE_GGML_TYPES_H

#include "slimtune/status.h"

#include <cstdint>
#include <optional>
#include <string_view>

namespace slimtune {

enum class GgmlType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
  IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

struct GgmlTypeInfo {
  std::string_view name;
  uint32_t blockSize; // elements per block
  uint32_t typeSize;  // bytes per block
  bool dequantizable; // slimtune can convert it to fp32
};

// The type with this id, or nullopt for ids ggml does not define (or has removed).
std::optional<GgmlTypeInfo> ggmlTypeInfo(uint32_t id);

// Converts `count` elements stored as `type` (a whole number of blocks, `bytes` long) to fp32.
Status dequantizeToF32(GgmlType type, const uint8_t *src, uint64_t bytes, float *dst,
                       uint64_t count);

// Encodes fp32 values as F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K or Q6_K (round-to-nearest
// block quantizers, for test fixtures and GGUF export). `count` is a multiple of the block
// size; `dst` holds count / blockSize * typeSize bytes.
Status quantizeFromF32(GgmlType type, const float *src, uint64_t count, uint8_t *dst);

} // namespace slimtune

#endif // SLIMTUNE_GGML_TYPES_H
