// The Mesa stash codec: round-trip error within half a code step (nearest), clamping instead
// of wrapping, constant groups exact, packing of 2/4/8-bit codes, stochastic rounding
// unbiased and reproducible (a counter-based stream: same seed and step, same codes), and the
// fast kernels of each backend equal to the references byte for byte.
#include "kernels/backend_test.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/quantize_reference.h"
#include "support/gradient_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace slimtune::cpu;
using namespace slimtune::testing;

namespace {

// The encoded size of rows x channels values in groups of `group` along each row (the last
// group of a row shorter when group does not divide channels): a (scale, zero) float pair per
// group, then the packed codes. rows x group values with channels == group: whole groups.
int64_t encodedBytes(int64_t rows, int64_t channels, int64_t group, int bits) {
  const int64_t groups = rows * ((channels + group - 1) / group);
  return groups * 2 * 4 + (rows * channels * bits + 7) / 8;
}

std::vector<float> roundTrip(const Backend &backend, const std::vector<float> &x, int64_t group,
                             int bits, int stochastic, int32_t step = 0) {
  int64_t groups = static_cast<int64_t>(x.size()) / group;
  std::vector<uint8_t> codes(encodedBytes(groups, group, group, bits));
  runKernel<SLIMTUNE_KERNEL_QUANTIZE>(backend, codes.data(), x.data(), groups, group, group, bits,
                                      stochastic, 42, &step);
  std::vector<float> y(x.size());
  runKernel<SLIMTUNE_KERNEL_DEQUANTIZE>(backend, y.data(), codes.data(), groups, group, group,
                                        bits);
  return y;
}

class QuantizeFast : public BackendTest {};
SLIMTUNE_INSTANTIATE_BACKENDS(QuantizeFast);

TEST_P(QuantizeFast, NearestIsWithinHalfAStep) {
  for (int bits : {2, 4, 8}) {
    std::vector<float> x = randomVector(64 * 37, 3, 5.0f);
    std::vector<float> y = roundTrip(backend(), x, 64, bits, 0);
    for (int64_t g = 0; g < 37; ++g) {
      float lo = x[g * 64], hi = x[g * 64];
      for (int j = 0; j < 64; ++j)
        lo = std::min(lo, x[g * 64 + j]), hi = std::max(hi, x[g * 64 + j]);
      float half = (hi - lo) / ((1 << bits) - 1) / 2;
      for (int j = 0; j < 64; ++j)
        ASSERT_LE(std::fabs(y[g * 64 + j] - x[g * 64 + j]), half * 1.0001f + 1e-6f)
            << "bits " << bits << " group " << g;
    }
  }
}

TEST_P(QuantizeFast, ExtremesDecodeToTheRangeAndNeverWrap) {
  // The maximum's code is the top code (Mesa's code can wrap it to 0): it decodes to max.
  std::vector<float> x = {-1.0f, 3.0f, 0.5f, 2.999999f, -0.999999f, 1.0f, 2.0f, 0.0f};
  for (int stochastic : {0, 1}) {
    std::vector<float> y = roundTrip(backend(), x, 8, 8, stochastic, 5);
    EXPECT_NEAR(y[0], -1.0f, 1e-6f);
    EXPECT_NEAR(y[1], 3.0f, 1e-5f);
    EXPECT_GT(y[3], 2.9f) << "wrapped";
    EXPECT_LT(y[4], -0.9f) << "wrapped";
  }
}

TEST_P(QuantizeFast, ConstantGroupsAreExact) {
  std::vector<float> x(128, 0.7f);
  std::fill(x.begin() + 64, x.end(), -2.5f);
  EXPECT_EQ(roundTrip(backend(), x, 64, 8, 0), x);
  EXPECT_EQ(roundTrip(backend(), x, 64, 2, 1), x);
}

TEST_P(QuantizeFast, PacksCodesLowBitsFirst) {
  // One group of 4 over [0, 3] at 2 bits: codes 0, 1, 2, 3 in one byte.
  std::vector<float> x = {0.0f, 1.0f, 2.0f, 3.0f};
  std::vector<uint8_t> out(encodedBytes(1, 4, 4, 2));
  int32_t step = 0;
  run<SLIMTUNE_KERNEL_QUANTIZE>(out.data(), x.data(), 1, 4, 4, 2, 0, 0, &step);
  EXPECT_EQ(out[8], 0 | 1 << 2 | 2 << 4 | 3 << 6);
  float params[2];
  std::memcpy(params, out.data(), 8);
  EXPECT_FLOAT_EQ(params[0], 1.0f); // step
  EXPECT_FLOAT_EQ(params[1], 0.0f); // lo
}

TEST_P(QuantizeFast, StochasticRoundingIsUnbiasedAndReproducible) {
  // x between two codes: the mean over many steps approaches x; nearest always rounds.
  std::vector<float> x(64);
  for (int j = 0; j < 64; ++j)
    x[j] = static_cast<float>(j) / 63.0f * 255.0f; // codes j*255/63: mostly fractional
  x[1] = 1.3f;
  double sum = 0;
  const int steps = 4000;
  for (int32_t s = 0; s < steps; ++s)
    sum += roundTrip(backend(), x, 64, 8, 1, s)[1];
  EXPECT_NEAR(sum / steps, 1.3, 0.02);
  EXPECT_EQ(roundTrip(backend(), x, 64, 8, 1, 7), roundTrip(backend(), x, 64, 8, 1, 7));
  EXPECT_NE(roundTrip(backend(), x, 64, 8, 1, 7), roundTrip(backend(), x, 64, 8, 1, 8));
}

TEST_P(QuantizeFast, FastKernelsEqualTheReferences) {
  for (int bits : {2, 4, 8})
    for (int stochastic : {0, 1})
      for (auto [groups, group] : std::vector<std::pair<int64_t, int64_t>>{{1, 3}, {5, 7}, {2048, 64}}) {
        std::vector<float> x = randomVector(groups * group, 9 + groups, 4.0f);
        int32_t step = 3;
        std::vector<uint8_t> fast(encodedBytes(groups, group, group, bits), 0xaa);
        std::vector<uint8_t> slow(fast.size(), 0x55);
        run<SLIMTUNE_KERNEL_QUANTIZE>(fast.data(), x.data(), groups, group, group, bits, stochastic,
                                      11, &step);
        reference::quantize(slow.data(), x.data(), groups, group, group, bits, stochastic, 11, &step);
        ASSERT_EQ(fast, slow) << "bits " << bits << " groups " << groups << "x" << group;
        std::vector<float> yFast(x.size()), ySlow(x.size());
        run<SLIMTUNE_KERNEL_DEQUANTIZE>(yFast.data(), fast.data(), groups, group, group, bits);
        reference::dequantize(ySlow.data(), slow.data(), groups, group, group, bits);
        ASSERT_EQ(yFast, ySlow);
      }
}

} // namespace

