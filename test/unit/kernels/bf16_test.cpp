// bfloat16 in the kernels: the rounding helper of kernels/common/bf16.h (ties to even, NaN,
// infinities, overflow, subnormals, exact values, and rounding as defined on every value
// class), and linear_bf16 (reference and both CPU paths) against a double computation on
// bf16-rounded inputs.
#include "kernels/common/bf16.h"
#include "kernels/cpu/convert.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/linear_reference.h"
#include "kernels/cpu/workspace.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace {

using slimtune::common::bf16BitsToF32;
using slimtune::common::f32ToBf16Bits;
using slimtune::common::roundToBf16;

float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

TEST(Bf16, WidensExactly) {
  EXPECT_EQ(bf16BitsToF32(0x3f80), 1.0f);
  EXPECT_EQ(bf16BitsToF32(0xc020), -2.5f);
  EXPECT_EQ(bitsOf(bf16BitsToF32(0x8000)), 0x80000000u); // -0
  EXPECT_EQ(bitsOf(bf16BitsToF32(0x0001)), 0x00010000u); // the smallest subnormal
  EXPECT_EQ(bf16BitsToF32(0x7f80), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(bf16BitsToF32(0x7fc0)));
}

// Every non-NaN bf16 value is exact: narrowing its fp32 gives its bits back. A NaN stays NaN,
// its sign and payload kept, with the quiet bit set.
TEST(Bf16, EveryBf16ValueRoundTrips) {
  for (uint32_t b = 0; b <= 0xffff; ++b) {
    const uint16_t bits = static_cast<uint16_t>(b);
    const bool nan = (b & 0x7fff) > 0x7f80;
    EXPECT_EQ(f32ToBf16Bits(bf16BitsToF32(bits)), nan ? (bits | 0x40) : bits) << std::hex << b;
  }
}

TEST(Bf16, RoundsToNearestTiesToEven) {
  const float half = std::ldexp(1.0f, -8);  // half an ulp of bf16 at 1 (7 fraction bits)
  const float tiny = std::ldexp(1.0f, -23); // an ulp of fp32 at 1
  EXPECT_EQ(f32ToBf16Bits(1.0f + half), 0x3f80);            // tie: down to even 1.0
  EXPECT_EQ(f32ToBf16Bits(1.0f + 3 * half), 0x3f82);        // tie: up to even 1 + 2^-6
  EXPECT_EQ(f32ToBf16Bits(1.0f + half + tiny), 0x3f81);     // past the tie: up
  EXPECT_EQ(f32ToBf16Bits(1.0f + half - tiny), 0x3f80);     // short of it: down
  EXPECT_EQ(f32ToBf16Bits(1.0f + 3 * half - tiny), 0x3f81); // short of the upper tie
  EXPECT_EQ(f32ToBf16Bits(-(1.0f + half)), 0xbf80);         // the same, mirrored
  EXPECT_EQ(f32ToBf16Bits(-(1.0f + 3 * half)), 0xbf82);
  EXPECT_EQ(f32ToBf16Bits(-(1.0f + half + tiny)), 0xbf81);
  // A carry through the fraction into the exponent: 2 - 2^-9 rounds to 2.
  EXPECT_EQ(f32ToBf16Bits(2.0f - std::ldexp(1.0f, -9)), 0x4000);
  EXPECT_EQ(roundToBf16(0.1f), floatOf(0x3dcd0000)); // 0.1 = 0x3dcccccd: up
}

TEST(Bf16, ZerosSubnormalsAndOverflow) {
  EXPECT_EQ(f32ToBf16Bits(0.0f), 0x0000);
  EXPECT_EQ(f32ToBf16Bits(-0.0f), 0x8000);
  EXPECT_EQ(f32ToBf16Bits(floatOf(0x00008000)), 0x0000); // tie between 0 and 0x0001: even
  EXPECT_EQ(f32ToBf16Bits(floatOf(0x00008001)), 0x0001);
  EXPECT_EQ(f32ToBf16Bits(floatOf(0x00018000)), 0x0002); // tie between 0x0001 and 0x0002
  EXPECT_EQ(f32ToBf16Bits(floatOf(0x007fffff)), 0x0080); // the largest subnormal: to the normals
  // The largest finite bf16 is 0x7f7f; from halfway past it, fp32 values round to infinity.
  EXPECT_EQ(f32ToBf16Bits(floatOf(0x7f7f7fff)), 0x7f7f);
  EXPECT_EQ(f32ToBf16Bits(floatOf(0x7f7f8000)), 0x7f80);
  EXPECT_EQ(f32ToBf16Bits(std::numeric_limits<float>::max()), 0x7f80);
  EXPECT_EQ(f32ToBf16Bits(-std::numeric_limits<float>::max()), 0xff80);
}

