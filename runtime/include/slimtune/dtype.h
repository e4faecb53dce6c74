// Element types of tensors the runtime reads, stores and computes with, with the names
// safetensors uses for them.
#ifndef SLIMTUNE_DTYPE_H
#define SLIMTUNE_DTYPE_H

#include <cstddef>
#include <optional>
#include <string_view>

namespace slimtune {

enum class DType {
  F32,
  F16,
  BF16,
  F64,
  F8_E4M3,
  F8_E5M2,
  BOOL,
  U8,
  I8,
  U16,
  I16,
  U32,
  I32,
  U64,
  I64,
};

// Bytes per element.
size_t dtypeSize(DType type);
// The safetensors name ("F32", "BF16", ...).
std::string_view dtypeName(DType type);
// Parses a safetensors dtype name; nullopt for names the runtime does not know.
std::optional<DType> parseDType(std::string_view name);
bool isFloat(DType type);

} // namespace slimtune

#endif // SLIMTUNE_DTYPE_H