// Mesa's moving range (quantize_ema): rows of 3 channel groups of 4.
namespace {
constexpr int64_t kRows = 5, kChannels = 12, kGroup = 4, kChannelGroups = 3;

std::vector<uint8_t> quantizeEmaAt(const Backend &backend, const std::vector<float> &x,
                                   std::vector<float> &range, int bits, int stochastic,
                                   int32_t step, bool reference) {
  std::vector<uint8_t> codes(encodedBytes(kRows * kChannelGroups, kGroup, kGroup, bits), 0xAB);
  if (reference)
    reference::quantizeEma(codes.data(), x.data(), range.data(), kRows, kChannels, kGroup, bits,
                           stochastic, 7, &step, 0.9f);
  else
    runKernel<SLIMTUNE_KERNEL_QUANTIZE_EMA>(backend, codes.data(), x.data(), range.data(), kRows,
                                            kChannels, kGroup, bits, stochastic, 7, &step, 0.9f);
  return codes;
}
} // namespace

// Step 0 takes the batch's range per channel group over all rows; later steps move it by
// r <- 0.9 r + 0.1 r_batch.
TEST_P(QuantizeFast, EmaRangeStartsAtTheBatchAndMovesByTheDecay) {
  std::vector<float> x = randomVector(kRows * kChannels, 11, 3.0f), range(2 * kChannelGroups);
  auto batchRange = [&](const std::vector<float> &v, int64_t c) {
    float lo = v[c * kGroup], hi = lo;
    for (int64_t r = 0; r < kRows; ++r)
      for (int64_t j = 0; j < kGroup; ++j)
        lo = std::min(lo, v[r * kChannels + c * kGroup + j]),
        hi = std::max(hi, v[r * kChannels + c * kGroup + j]);
    return std::pair{lo, hi};
  };
  quantizeEmaAt(backend(), x, range, 8, 0, 0, false);
  for (int64_t c = 0; c < kChannelGroups; ++c) {
    EXPECT_EQ(range[2 * c], batchRange(x, c).first);
    EXPECT_EQ(range[2 * c + 1], batchRange(x, c).second);
  }
  std::vector<float> previous = range, x2 = randomVector(kRows * kChannels, 12, 1.0f);
  quantizeEmaAt(backend(), x2, range, 8, 0, 1, false);
  for (int64_t c = 0; c < kChannelGroups; ++c) {
    EXPECT_FLOAT_EQ(range[2 * c], 0.9f * previous[2 * c] + 0.1f * batchRange(x2, c).first);
    EXPECT_FLOAT_EQ(range[2 * c + 1], 0.9f * previous[2 * c + 1] + 0.1f * batchRange(x2, c).second);
  }
}

