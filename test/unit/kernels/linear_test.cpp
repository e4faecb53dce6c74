// The dense layer (linear, weight_grad, sum_rows): references against hand-computed values and
// finite differences, each backend's fast kernels against the references, for both weight
// layouts.
#include "kernels/backend_test.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/linear_reference.h"
#include "support/gradient_check.h"

#include <gtest/gtest.h>

#include <vector>

using namespace slimtune::cpu;
using namespace slimtune::testing;

namespace {

struct Shape {
  int64_t n, in, out;
};

// Odd sizes, on both sides of cpu::gemm's skinny-shape threshold (64).
const std::vector<Shape> kShapes = {{1, 5, 3}, {7, 13, 9}, {33, 45, 70}, {97, 130, 75}};

// The weight of a shape in the given layout: [out, in] (0) or [in, out] (1); same size.
std::vector<float> randomWeight(const Shape &s, uint64_t seed) {
  return randomVector(s.in * s.out, seed);
}

// The reference forward in double, from float data: dot(y, w) for the gradient checks.
double linearLoss(const std::vector<double> &x, const std::vector<double> &weight,
                  const std::vector<double> &bias, const std::vector<float> &w, const Shape &s,
                  int32_t layout) {
  std::vector<double> y(s.n * s.out);
  reference::linear(y.data(), x.data(), weight.data(), bias.data(), s.n, s.in, s.out, layout);
  return dot(y, w);
}

} // namespace

TEST(LinearReference, KnownValues) {
  // x [2, 3], W [out = 2, in = 3] = [1 0 2; -1 1 0], b = [10, 20]:
  // y = [1*1 + 3*2, -1 + 2; 4 + 12, -4 + 5] + b = [17, 21; 26, 21].
  std::vector<double> x = {1, 2, 3, 4, 5, 6}, w = {1, 0, 2, -1, 1, 0}, b = {10, 20}, y(4);
  reference::linear(y.data(), x.data(), w.data(), b.data(), 2, 3, 2, 0);
  EXPECT_EQ(y, (std::vector<double>{17, 21, 26, 21}));
  // The same weight stored [in, out] (layout 1), without bias.
  std::vector<double> wt = {1, -1, 0, 1, 2, 0};
  reference::linear<double>(y.data(), x.data(), wt.data(), nullptr, 2, 3, 2, 1);
  EXPECT_EQ(y, (std::vector<double>{7, 1, 16, 1}));
  // dW = dy^T x with dy = [1 0; 0 1] is x itself, in either layout.
  std::vector<double> dy = {1, 0, 0, 1}, dw(6);
  reference::weightGrad(dw.data(), dy.data(), x.data(), 2, 3, 2, 0);
  EXPECT_EQ(dw, x);
  reference::weightGrad(dw.data(), dy.data(), x.data(), 2, 3, 2, 1);
  EXPECT_EQ(dw, (std::vector<double>{1, 4, 2, 5, 3, 6}));
  std::vector<double> db(3);
  reference::sumRows(db.data(), x.data(), 2, 3);
  EXPECT_EQ(db, (std::vector<double>{5, 7, 9}));
}

class LinearFast : public BackendTest {};
SLIMTUNE_INSTANTIATE_BACKENDS(LinearFast);

// Fast vs reference<float>. Tolerance 1e-5 relative to the largest |y|: fp32 rounding of
// dot products of length <= 130 accumulated in a different order.
TEST_P(LinearFast, MatchesReference) {
  uint64_t seed = 10;
  for (const Shape &s : kShapes)
    for (int32_t layout : {0, 1})
      for (bool withBias : {false, true}) {
        std::vector<float> x = randomVector(s.n * s.in, seed++);
        std::vector<float> w = randomWeight(s, seed++);
        std::vector<float> b = randomVector(s.out, seed++);
        const float *bias = withBias ? b.data() : nullptr;
        std::vector<float> want(s.n * s.out), got(s.n * s.out, 123.0f);
        reference::linear(want.data(), x.data(), w.data(), bias, s.n, s.in, s.out, layout);
        run<SLIMTUNE_KERNEL_LINEAR>(got.data(), x.data(), w.data(), bias, s.n, s.in, s.out, layout);
        EXPECT_LT(relativeError(got, want), 1e-5)
            << s.n << "x" << s.in << "x" << s.out << " layout " << layout << " bias " << withBias;
      }
}

// Tolerance 1e-5 relative to the largest |dW|: sums over n <= 97 rows in fp32.
TEST_P(LinearFast, WeightGradMatchesReference) {
  uint64_t seed = 100;
  for (const Shape &s : kShapes)
    for (int32_t layout : {0, 1}) {
      std::vector<float> dy = randomVector(s.n * s.out, seed++);
      std::vector<float> x = randomVector(s.n * s.in, seed++);
      std::vector<float> want(s.in * s.out), got(s.in * s.out, 123.0f);
      reference::weightGrad(want.data(), dy.data(), x.data(), s.n, s.in, s.out, layout);
      run<SLIMTUNE_KERNEL_WEIGHT_GRAD>(got.data(), dy.data(), x.data(), s.n, s.in, s.out, layout);
      EXPECT_LT(relativeError(got, want), 1e-5)
          << s.n << "x" << s.in << "x" << s.out << " layout " << layout;
    }
}