TEST(Bf16, InfinitiesAndNaNs) {
  EXPECT_EQ(f32ToBf16Bits(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(f32ToBf16Bits(-std::numeric_limits<float>::infinity()), 0xff80);
  EXPECT_EQ(f32ToBf16Bits(floatOf(0x7fc00000)), 0x7fc0); // quiet NaN
  EXPECT_EQ(f32ToBf16Bits(floatOf(0xffc00000)), 0xffc0); // its sign kept
  EXPECT_EQ(f32ToBf16Bits(floatOf(0x7fa00000)), 0x7fe0); // signalling: quieted, payload kept
  // Payloads in the low half only: rounding would reach infinity (or carry into the sign);
  // they stay NaN.
  for (uint32_t u : {0x7f800001u, 0x7f80ffffu, 0x7fffffffu, 0xff800001u, 0xffffffffu}) {
    const uint16_t b = f32ToBf16Bits(floatOf(u));
    EXPECT_TRUE(std::isnan(bf16BitsToF32(b))) << std::hex << u << " -> " << b;
    EXPECT_EQ(b & 0x8000, (u >> 16) & 0x8000) << std::hex << u;
  }
}

// Against rounding written from its definition, in double: of the two bf16 values around a
// finite fp32 (its truncation and the next one up in magnitude), the nearer, the even one on a
// tie; on a sweep of all fp32 bit patterns (every value class, both signs) and random ones.
// (The checkpoint readers' conversions, kernels/cpu/convert.h, are these helpers.)
uint16_t roundedByDefinition(float f) {
  const uint32_t u = bitsOf(f);
  const uint16_t down = static_cast<uint16_t>(u >> 16), up = static_cast<uint16_t>(down + 1);
  const double exact = f, below = bf16BitsToF32(down), above = bf16BitsToF32(up);
  const double dDown = std::fabs(exact - below), dUp = std::fabs(above - exact);
  if (dDown != dUp)
    return dDown < dUp ? down : up;
  return (down & 1) ? up : down;
}

TEST(Bf16, RoundsAsDefinedOnEveryValueClass) {
  auto check = [](uint32_t u) {
    const float f = floatOf(u);
    if (!std::isfinite(f) || std::fabs(f) >= 0x1.fefffep127f) // NaN, inf, overflow: tested above
      return;
    ASSERT_EQ(f32ToBf16Bits(f), roundedByDefinition(f)) << std::hex << u;
  };
  for (uint64_t u = 0; u <= 0xffffffffu; u += 65521)
    check(static_cast<uint32_t>(u));
  std::mt19937 rng(5);
  for (int i = 0; i < 100000; ++i)
    check(static_cast<uint32_t>(rng()));
}

//===-- linear_bf16's reference -------------------------------------------------------===//

// Hand-computed: x rounds to [1, 1 + 2^-6] (ties to even), W [out 2, in 2] = [2 4; -1 0.5]:
// y = [2 + 4 (1 + 2^-6), -1 + 0.5 (1 + 2^-6)] + b, exact in fp32.
TEST(LinearBf16Reference, KnownValues) {
  const float half = std::ldexp(1.0f, -8);
  const std::vector<float> x = {1.0f + half, 1.0f + 3 * half}, b = {0.5f, -0.25f};
  const std::vector<uint16_t> w0 = {f32ToBf16Bits(2), f32ToBf16Bits(4), f32ToBf16Bits(-1),
                                    f32ToBf16Bits(0.5f)};
  const std::vector<uint16_t> w1 = {w0[0], w0[2], w0[1], w0[3]}; // [in, out]
  std::vector<float> y(2);
  std::vector<uint16_t> work(2);
  slimtune::cpu::reference::linearBf16(y.data(), x.data(), w0.data(), nullptr, work.data(), 1, 2,
                                       2, 0);
  EXPECT_EQ(y, (std::vector<float>{6.0625f, -0.4921875f}));
  slimtune::cpu::reference::linearBf16(y.data(), x.data(), w1.data(), b.data(), work.data(), 1, 2,
                                       2, 1);
  EXPECT_EQ(y, (std::vector<float>{6.5625f, -0.7421875f}));
}

using LinearBf16Fn = void (*)(float *, const float *, const uint16_t *, const float *, uint16_t *,
                              int64_t, int64_t, int64_t, int32_t);

struct Shape {
  int64_t n, in, out;
};

// Against the same sum in double on inputs rounded by the checkpoint conversion: the products
// of bf16 values are exact in fp32, so a kernel's only error is its fp32 sum of in + 1 terms,
// at most in * 2^-24 * sum|terms| (first order) in any order. Rows checked: all of a small
// shape's, the first, last and those around a block boundary of a large one.
void expectMatchesDouble(LinearBf16Fn linearBf16, const std::vector<Shape> &shapes,
                         const char *what) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  for (Shape s : shapes)
    for (int32_t layout : {0, 1})
      for (bool withBias : {false, true}) {
        std::vector<float> x(s.n * s.in), wf(s.in * s.out), b(s.out);
        for (float &v : x)
          v = dist(rng);
        for (float &v : wf)
          v = dist(rng);
        for (float &v : b)
          v = dist(rng);
        std::vector<uint16_t> w(wf.size());
        std::vector<float> work(slimtune_cpu_linear_bf16_work(s.n, s.in, s.out));
        for (size_t i = 0; i < wf.size(); ++i)
          w[i] = slimtune::cpu::f32ToBf16Reference(wf[i]);
        std::vector<float> y(s.n * s.out);
        linearBf16(y.data(), x.data(), w.data(), withBias ? b.data() : nullptr,
                   reinterpret_cast<uint16_t *>(work.data()), s.n, s.in, s.out, layout);
        const int64_t block = slimtune_cpu_widen_rows(s.in, s.n, SLIMTUNE_CPU_X_BLOCK_FLOATS);
        std::vector<int64_t> rows;
        for (int64_t i = 0; i < s.n; ++i)
          if (s.n * s.out * s.in < (1 << 24) || i == 0 || i == s.n - 1 || i == block - 1 ||
              i == block)
            rows.push_back(i);
        for (int64_t i : rows)
          for (int64_t o = 0; o < s.out; ++o) {
            double sum = withBias ? b[o] : 0.0, magnitude = withBias ? std::fabs(b[o]) : 0.0;
            for (int64_t k = 0; k < s.in; ++k) {
              const double xk = slimtune::cpu::bf16ToF32Reference(
                  slimtune::cpu::f32ToBf16Reference(x[i * s.in + k]));
              const double wk = slimtune::cpu::bf16ToF32Reference(
                  layout == 0 ? w[o * s.in + k] : w[k * s.out + o]);
              sum += xk * wk;
              magnitude += std::fabs(xk * wk);
            }
            const double bound = 1.01 * s.in * std::ldexp(1.0, -24) * magnitude;
            ASSERT_LE(std::fabs(y[i * s.out + o] - sum), bound)
                << what << ": n " << s.n << " in " << s.in << " out " << s.out << " layout "
                << layout << (withBias ? " bias" : "") << " at (" << i << ", " << o << ")";
          }
      }
}

const std::vector<Shape> kShapes = {{1, 1, 1}, {3, 5, 7}, {17, 130, 33}, {8, 1000, 9}};

TEST(LinearBf16Reference, MatchesDoubleOnRoundedInputs) {
  expectMatchesDouble(slimtune::cpu::reference::linearBf16, kShapes, "reference");
}

// The CPU kernel's two paths: oneDNN's bf16 matmul (where the CPU has one) and the fallback
// that widens to fp32, here also at a shape split into two blocks of x's rows and two panels
// of W's outputs (4 Mi floats each: 466 rows of 9000).
TEST(LinearBf16, BothCpuPathsMatchDouble) {
  auto fast = [](float *y, const float *x, const uint16_t *w, const float *b, uint16_t *work,
                 int64_t n, int64_t in, int64_t out, int32_t layout) {
    ASSERT_EQ(slimtune::cpu::linearBf16(y, x, w, b, work, n, in, out, layout),
              SLIMTUNE_KERNEL_OK);
  };
  std::vector<Shape> shapes = kShapes;
  shapes.push_back({470, 9000, 470});
  ASSERT_EQ(slimtune_cpu_widen_rows(9000, 470, SLIMTUNE_CPU_X_BLOCK_FLOATS), 466);
  ASSERT_EQ(slimtune_cpu_widen_rows(9000, 470, SLIMTUNE_CPU_W_PANEL_FLOATS), 466);
  const bool matmul = slimtune::cpu::setBf16Gemm(true);
  if (matmul)
    expectMatchesDouble(+fast, shapes, "bf16 matmul");
  else
    std::printf("oneDNN has no bf16 matmul on this CPU: the widened path only\n");
  slimtune::cpu::setBf16Gemm(false);
  expectMatchesDouble(+fast, shapes, "widened");
  slimtune::cpu::setBf16Gemm(true);
}

} // namespace
