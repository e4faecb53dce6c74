// The optimizer kernels: gradient norm accumulation, its square root, and AdamW (a two-step
// example computed by hand, each backend's fast kernel against the reference, gradient
// clipping).
#include "kernels/backend_test.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/optimizer_reference.h"
#include "support/gradient_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace slimtune::cpu;
using namespace slimtune::testing;

//===-- sum_squares, sqrt_f64 -----------------------------------------------------------===//

class OptimizerFast : public BackendTest {};
SLIMTUNE_INSTANTIATE_BACKENDS(OptimizerFast);

TEST_P(OptimizerFast, SumSquaresAccumulatesIntoDouble) {
  const float x[] = {1, 2, 3, 4, 5};
  double acc = 1.5;
  run<SLIMTUNE_KERNEL_SUM_SQUARES>(&acc, x, 5);
  EXPECT_EQ(acc, 56.5);
  run<SLIMTUNE_KERNEL_SUM_SQUARES>(&acc, x, 0);
  EXPECT_EQ(acc, 56.5);
  double ref = 1.5;
  reference::sumSquares(&ref, x, 5);
  EXPECT_EQ(ref, 56.5);
}

// Many elements (split over the cores), values whose squares an fp32 sum would round away:
// matches a sequential double sum to 1e-12 relative (only the summation order differs).
TEST_P(OptimizerFast, SumSquaresOfLargeInputsMatchDoubleSum) {
  std::vector<float> x = randomVector(1000003, 1);
  x[0] = 3000.0f; // an fp32 sum would lose the small squares next to 9e6
  double expected = 0.25;
  for (float v : x)
    expected += static_cast<double>(v) * v;
  double acc = 0.25;
  run<SLIMTUNE_KERNEL_SUM_SQUARES>(&acc, x.data(), static_cast<int64_t>(x.size()));
  EXPECT_NEAR(acc, expected, 1e-12 * expected);
}

TEST_P(OptimizerFast, SqrtF64) {
  const double acc = 2.25, big = 1e12;
  float out = 0;
  run<SLIMTUNE_KERNEL_SQRT_F64>(&out, &acc);
  EXPECT_EQ(out, 1.5f);
  run<SLIMTUNE_KERNEL_SQRT_F64>(&out, &big);
  EXPECT_EQ(out, 1e6f);
}

//===-- adamw ---------------------------------------------------------------------------===//

namespace {
struct AdamState {
  std::vector<float> p, m, v;
};

struct AdamConfig {
  float lr = 0.01f, maxNorm = 0.0f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weightDecay = 0.1f;
};

void fastStep(const Backend &backend, AdamState &s, const std::vector<float> &g, int32_t step,
              const AdamConfig &c, const double *sumSq = nullptr) {
  runKernel<SLIMTUNE_KERNEL_ADAMW>(backend, s.p.data(), s.m.data(), s.v.data(), g.data(),
                                   static_cast<int64_t>(g.size()), &c.lr, &step, sumSq, c.maxNorm,
                                   c.beta1, c.beta2, c.eps, c.weightDecay);
}

template <typename T>
void referenceStep(std::vector<T> &p, std::vector<T> &m, std::vector<T> &v,
                   const std::vector<float> &g, int32_t step, const AdamConfig &c,
                   const double *sumSq = nullptr) {
  const std::vector<T> gt(g.begin(), g.end());
  const T lr = c.lr;
  reference::adamw<T>(p.data(), m.data(), v.data(), gt.data(), static_cast<int64_t>(g.size()), &lr,
                      &step, sumSq, c.maxNorm, c.beta1, c.beta2, c.eps, c.weightDecay);
}
} // namespace

// Hyperparameters exact in binary, so that fp32 and double runs see the same values: lr 2^-7,
// betas (0.875, 1 - 2^-10), eps 1e-8, weight decay 0.125; steps 0 and 1 (t = 1, 2).
// t = 1, element 0 (p 1, g 0.125): p = 1 - 2^-7 * 0.125 * 1 = 0.9990234375; m = 0.015625,
// v = 2^-10 * 0.125^2 = 1.52587890625e-5; mhat = 0.125, vhat = 0.015625 = 0.125^2, so
// p = 0.9990234375 - 2^-7 * 0.125 / (0.125 + 1e-8) = 0.991210938125.
// t = 2, element 0 (g -0.0625): p = 0.991210938125 (1 - 2^-10); m = 0.875 * 0.015625 +
// 0.125 * -0.0625 = 0.005859375, mhat = m / (1 - 0.875^2) = 0.025; v = 1.90585851669e-5,
// vhat = v / (1 - (1 - 2^-10)^2) = 0.00976276258, so p = 0.990242952 - 2^-7 * 0.025 /
// (0.0988066930 + 1e-8) = 0.988266245635.
// Element 3 has g = 0 first (no update: m = v = 0) and 2^-10 next.
// fp32 against these values: 1e-6 absolute on p, 1e-6 relative on m and v; the double
// reference: 1e-12.
TEST_P(OptimizerFast, AdamWTwoStepsByHand) {
  const std::vector<std::vector<float>> grads = {{0.125f, -0.25f, 0.375f, 0.0f},
                                                 {-0.0625f, 0.5f, 0.375f, 0x1p-10f}};
  const double wantP[2][4] = {
      {0.991210938125, -0.4916992190625, 0.241943359583333, 0},
      {0.988266245635398, -0.494183244885904, 0.233894586979574, -0.00589103243137214}};
  const double wantM[2][4] = {{0.015625, -0.03125, 0.046875, 0},
                              {0.005859375, 0.03515625, 0.087890625, 0.0001220703125}};
  const double wantV[2][4] = {
      {1.52587890625e-05, 6.103515625e-05, 0.0001373291015625, 0},
      {1.90585851669312e-05, 0.000305116176605225, 0.000274524092674255, 9.31322574615479e-10}};
  AdamConfig c;
  c.lr = 0x1p-7f;
  c.beta1 = 0.875f;
  c.beta2 = 1.0f - 0x1p-10f;
  c.weightDecay = 0.125f;
  AdamState fast{{1.0f, -0.5f, 0.25f, 0.0f}, std::vector<float>(4, 0), std::vector<float>(4, 0)};
  std::vector<double> p = {1.0, -0.5, 0.25, 0.0}, m(4, 0), v(4, 0);
  for (int32_t step = 0; step < 2; ++step) {
    fastStep(backend(), fast, grads[step], step, c);
    referenceStep<double>(p, m, v, grads[step], step, c);
    for (int i = 0; i < 4; ++i) {
      SCOPED_TRACE(::testing::Message() << "step " << step << " element " << i);
      EXPECT_NEAR(fast.p[i], wantP[step][i], 1e-6);
      EXPECT_NEAR(fast.m[i], wantM[step][i], 1e-6 * std::fabs(wantM[step][i]));
      EXPECT_NEAR(fast.v[i], wantV[step][i], 1e-6 * wantV[step][i]);
      EXPECT_NEAR(p[i], wantP[step][i], 1e-12);
      EXPECT_NEAR(m[i], wantM[step][i], 1e-12 * std::fabs(wantM[step][i]));
      EXPECT_NEAR(v[i], wantV[step][i], 1e-12 * wantV[step][i]);
    }
  }
}