// Inside the moving range, nearest codes are within half a step; outside, values clamp to the
// range's ends (they never wrap).
TEST_P(QuantizeFast, EmaWithinHalfAStepInsideAndClampedOutside) {
  std::vector<float> x = randomVector(kRows * kChannels, 13, 1.0f), range(2 * kChannelGroups);
  quantizeEmaAt(backend(), x, range, 8, 0, 0, false); // range about [-1, 1]
  std::vector<float> wide = x;
  wide[0] = 50.0f;
  wide[1] = -50.0f;
  std::vector<float> before = range;
  std::vector<uint8_t> codes = quantizeEmaAt(backend(), wide, range, 8, 0, 1, false);
  std::vector<float> y(wide.size());
  run<SLIMTUNE_KERNEL_DEQUANTIZE>(y.data(), codes.data(), kRows, kChannels, kGroup, 8);
  const float lo0 = range[0], hi0 = range[1];
  EXPECT_LT(hi0, 50.0f);
  EXPECT_GT(lo0, -50.0f);
  EXPECT_NEAR(y[0], hi0, 1e-5f);
  EXPECT_NEAR(y[1], lo0, 1e-5f);
  for (int64_t i = 2; i < static_cast<int64_t>(wide.size()); ++i) {
    const int64_t c = (i % kChannels) / kGroup;
    const float lo = range[2 * c], hi = range[2 * c + 1], half = (hi - lo) / 255 / 2;
    const float expected = std::min(std::max(wide[i], lo), hi);
    ASSERT_LE(std::fabs(y[i] - expected), half * 1.0001f + 1e-6f) << "element " << i;
  }
  EXPECT_NE(before, range);
}

// The fast kernel equals the reference byte for byte (codes and the updated range), for each
// width and rounding, over three steps of a moving range.
TEST_P(QuantizeFast, EmaFastEqualsReference) {
  for (int bits : {2, 4, 8})
    for (int stochastic : {0, 1}) {
      std::vector<float> fastRange(2 * kChannelGroups), refRange(2 * kChannelGroups);
      for (int32_t step = 0; step < 3; ++step) {
        std::vector<float> x = randomVector(kRows * kChannels, 20 + step, 2.0f);
        EXPECT_EQ(quantizeEmaAt(backend(), x, fastRange, bits, stochastic, step, false),
                  quantizeEmaAt(backend(), x, refRange, bits, stochastic, step, true))
            << "bits " << bits << " stochastic " << stochastic << " step " << step;
        EXPECT_EQ(fastRange, refRange);
      }
    }
}

//===-- A row's last group shorter than the others --------------------------------------===//

