// Element type table: sizes and safetensors names.
#include "slimtune/dtype.h"

#include <array>

namespace slimtune {
namespace {
struct DTypeInfo {
  DType type;
  std::string_view name;
  size_t size;
  bool isFloat;
};

// One row per enumerator, in enumerator order (checked by the unit tests).
constexpr std::array<DTypeInfo, 15> kTable = {{
    {DType::F32, "F32", 4, true},
    {DType::F16, "F16", 2, true},
    {DType::BF16, "BF16", 2, true},
    {DType::F64, "F64", 8, true},
    {DType::F8_E4M3, "F8_E4M3", 1, true},
    {DType::F8_E5M2, "F8_E5M2", 1, true},
    {DType::BOOL, "BOOL", 1, false},
    {DType::U8, "U8", 1, false},
    {DType::I8, "I8", 1, false},
    {DType::U16, "U16", 2, false},
    {DType::I16, "I16", 2, false},
    {DType::U32, "U32", 4, false},
    {DType::I32, "I32", 4, false},
    {DType::U64, "U64", 8, false},
    {DType::I64, "I64", 8, false},
}};

const DTypeInfo &info(DType type) { return kTable[static_cast<size_t>(type)]; }
} // namespace

size_t dtypeSize(DType type) { return info(type).size; }
std::string_view dtypeName(DType type) { return info(type).name; }
bool isFloat(DType type) { return info(type).isFloat; }

std::optional<DType> parseDType(std::string_view name) {
  for (const DTypeInfo &row : kTable)
    if (row.name == name)
      return row.type;
  return std::nullopt;
}

} // namespace slimtune
