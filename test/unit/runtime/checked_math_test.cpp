// Checked size arithmetic: products and sums of untrusted sizes detect overflow.
#include "slimtune/checked_math.h"

#include <gtest/gtest.h>

#include <vector>

using namespace slimtune;

TEST(CheckedMath, DetectsOverflow) {
  EXPECT_EQ(checkedMul(1ull << 31, 1ull << 32), 1ull << 63);
  EXPECT_FALSE(checkedMul(1ull << 32, 1ull << 32).has_value());
  EXPECT_EQ(checkedAdd(~0ull - 1, 1), ~0ull);
  EXPECT_FALSE(checkedAdd(~0ull, 1).has_value());
}

TEST(CheckedMath, ShapeProducts) {
  EXPECT_EQ(checkedProduct(std::vector<uint64_t>{49152, 576}), 49152ull * 576);
  EXPECT_EQ(checkedProduct(std::vector<uint64_t>{}), 1ull);
  EXPECT_EQ(checkedProduct(std::vector<uint64_t>{3, 0, ~0ull}), 0ull);
  // 2^21 cubed overflows 64 bits: a malformed header must not pass as a small tensor.
  EXPECT_FALSE(checkedProduct(std::vector<uint64_t>{1u << 22, 1u << 22, 1u << 22}).has_value());
}
