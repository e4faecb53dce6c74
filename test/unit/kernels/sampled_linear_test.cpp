// CE-LoRA's input gradient (sampled_linear_grad): the fast kernel against its reference in
// double, both layouts and bf16 weights; the first step exact; the approximation exactly
// CE-LoRA's (dy L) R + dy[:, S] W_res[S]; the kept columns following the step's gradient (the
// published code's score, reduced to a scalar, would depend on W alone: these tests fail on
// it), refreshed on the optimizer steps that are multiples of `refresh` only; columns from a
// corrupt checkpoint refused.
#include "kernels/backend_test.h"
#include "kernels/common/bf16.h"
#include "kernels/cpu/sampled_linear_reference.h"
#include "kernels/cpu/workspace.h"
#include "support/gradient_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace slimtune;
using namespace slimtune::cpu;
using namespace slimtune::testing;

namespace {

// One CE-LoRA layer: W and a rank-r pair with its residual's feature norms.
struct Layer {
  int64_t n, in, out, k, r;
  bool inOut;
  std::vector<float> w, left, right, norms;

  Layer(int64_t n_, int64_t in_, int64_t out_, int64_t k_, int64_t r_, bool inOut_, uint64_t seed)
      : n(n_), in(in_), out(out_), k(k_), r(r_), inOut(inOut_) {
    const int64_t rows = inOut ? in : out, cols = inOut ? out : in;
    w = randomVector(rows * cols, seed);
    left = randomVector(rows * r, seed + 1, 0.3f);
    right = randomVector(r * cols, seed + 2, 0.3f);
    norms.assign(out, 0.0f);
    for (int64_t j = 0; j < out; ++j) {
      double sum = 0;
      for (int64_t c = 0; c < in; ++c) {
        double v = residual(j, c);
        sum += v * v;
      }
      norms[j] = static_cast<float>(std::sqrt(sum));
    }
  }
  // W_res of feature j, input c, in double.
  double residual(int64_t j, int64_t c) const {
    const int64_t rows = inOut ? in : out, cols = inOut ? out : in;
    const int64_t row = inOut ? c : j, col = inOut ? j : c;
    double lr = 0;
    for (int64_t q = 0; q < r; ++q)
      lr += double(left[row * r + q]) * right[q * cols + col];
    return double(w[row * cols + col]) - lr;
  }
  double weight(int64_t j, int64_t c) const { return w[inOut ? c * out + j : j * in + c]; }
  std::vector<float> work() const {
    return std::vector<float>(slimtune_cpu_sampled_linear_grad_work(n, in, out, k, r), 7.0f);
  }
};

class SampledLinearGrad : public BackendTest {
protected:
  // The fast kernel's dx and columns at optimizer step `step`.
  std::vector<float> run(const Layer &l, const std::vector<float> &dy, std::vector<int32_t> &columns,
                         int32_t step, int64_t refresh, const void *w = nullptr, int32_t bf16 = 0) {
    std::vector<float> dx(l.n * l.in, 99.0f), work = l.work();
    BackendTest::run<SLIMTUNE_KERNEL_SAMPLED_LINEAR_GRAD>(
        dx.data(), columns.data(), columns.data(), dy.data(), w ? w : l.w.data(), l.left.data(),
        l.right.data(), l.norms.data(), work.data(), l.n, l.in, l.out, l.k, l.r, refresh,
        int32_t(l.inOut), bf16, &step);
    return dx;
  }
};

double relativeError(const std::vector<float> &got, const std::vector<double> &want) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    diff += (got[i] - want[i]) * (got[i] - want[i]);
    norm += want[i] * want[i];
  }
  return std::sqrt(diff / norm);
}

TEST_P(SampledLinearGrad, MatchesReferenceInBothLayoutsAndBf16) {
  for (bool inOut : {false, true})
    for (int32_t bf16 : {0, 1}) {
      Layer l(37, 24, 40, 22, 3, inOut, 11);
      std::vector<uint16_t> wBits(l.w.size());
      for (size_t i = 0; i < wBits.size(); ++i)
        wBits[i] = common::f32ToBf16Bits(l.w[i]);
      const void *w = bf16 ? static_cast<const void *>(wBits.data()) : l.w.data();
      std::vector<float> dy = randomVector(l.n * l.out, 5);
      for (int32_t step : {0, 1, 3}) {
        std::vector<int32_t> columns(l.k, 0), want(l.k, 0);
        std::vector<double> dyD(dy.begin(), dy.end()), dxD(l.n * l.in);
        std::vector<float> got = run(l, dy, columns, step, /*refresh=*/1, w, bf16);
        ASSERT_EQ(reference::sampledLinearGrad<double>(
                      dxD.data(), want.data(), want.data(), dyD.data(), w, l.left.data(),
                      l.right.data(), l.norms.data(), nullptr, l.n, l.in, l.out, l.k, l.r, 1,
                      int32_t(inOut), bf16, &step),
                  SLIMTUNE_KERNEL_OK);
        EXPECT_EQ(columns, want) << "inOut " << inOut << " bf16 " << bf16 << " step " << step;
        EXPECT_LT(relativeError(got, dxD), 2e-6) << "inOut " << inOut << " bf16 " << bf16;
      }
    }
}