// Widths the group does not divide (48 with group 64: one short group per row; 100 with 64:
// 64 + 36; 13 with 4: three of 4 and one of 1): the fast kernels equal the references byte for
// byte, including widths whose rows do not start on a byte (13 channels at 2 bits), and the
// round trip is within half of each group's own step.
TEST_P(QuantizeFast, RaggedFastEqualsReferenceAndWithinHalfAStep) {
  struct Shape {
    int64_t rows, channels, group;
  };
  for (int bits : {2, 4, 8})
    for (int stochastic : {0, 1})
      for (Shape s : {Shape{7, 48, 64}, Shape{9, 100, 64}, Shape{600, 100, 64}, Shape{5, 13, 4}}) {
        SCOPED_TRACE(::testing::Message() << "bits " << bits << " stochastic " << stochastic
                                          << " " << s.rows << "x" << s.channels << " group " << s.group);
        std::vector<float> x = randomVector(s.rows * s.channels, 31 + s.channels, 3.0f);
        int32_t step = 2;
        std::vector<uint8_t> fast(encodedBytes(s.rows, s.channels, s.group, bits), 0xaa);
        std::vector<uint8_t> slow(fast.size(), 0x55);
        run<SLIMTUNE_KERNEL_QUANTIZE>(fast.data(), x.data(), s.rows, s.channels, s.group, bits,
                                      stochastic, 5, &step);
        reference::quantize(slow.data(), x.data(), s.rows, s.channels, s.group, bits, stochastic, 5, &step);
        ASSERT_EQ(fast, slow);
        std::vector<float> yFast(x.size()), ySlow(x.size());
        run<SLIMTUNE_KERNEL_DEQUANTIZE>(yFast.data(), fast.data(), s.rows, s.channels, s.group,
                                        bits);
        reference::dequantize(ySlow.data(), slow.data(), s.rows, s.channels, s.group, bits);
        ASSERT_EQ(yFast, ySlow);
        if (stochastic)
          continue;
        for (int64_t r = 0; r < s.rows; ++r)
          for (int64_t c0 = 0; c0 < s.channels; c0 += s.group) {
            const int64_t c1 = std::min(c0 + s.group, s.channels);
            float lo = x[r * s.channels + c0], hi = lo;
            for (int64_t c = c0; c < c1; ++c)
              lo = std::min(lo, x[r * s.channels + c]), hi = std::max(hi, x[r * s.channels + c]);
            const float half = (hi - lo) / ((1 << bits) - 1) / 2;
            for (int64_t c = c0; c < c1; ++c)
              ASSERT_LE(std::fabs(yFast[r * s.channels + c] - x[r * s.channels + c]),
                        half * 1.0001f + 1e-6f)
                  << "row " << r << " channel " << c;
          }
      }
}

// Where the group divides the width, the per-row layout is the old flat one: the same bytes
// as coding rows * channels / group groups of `group` consecutive elements.
TEST_P(QuantizeFast, RaggedDividingGroupsKeepTheFlatLayout) {
  std::vector<float> x = randomVector(6 * 128, 3, 2.0f);
  int32_t step = 0;
  std::vector<uint8_t> perRow(encodedBytes(6, 128, 64, 4)), flat(perRow.size());
  run<SLIMTUNE_KERNEL_QUANTIZE>(perRow.data(), x.data(), 6, 128, 64, 4, 0, 0, &step);
  run<SLIMTUNE_KERNEL_QUANTIZE>(flat.data(), x.data(), 12, 64, 64, 4, 0, 0, &step);
  EXPECT_EQ(perRow, flat);
}

// The moving range with a short last channel group (10 channels in groups of 4: 4, 4, 2):
// fast equals reference, and the short group's range covers only its own two channels.
TEST_P(QuantizeFast, RaggedMovingRangeWithAShortLastGroup) {
  const int64_t rows = 6, channels = 10, group = 4, perRow = 3;
  std::vector<float> x = randomVector(rows * channels, 41, 1.0f);
  for (int64_t r = 0; r < rows; ++r)
    x[r * channels + 8] = x[r * channels + 9] = 100.0f + r; // only the short group sees these
  for (int bits : {2, 8}) {
    std::vector<float> fastRange(2 * perRow), refRange(2 * perRow);
    int32_t step = 0;
    std::vector<uint8_t> fast(encodedBytes(rows, channels, group, bits)), slow(fast.size());
    run<SLIMTUNE_KERNEL_QUANTIZE_EMA>(fast.data(), x.data(), fastRange.data(), rows, channels,
                                      group, bits, 0, 3, &step, 0.9f);
    reference::quantizeEma(slow.data(), x.data(), refRange.data(), rows, channels, group, bits, 0, 3,
                           &step, 0.9f);
    EXPECT_EQ(fast, slow) << "bits " << bits;
    EXPECT_EQ(fastRange, refRange);
    EXPECT_EQ(fastRange[4], 100.0f);
    EXPECT_EQ(fastRange[5], 105.0f);
    EXPECT_LT(fastRange[1], 50.0f); // the first group never sees 100
  }
}
