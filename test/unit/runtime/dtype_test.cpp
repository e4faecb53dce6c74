// The dtype table: names and sizes as safetensors defines them, and parsing.
#include "slimtune/dtype.h"

#include <gtest/gtest.h>

using namespace slimtune;

TEST(DType, TableIsInEnumeratorOrder) {
  // dtypeName/dtypeSize index the table by enumerator; a misordered row would mislabel types.
  for (int i = 0; i <= static_cast<int>(DType::I64); ++i) {
    auto type = static_cast<DType>(i);
    auto parsed = parseDType(dtypeName(type));
    ASSERT_TRUE(parsed.has_value()) << i;
    EXPECT_EQ(*parsed, type) << dtypeName(type);
  }
}

TEST(DType, SizesAndNames) {
  EXPECT_EQ(dtypeSize(DType::F32), 4u);
  EXPECT_EQ(dtypeSize(DType::BF16), 2u);
  EXPECT_EQ(dtypeSize(DType::F16), 2u);
  EXPECT_EQ(dtypeSize(DType::I64), 8u);
  EXPECT_EQ(dtypeSize(DType::F8_E4M3), 1u);
  EXPECT_EQ(dtypeName(DType::BF16), "BF16");
  EXPECT_TRUE(isFloat(DType::F16));
  EXPECT_FALSE(isFloat(DType::U8));
}

TEST(DType, UnknownNamesAreRejected) {
  EXPECT_FALSE(parseDType("f32").has_value()); // names are case-sensitive
  EXPECT_FALSE(parseDType("F4").has_value());
  EXPECT_FALSE(parseDType("").has_value());
}