// Tolerance 1e-5 relative to the largest |db|; the last shape is large enough to run on
// several threads and has a partial column band.
TEST_P(LinearFast, SumRowsMatchesReference) {
  uint64_t seed = 200;
  for (Shape s : {Shape{1, 0, 5}, Shape{7, 0, 13}, Shape{33, 0, 70}, Shape{1000, 0, 77}}) {
    std::vector<float> dy = randomVector(s.n * s.out, seed++);
    std::vector<float> want(s.out), got(s.out, 123.0f);
    reference::sumRows(want.data(), dy.data(), s.n, s.out);
    run<SLIMTUNE_KERNEL_SUM_ROWS>(got.data(), dy.data(), s.n, s.out);
    EXPECT_LT(relativeError(got, want), 1e-5) << s.n << "x" << s.out;
  }
}

// n = 0: an empty batch has zero parameter gradients (the kernels overwrite, not accumulate).
TEST_P(LinearFast, EmptyBatchGivesZeroGradients) {
  std::vector<float> dw(6, 5.0f), db(3, 5.0f);
  run<SLIMTUNE_KERNEL_WEIGHT_GRAD>(dw.data(), nullptr, nullptr, 0, 3, 2, 0);
  run<SLIMTUNE_KERNEL_SUM_ROWS>(db.data(), nullptr, 0, 3);
  EXPECT_EQ(dw, std::vector<float>(6, 0.0f));
  EXPECT_EQ(db, std::vector<float>(3, 0.0f));
}

// weight_grad and sum_rows are the gradients of dot(linear(x, W, b), w) with respect to W and
// b for dy = w; the input gradient is linear of dy with the other layout. Checked against
// central differences of the double reference forward: reference<double> within 1e-6
// (the forward is linear in each argument, so the differences are exact up to rounding) and
// the fast fp32 kernels within 1e-5, both relative to the largest gradient.
TEST_P(LinearFast, GradientMatchesFiniteDifferences) {
  uint64_t seed = 300;
  for (Shape s : {Shape{1, 5, 3}, Shape{7, 13, 9}})
    for (int32_t layout : {0, 1}) {
      std::vector<float> x = randomVector(s.n * s.in, seed++);
      std::vector<float> weight = randomWeight(s, seed++);
      std::vector<float> bias = randomVector(s.out, seed++);
      std::vector<float> w = randomVector(s.n * s.out, seed++); // dy
      std::vector<double> xd = toDouble(x), weightD = toDouble(weight), biasD = toDouble(bias),
                          wD = toDouble(w);

      std::vector<double> fdWeight = finiteDifference(
          [&](const std::vector<double> &v) { return linearLoss(xd, v, biasD, w, s, layout); },
          weightD);
      std::vector<double> fdBias = finiteDifference(
          [&](const std::vector<double> &v) { return linearLoss(xd, weightD, v, w, s, layout); },
          biasD);
      std::vector<double> fdX = finiteDifference(
          [&](const std::vector<double> &v) { return linearLoss(v, weightD, biasD, w, s, layout); },
          xd);

      std::vector<double> dW(s.in * s.out), db(s.out), dx(s.n * s.in);
      reference::weightGrad(dW.data(), wD.data(), xd.data(), s.n, s.in, s.out, layout);
      reference::sumRows(db.data(), wD.data(), s.n, s.out);
      // dx [n, in] = dy [n, out] W_[out, in]: W read with the other layout, in/out swapped.
      reference::linear<double>(dx.data(), wD.data(), weightD.data(), nullptr, s.n, s.out, s.in,
                                1 - layout);
      EXPECT_LT(relativeError(dW, fdWeight), 1e-6) << "layout " << layout;
      EXPECT_LT(relativeError(db, fdBias), 1e-6);
      EXPECT_LT(relativeError(dx, fdX), 1e-6) << "layout " << layout;

      std::vector<float> dWFast(s.in * s.out), dbFast(s.out), dxFast(s.n * s.in);
      run<SLIMTUNE_KERNEL_WEIGHT_GRAD>(dWFast.data(), w.data(), x.data(), s.n, s.in, s.out, layout);
      run<SLIMTUNE_KERNEL_SUM_ROWS>(dbFast.data(), w.data(), s.n, s.out);
      run<SLIMTUNE_KERNEL_LINEAR>(dxFast.data(), w.data(), weight.data(), nullptr, s.n, s.out, s.in,
                                  1 - layout);
      EXPECT_LT(relativeError(dWFast, fdWeight), 1e-5) << "layout " << layout;
      EXPECT_LT(relativeError(dbFast, fdBias), 1e-5);
      EXPECT_LT(relativeError(dxFast, fdX), 1e-5) << "layout " << layout;
    }
}
