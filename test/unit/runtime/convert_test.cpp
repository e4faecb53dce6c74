// The fp16/bf16 conversions: references against values known from the format definitions,
// and fast bulk versions against the references (exhaustively where the domain is 16 bits).
#include "kernels/cpu/convert.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace slimtune::cpu;

namespace {
uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
} // namespace

TEST(ConvertReference, HalfKnownValues) {
  EXPECT_EQ(f16ToF32Reference(0x3c00), 1.0f);
  EXPECT_EQ(f16ToF32Reference(0xc000), -2.0f);
  EXPECT_EQ(f16ToF32Reference(0x7bff), 65504.0f);        // largest finite
  EXPECT_EQ(f16ToF32Reference(0x0001), 0x1p-24f);        // smallest subnormal
  EXPECT_EQ(f16ToF32Reference(0x0400), 0x1p-14f);        // smallest normal
  EXPECT_EQ(f16ToF32Reference(0x3555), 0.333251953125f); // nearest half to 1/3
  EXPECT_EQ(bitsOf(f16ToF32Reference(0x8000)), 0x80000000u);
  EXPECT_TRUE(std::isinf(f16ToF32Reference(0x7c00)));
  EXPECT_TRUE(std::isnan(f16ToF32Reference(0x7e00)));

  EXPECT_EQ(f32ToF16Reference(1.0f), 0x3c00);
  EXPECT_EQ(f32ToF16Reference(65504.0f), 0x7bff);
  EXPECT_EQ(f32ToF16Reference(65520.0f), 0x7c00); // halfway to 2^16 rounds to infinity
  EXPECT_EQ(f32ToF16Reference(65519.0f), 0x7bff);
  EXPECT_EQ(f32ToF16Reference(1e9f), 0x7c00);
  EXPECT_EQ(f32ToF16Reference(-1e9f), 0xfc00);
  EXPECT_EQ(f32ToF16Reference(0x1p-24f), 0x0001);
  EXPECT_EQ(f32ToF16Reference(0x1p-25f), 0x0000);        // tie between 0 and 2^-24: even
  EXPECT_EQ(f32ToF16Reference(0x1.8p-24f), 0x0002);      // tie between 1 and 2 units: even
  EXPECT_EQ(f32ToF16Reference(0x1.000002p-25f), 0x0001); // just above the tie
  EXPECT_EQ(f32ToF16Reference(0x1.ff8p-15f), 0x03ff);    // largest subnormal
  EXPECT_EQ(f32ToF16Reference(0x1.ffcp-15f), 0x0400);    // tie: to even, into the normals
  EXPECT_EQ(f32ToF16Reference(1.0f + 0x1p-11f), 0x3c00); // tie: stays even
  EXPECT_EQ(f32ToF16Reference(1.0f + 0x3p-11f), 0x3c02); // tie: rounds to even (up)
  uint16_t nan = f32ToF16Reference(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7c00, 0x7c00);
  EXPECT_NE(nan & 0x3ff, 0);
  // A signalling NaN whose payload lives only in the low bits must not become infinity.
  EXPECT_NE(f32ToF16Reference(floatOf(0x7f800001)) & 0x3ff, 0);
}

TEST(ConvertReference, BFloat16KnownValues) {
  EXPECT_EQ(bf16ToF32Reference(0x3f80), 1.0f);
  EXPECT_EQ(bf16ToF32Reference(0xc049), -3.140625f);
  EXPECT_EQ(f32ToBf16Reference(1.0f), 0x3f80);
  EXPECT_EQ(f32ToBf16Reference(floatOf(0x3f808000)), 0x3f80); // tie: even
  EXPECT_EQ(f32ToBf16Reference(floatOf(0x3f818000)), 0x3f82); // tie: even (up)
  EXPECT_EQ(f32ToBf16Reference(floatOf(0x3f808001)), 0x3f81); // above the tie
  EXPECT_EQ(f32ToBf16Reference(floatOf(0x7f7fffff)), 0x7f80); // max float rounds to inf
  uint16_t nan = f32ToBf16Reference(floatOf(0x7f800001));
  EXPECT_TRUE(std::isnan(bf16ToF32Reference(nan)));
}

