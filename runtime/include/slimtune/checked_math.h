// Size arithmetic that cannot overflow silently. Sizes read from files (shapes, offsets,
// counts) are untrusted: a product that wraps would turn a malformed header into a small
// allocation and an out-of-bounds read.
#ifndef SLIMTUNE_CHECKED_MATH_H
#define SLIMTUNE_CHECKED_MATH_H

#include <cstdint>
#include <optional>

namespace slimtune {

inline std::optional<uint64_t> checkedMul(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    return std::nullopt;
  return r;
}

inline std::optional<uint64_t> checkedAdd(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return std::nullopt;
  return r;
}

// The product of a shape's dimensions, or nullopt when it overflows 64 bits.
template <typename Range> std::optional<uint64_t> checkedProduct(const Range &dims) {
  uint64_t product = 1;
  for (auto d : dims) {
    auto next = checkedMul(product, static_cast<uint64_t>(d));
    if (!next)
      return std::nullopt;
    product = *next;
  }
  return product;
}

} // namespace slimtune

#endif // SLIMTUNE_CHECKED_MATH_H