// Fast against the fp32 reference over several steps, sizes not multiples of 8 and one large
// enough to be split over the cores, with and without clipping: p, m, v to 2e-6 relative to
// their largest entries (measured < 5e-7: the fast kernel uses PyTorch's arrangement of the same
// arithmetic, p (1 - lr wd) with 1 - lr wd rounded to fp32, a difference of up to 3e-8 |p| per
// step).
TEST_P(OptimizerFast, AdamWMatchesReference) {
  for (int64_t n : {int64_t{1}, int64_t{13}, int64_t{1001}, int64_t{100003}})
    for (float maxNorm : {0.0f, 1.0f}) {
      SCOPED_TRACE(::testing::Message() << "n " << n << " max_norm " << maxNorm);
      AdamConfig c;
      c.maxNorm = maxNorm;
      AdamState fast{randomVector(n, 1), std::vector<float>(n, 0), std::vector<float>(n, 0)};
      AdamState ref = fast;
      for (int32_t step = 0; step < 5; ++step) {
        std::vector<float> g = randomVector(n, 10 + step, 0.1f);
        double sumSq = 0;
        reference::sumSquares(&sumSq, g.data(), n);
        fastStep(backend(), fast, g, step, c, &sumSq);
        referenceStep<float>(ref.p, ref.m, ref.v, g, step, c, &sumSq);
      }
      EXPECT_LT(relativeError(fast.p, ref.p), 2e-6);
      EXPECT_LT(relativeError(fast.m, ref.m), 2e-6);
      EXPECT_LT(relativeError(fast.v, ref.v), 2e-6);
    }
}

// Clipping scales g by min(1, max_norm / (sqrt(sum_squares) + 1e-6)): with norm 4 and
// max_norm 1 a step equals an unclipped step on g / (4 + 1e-6) exactly, and m = 0.1 g / 4 after
// a first step; a norm below max_norm, max_norm 0 or no sum_squares leave g as it is.
TEST_P(OptimizerFast, AdamWClipping) {
  const int64_t n = 37;
  const std::vector<float> g = randomVector(n, 2);
  const AdamState start{randomVector(n, 3), randomVector(n, 4, 0.01f), randomVector(n, 5, 1e-4f)};
  auto stepFrom = [&](const std::vector<float> &grad, float maxNorm, const double *sumSq) {
    AdamState s = start;
    for (float &v : s.v)
      v = std::fabs(v);
    AdamConfig c;
    c.maxNorm = maxNorm;
    fastStep(backend(), s, grad, 3, c, sumSq);
    return s;
  };
  const double norm4 = 16.0, norm05 = 0.25;
  const float factor = static_cast<float>(1.0 / (4.0 + 1e-6));
  std::vector<float> scaled(g);
  for (float &x : scaled)
    x *= factor;
  AdamState clipped = stepFrom(g, 1.0f, &norm4), byHand = stepFrom(scaled, 0.0f, nullptr);
  EXPECT_EQ(clipped.p, byHand.p);
  EXPECT_EQ(clipped.m, byHand.m);
  EXPECT_EQ(clipped.v, byHand.v);
  AdamState unclipped = stepFrom(g, 0.0f, nullptr);
  EXPECT_NE(clipped.p, unclipped.p);
  EXPECT_EQ(stepFrom(g, 1.0f, &norm05).p, unclipped.p); // norm 0.5 < 1: factor 1
  EXPECT_EQ(stepFrom(g, 0.0f, &norm4).p, unclipped.p);  // max_norm 0: no clipping
  EXPECT_EQ(stepFrom(g, 1.0f, nullptr).p, unclipped.p); // no sum_squares: no clipping

  // From a zero state, m = (1 - beta1) g factor.
  AdamState fresh{std::vector<float>(n, 1.0f), std::vector<float>(n, 0), std::vector<float>(n, 0)};
  AdamConfig c;
  c.maxNorm = 1.0f;
  fastStep(backend(), fresh, g, 0, c, &norm4);
  for (int64_t i = 0; i < n; ++i)
    EXPECT_NEAR(fresh.m[i], 0.1 * g[i] / 4.0, 1e-6 * std::fabs(g[i]));
}