// Every one of the 65536 halves survives f16 -> f32 -> f16 unchanged (NaNs stay NaN).
TEST(ConvertReference, HalfRoundTripIsExact) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    float f = f16ToF32Reference(static_cast<uint16_t>(h));
    uint16_t back = f32ToF16Reference(f);
    if (std::isnan(f))
      EXPECT_TRUE(std::isnan(f16ToF32Reference(back))) << std::hex << h;
    else
      ASSERT_EQ(back, h) << std::hex << h;
  }
}

// Rounding: every f32 between two adjacent halves goes to the nearer one (ties to even),
// checked against exact double arithmetic on a sweep of the whole f32 bit space.
TEST(ConvertReference, HalfRoundingMatchesDoubleArithmetic) {
  for (uint64_t u = 0; u <= 0xffffffffull; u += 4099) {
    float f = floatOf(static_cast<uint32_t>(u));
    if (std::isnan(f) || std::fabs(f) >= 65520.0f)
      continue;
    uint16_t h = f32ToF16Reference(f);
    double got = f16ToF32Reference(h);
    // The halves on either side of f: h and its neighbour towards f.
    uint16_t other = (std::fabs(got) < std::fabs(f)) ? h + 1 : (h & 0x7fff ? h - 1 : h);
    double alt = f16ToF32Reference(other);
    double errGot = std::fabs(got - f), errAlt = std::fabs(alt - f);
    ASSERT_LE(errGot, errAlt) << std::hexfloat << f;
    if (errGot == errAlt && h != other)
      ASSERT_EQ(h & 1, 0) << "tie not to even at " << std::hexfloat << f;
  }
}

TEST(ConvertFast, HalfToFloatMatchesReferenceExhaustively) {
  std::vector<uint16_t> in(65536 + 5); // + a tail that is not a multiple of the vector width
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = static_cast<uint16_t>(i);
  std::vector<float> fast(in.size());
  f16ToF32(in.data(), fast.data(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    float ref = f16ToF32Reference(in[i]);
    if (std::isnan(ref))
      ASSERT_TRUE(std::isnan(fast[i])) << i;
    else
      ASSERT_EQ(bitsOf(fast[i]), bitsOf(ref)) << i;
  }
}

TEST(ConvertFast, FloatToHalfMatchesReference) {
  std::vector<float> in;
  for (uint64_t u = 0; u <= 0xffffffffull; u += 65537)
    in.push_back(floatOf(static_cast<uint32_t>(u)));
  for (float f : {0.0f, -0.0f, 65504.0f, 65520.0f, 0x1p-25f, 0x1.8p-24f, 1.0f + 0x1p-11f})
    in.push_back(f);
  std::vector<uint16_t> fast(in.size());
  f32ToF16(in.data(), fast.data(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    uint16_t ref = f32ToF16Reference(in[i]);
    if (std::isnan(in[i]))
      ASSERT_TRUE(std::isnan(f16ToF32Reference(fast[i]))) << i;
    else
      ASSERT_EQ(fast[i], ref) << std::hexfloat << in[i];
  }
}

TEST(ConvertFast, BFloat16MatchesReference) {
  std::vector<uint16_t> halves(65536);
  for (size_t i = 0; i < halves.size(); ++i)
    halves[i] = static_cast<uint16_t>(i);
  std::vector<float> widened(halves.size());
  bf16ToF32(halves.data(), widened.data(), halves.size());
  std::vector<uint16_t> narrowed(halves.size());
  f32ToBf16(widened.data(), narrowed.data(), widened.size());
  for (size_t i = 0; i < halves.size(); ++i) {
    ASSERT_EQ(bitsOf(widened[i]), bitsOf(bf16ToF32Reference(halves[i]))) << i;
    if (!std::isnan(widened[i]))
      ASSERT_EQ(narrowed[i], halves[i]) << i;
  }
}