// Step 0 is dy W exactly; later steps are CE-LoRA's (dy L) R + dy[:, S] W_res[S], and their
// error against dy W is the dropped features' residual part, dy[:, ~S] W_res[~S], no more.
TEST_P(SampledLinearGrad, FirstStepExactThenCeLorasApproximation) {
  for (bool inOut : {false, true}) {
    Layer l(33, 48, 64, 35, 4, inOut, 21);
    std::vector<float> dy = randomVector(l.n * l.out, 8);
    std::vector<int32_t> columns(l.k);
    std::vector<double> exact(l.n * l.in, 0.0), ceLora(l.n * l.in, 0.0);
    for (int64_t i = 0; i < l.n; ++i)
      for (int64_t c = 0; c < l.in; ++c)
        for (int64_t j = 0; j < l.out; ++j)
          exact[i * l.in + c] += dy[i * l.out + j] * l.weight(j, c);
    EXPECT_LT(relativeError(run(l, dy, columns, 0, 200), exact), 1e-6);
    std::vector<float> approx = run(l, dy, columns, 1, 200);
    std::vector<char> kept(l.out, 0);
    for (int32_t j : columns)
      kept[j] = 1;
    for (int64_t i = 0; i < l.n; ++i)
      for (int64_t c = 0; c < l.in; ++c)
        for (int64_t j = 0; j < l.out; ++j)
          ceLora[i * l.in + c] += dy[i * l.out + j] * (kept[j] ? l.residual(j, c) : 0.0) +
                                  dy[i * l.out + j] * (l.weight(j, c) - l.residual(j, c));
    EXPECT_LT(relativeError(approx, ceLora), 2e-6);
    // The error is real and bounded by what was dropped: here keep 35 of 64 features.
    double error = relativeError(approx, exact);
    EXPECT_GT(error, 0.05);
    EXPECT_LT(error, 0.9);
  }
}

// The kept columns follow the gradient: the same W with dy's energy in other features selects
// other features (a score reduced to a scalar, as in the published code, cannot).
TEST_P(SampledLinearGrad, ColumnsFollowTheGradientNotJustTheWeight) {
  Layer l(16, 20, 30, 10, 2, false, 31);
  std::vector<int32_t> first(l.k), second(l.k);
  std::vector<float> dy = randomVector(l.n * l.out, 1, 0.01f);
  for (int64_t i = 0; i < l.n; ++i)
    for (int64_t j = 0; j < 10; ++j)
      dy[i * l.out + j] *= 1000.0f; // features 0..9 dominate
  run(l, dy, first, 0, 1);
  EXPECT_EQ(first, (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  for (int64_t i = 0; i < l.n; ++i)
    for (int64_t j = 0; j < l.out; ++j)
      dy[i * l.out + j] *= j < 10 ? 1e-3f : (j >= 20 ? 1000.0f : 1.0f); // now 20..29
  run(l, dy, second, 0, 1);
  EXPECT_EQ(second, (std::vector<int32_t>{20, 21, 22, 23, 24, 25, 26, 27, 28, 29}));
}

// The columns are chosen again exactly on the optimizer steps that are multiples of refresh.
TEST_P(SampledLinearGrad, RefreshCountsOptimizerSteps) {
  Layer l(8, 12, 20, 5, 2, false, 41);
  std::vector<int32_t> columns(l.k);
  std::vector<int32_t> previous;
  for (int32_t step = 0; step < 7; ++step) {
    // Each step's gradient favours features 3 * step .. 3 * step + 4 (mod 20).
    std::vector<float> dy = randomVector(l.n * l.out, 100 + step, 0.01f);
    for (int64_t i = 0; i < l.n; ++i)
      for (int64_t d = 0; d < l.k; ++d)
        dy[i * l.out + (3 * step + d) % l.out] *= 1000.0f;
    run(l, dy, columns, step, /*refresh=*/3);
    if (step % 3 == 0) {
      std::vector<int32_t> expected;
      for (int64_t d = 0; d < l.k; ++d)
        expected.push_back((3 * step + d) % l.out);
      std::sort(expected.begin(), expected.end());
      EXPECT_EQ(columns, expected) << "step " << step;
    } else {
      EXPECT_EQ(columns, previous) << "step " << step << " must keep the columns";
    }
    previous = columns;
  }
}

// Columns restored from a corrupt checkpoint (outside [0, out), or repeated) fail the step.
TEST(SampledLinearGradCpu, RefusesCorruptColumns) {
  Layer l(4, 6, 10, 3, 2, false, 51);
  std::vector<float> dy = randomVector(l.n * l.out, 2), dx(l.n * l.in), work = l.work();
  int32_t step = 1;
  for (std::vector<int32_t> columns : {std::vector<int32_t>{0, 1, 10}, {-1, 2, 3}, {2, 2, 3}})
    EXPECT_EQ(sampledLinearGrad(dx.data(), columns.data(), columns.data(), dy.data(), l.w.data(),
                                l.left.data(), l.right.data(), l.norms.data(), work.data(), l.n,
                                l.in, l.out, l.k, l.r, 200, 0, 0, &step),
              SLIMTUNE_KERNEL_INVALID_ARGUMENT);
}

SLIMTUNE_INSTANTIATE_BACKENDS(SampledLinearGrad);

} // namespace
