// Approx-BP kernels: the flags' layout and values at the breakpoints (strict >), the levels,
// each backend's fast kernels against the references (exact: same compares, same products),
// and how far the approximate derivative is from the true one (stated, checked).
#include "kernels/backend_test.h"
#include "kernels/common/approx_activation.h"
#include "kernels/cpu/approx_activation_reference.h"
#include "kernels/cpu/elementwise_reference.h"
#include "kernels/cpu/kernels.h"
#include "support/gradient_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

using namespace slimtune::cpu;
using namespace slimtune::testing;

namespace {

const std::vector<int64_t> kSizes = {1, 3, 4, 5, 33, 1000, 100003};

class ApproxActivationFast : public BackendTest {};
SLIMTUNE_INSTANTIATE_BACKENDS(ApproxActivationFast);

TEST_P(ApproxActivationFast, LayoutPacksFourFlagsPerByteLowBitsFirst) {
  // Segments 0, 1, 2, 3 for SiLU's breakpoints (-6.305, -0.00087, 6.326), then 3, 0 again.
  std::vector<float> x = {-10.0f, -1.0f, 1.0f, 10.0f, 7.0f, -7.0f};
  std::vector<uint8_t> flags(2, 0xff);
  run<SLIMTUNE_KERNEL_ACTIVATION_FLAGS>(flags.data(), x.data(), 6, SLIMTUNE_RESILU2);
  EXPECT_EQ(flags[0], 0 | 1 << 2 | 2 << 4 | 3 << 6);
  EXPECT_EQ(flags[1], 3 | 0 << 2); // unused bits are zero
}

TEST_P(ApproxActivationFast, BreakpointsCompareStrictlyInFp32) {
  for (int kind : {SLIMTUNE_RESILU2, SLIMTUNE_REGELU2}) {
    const slimtune_approx_activation constants = slimtune_approx_constants(kind);
    for (int j = 0; j < 3; ++j) {
      float at = static_cast<float>(constants.c[j]);
      float x[2] = {at, std::nextafter(at, 1e9f)};
      uint8_t flags = 0;
      run<SLIMTUNE_KERNEL_ACTIVATION_FLAGS>(&flags, x, 2, kind);
      EXPECT_EQ(flags & 3, j) << "kind " << kind << ": x == c" << j << " is not above it";
      EXPECT_EQ((flags >> 2) & 3, j + 1) << "kind " << kind << ": just above c" << j;
    }
  }
}

TEST(ApproxActivation, LevelsAreTheCumulativeSlopes) {
  EXPECT_EQ(slimtune_approx_level(SLIMTUNE_RESILU2, 0), 0.0);
  EXPECT_DOUBLE_EQ(slimtune_approx_level(SLIMTUNE_RESILU2, 1), -0.04060357190528599);
  EXPECT_NEAR(slimtune_approx_level(SLIMTUNE_RESILU2, 3), 1.0, 1e-6); // SiLU' -> 1 far right
  EXPECT_NEAR(slimtune_approx_level(SLIMTUNE_REGELU2, 3), 1.0, 1e-6);
  EXPECT_DOUBLE_EQ(slimtune_approx_level(SLIMTUNE_REGELU2, 2),
                   -0.04922261145617846 + 1.0979632065417297);
}

TEST_P(ApproxActivationFast, FastKernelsEqualTheReferences) {
  for (int kind : {SLIMTUNE_RESILU2, SLIMTUNE_REGELU2})
    for (int64_t n : kSizes) {
      std::vector<float> x = randomVector(n, 11 + n, 9.0f), dy = randomVector(n, 5 + n, 1.0f);
      std::vector<uint8_t> fast((n + 3) / 4, 0xaa), slow((n + 3) / 4, 0x55);
      run<SLIMTUNE_KERNEL_ACTIVATION_FLAGS>(fast.data(), x.data(), n, kind);
      reference::activationFlags(slow.data(), x.data(), n, kind);
      ASSERT_EQ(fast, slow) << "kind " << kind << " n " << n;
      std::vector<float> dxFast(n), dxSlow(n);
      run<SLIMTUNE_KERNEL_ACTIVATION_GRAD_FLAGS>(dxFast.data(), dy.data(), fast.data(), n, kind);
      reference::activationGradFlags(dxSlow.data(), dy.data(), slow.data(), n, kind);
      ASSERT_EQ(dxFast, dxSlow) << "kind " << kind << " n " << n;
    }
}

// The approximation's error, stated (measured: x ~ U(-8, 8), dy ~ U(-1, 1), 200,000 elements):
// the 4-level derivative is off by at most 0.541 (ReSiLU2) / 0.550 (ReGELU2) per unit of dy,
// in the curved region around the breakpoints; 0.060 / 0.038 on average; dx has cosine
// similarity 0.986 / 0.990 with the exact dx. Bounds: 0.6, 0.08, 0.98.
TEST_P(ApproxActivationFast, ApproximatesTheTrueDerivative) {
  const int64_t n = 200000;
  std::vector<float> x = randomVector(n, 3, 8.0f), dy = randomVector(n, 4, 1.0f);
  for (int kind : {SLIMTUNE_RESILU2, SLIMTUNE_REGELU2}) {
    std::vector<float> exact(n), approx(n);
    if (kind == SLIMTUNE_RESILU2)
      reference::siluGrad(exact.data(), dy.data(), x.data(), n);
    else
      reference::geluGrad(exact.data(), dy.data(), x.data(), n, 0);
    std::vector<uint8_t> flags((n + 3) / 4);
    run<SLIMTUNE_KERNEL_ACTIVATION_FLAGS>(flags.data(), x.data(), n, kind);
    run<SLIMTUNE_KERNEL_ACTIVATION_GRAD_FLAGS>(approx.data(), dy.data(), flags.data(), n, kind);
    double worst = 0, sum = 0, dot = 0, ee = 0, aa = 0;
    for (int64_t i = 0; i < n; ++i) {
      double d = std::fabs(exact[i] - approx[i]) / std::max(1e-12, std::fabs(double(dy[i])));
      worst = std::max(worst, d);
      sum += d;
      dot += double(exact[i]) * approx[i];
      ee += double(exact[i]) * exact[i];
      aa += double(approx[i]) * approx[i];
    }
    double cosine = dot / std::sqrt(ee * aa);
    std::printf("%s: max |error|/|dy| %.4f, mean %.4f, cosine %.5f\n",
                kind == SLIMTUNE_RESILU2 ? "ReSiLU2" : "ReGELU2", worst, sum / n, cosine);
    EXPECT_LT(worst, 0.6) << "kind " << kind;
    EXPECT_LT(sum / n, 0.08) << "kind " << kind;
    EXPECT_GT(cosine, 0.98) << "kind " << kind;
    EXPECT_LT(cosine, 1.0 - 1e-6) << "kind " << kind << ": suspiciously exact";
  }
}

} // namespace
