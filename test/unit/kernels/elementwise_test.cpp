// Elementwise kernels: add and mul (with the aliasing the ABI allows), fill_zero, copy_columns
// (slices and concatenations), SiLU and both GELU forms with their gradients: references
// against known values and finite differences, each backend's fast kernels against the
// references.
#include "kernels/backend_test.h"
#include "kernels/cpu/elementwise_reference.h"
#include "kernels/cpu/kernels.h"
#include "support/gradient_check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <vector>

using namespace slimtune::cpu;
using namespace slimtune::testing;

namespace {

// Sizes around the vector widths and the kernels' chunking; 100003 runs on several threads.
const std::vector<int64_t> kSizes = {1, 7, 33, 1000, 100003};

// Inputs for the activations: uniform on [-8, 8] plus the points where the approximations
// switch regime (0, tiny, the erf clamp at 4 * sqrt 2, the exp clamp at 87, far tails).
std::vector<float> activationInputs(int64_t n, uint64_t seed) {
  std::vector<float> x = randomVector(n, seed, 8.0f);
  const float special[] = {0.0f,  -0.0f, 1e-7f,  -1e-7f, 1e-3f, -1e-3f, 5.65f, -5.65f,
                           20.0f, -20.0f, 44.0f, -44.0f, 90.0f, -90.0f, 300.0f, -300.0f};
  size_t stride = std::max<size_t>(1, x.size() / std::size(special));
  for (size_t i = 0; i < std::size(special) && i * stride < x.size(); ++i)
    x[i * stride] = special[i];
  return x;
}

// max_i |got - want| / max(1, |want|): per element, relative for large values and absolute
// for small ones, so a wrong tail cannot hide behind the largest value.
double elementError(const std::vector<float> &got, const std::vector<float> &want) {
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    double diff = std::fabs(double(got[i]) - double(want[i]));
    worst = std::max(worst, diff / std::max(1.0, std::fabs(double(want[i]))));
    if (std::isnan(got[i]) != std::isnan(want[i]))
      return std::numeric_limits<double>::infinity();
  }
  return worst;
}

enum class Activation { Silu, GeluErf, GeluTanh };
const char *nameOf(Activation f) {
  return f == Activation::Silu ? "silu" : f == Activation::GeluErf ? "gelu(erf)" : "gelu(tanh)";
}

template <typename T>
void forwardReference(Activation f, T *y, const T *x, int64_t n) {
  if (f == Activation::Silu)
    reference::silu(y, x, n);
  else
    reference::gelu(y, x, n, f == Activation::GeluTanh);
}
template <typename T>
void backwardReference(Activation f, T *dx, const T *dy, const T *x, int64_t n) {
  if (f == Activation::Silu)
    reference::siluGrad(dx, dy, x, n);
  else
    reference::geluGrad(dx, dy, x, n, f == Activation::GeluTanh);
}
void forwardFast(const Backend &backend, Activation f, float *y, const float *x, int64_t n) {
  if (f == Activation::Silu)
    runKernel<SLIMTUNE_KERNEL_SILU>(backend, y, x, n);
  else
    runKernel<SLIMTUNE_KERNEL_GELU>(backend, y, x, n, f == Activation::GeluTanh);
}
void backwardFast(const Backend &backend, Activation f, float *dx, const float *dy, const float *x,
                  int64_t n) {
  if (f == Activation::Silu)
    runKernel<SLIMTUNE_KERNEL_SILU_GRAD>(backend, dx, dy, x, n);
  else
    runKernel<SLIMTUNE_KERNEL_GELU_GRAD>(backend, dx, dy, x, n, f == Activation::GeluTanh);
}

const Activation kActivations[] = {Activation::Silu, Activation::GeluErf, Activation::GeluTanh};

} // namespace

TEST(ElementwiseReference, KnownValues) {
  // From the definitions, in double (Python's math module).
  double x[] = {1.0, -2.0, -1.0}, y[3], dx[3], ones[3] = {1, 1, 1};
  reference::silu(y, x, 2);
  EXPECT_NEAR(y[0], 0.7310585786300049, 1e-15);
  EXPECT_NEAR(y[1], -0.2384058440442351, 1e-15);
  reference::gelu(y, x, 3, 0);
  EXPECT_NEAR(y[0], 0.8413447460685429, 1e-15);
  EXPECT_NEAR(y[2], -0.15865525393145707, 1e-15);
  reference::gelu(y, x, 3, 1);
  EXPECT_NEAR(y[0], 0.8411919906082768, 1e-15);
  EXPECT_NEAR(y[2], -0.15880800939172324, 1e-15);
  // Derivatives at 1 (central differences of the definitions, h = 1e-6).
  reference::siluGrad(dx, ones, x, 1);
  EXPECT_NEAR(dx[0], 0.9276705117966522, 1e-9);
  reference::geluGrad(dx, ones, x, 1, 0);
  EXPECT_NEAR(dx[0], 1.0833154705514048, 1e-9);
  reference::geluGrad(dx, ones, x, 1, 1);
  EXPECT_NEAR(dx[0], 1.0829640837983767, 1e-9);

  double a[] = {1, 2, 3}, b[] = {4, 5, 6}, c[3];
  reference::add(c, a, b, 3);
  EXPECT_EQ(c[2], 9);
  reference::mul(c, a, b, 3);
  EXPECT_EQ(c[2], 18);
}

class ElementwiseFast : public BackendTest {};
SLIMTUNE_INSTANTIATE_BACKENDS(ElementwiseFast);

// add and mul round once per element, as the reference does: exact equality, including when
// the output aliases one or both inputs.
TEST_P(ElementwiseFast, AddAndMulMatchReferenceAndAllowAliasing) {
  for (int64_t n : kSizes) {
    std::vector<float> a = randomVector(n, n), b = randomVector(n, n + 1);
    std::vector<float> sum(n), product(n);
    reference::add(sum.data(), a.data(), b.data(), n);
    reference::mul(product.data(), a.data(), b.data(), n);

    std::vector<float> y(n, 99.0f);
    run<SLIMTUNE_KERNEL_ADD>(y.data(), a.data(), b.data(), n);
    EXPECT_EQ(y, sum) << n;
    run<SLIMTUNE_KERNEL_MUL>(y.data(), a.data(), b.data(), n);
    EXPECT_EQ(y, product) << n;

    std::vector<float> ya = a, yb = b; // y aliases a, then b
    run<SLIMTUNE_KERNEL_ADD>(ya.data(), ya.data(), b.data(), n);
    run<SLIMTUNE_KERNEL_ADD>(yb.data(), a.data(), yb.data(), n);
    EXPECT_EQ(ya, sum) << n;
    EXPECT_EQ(yb, sum) << n;
    ya = a, yb = b;
    run<SLIMTUNE_KERNEL_MUL>(ya.data(), ya.data(), b.data(), n);
    run<SLIMTUNE_KERNEL_MUL>(yb.data(), a.data(), yb.data(), n);
    EXPECT_EQ(ya, product) << n;
    EXPECT_EQ(yb, product) << n;

    std::vector<float> twice(n), squares(n), all = a; // y aliases both
    reference::add(twice.data(), a.data(), a.data(), n);
    reference::mul(squares.data(), a.data(), a.data(), n);
    run<SLIMTUNE_KERNEL_ADD>(all.data(), all.data(), all.data(), n);
    EXPECT_EQ(all, twice) << n;
    all = a;
    run<SLIMTUNE_KERNEL_MUL>(all.data(), all.data(), all.data(), n);
    EXPECT_EQ(all, squares) << n;
  }
}

// scaled_add against the reference within one rounding of each term (the fast kernel may fuse a
// multiply-add), with the output aliasing an input; beta = 0 never reads b (a NaN there stays
// out); and the coupling's inverse (y - beta b) / alpha, as slim.scaled_add's reconstruction
// builds it, returns a to within the rounding 1/alpha amplifies.
TEST_P(ElementwiseFast, ScaledAddMatchesReferenceAndInverts) {
  for (int64_t n : kSizes) {
    std::vector<float> a = randomVector(n, n + 2), b = randomVector(n, n + 3);
    for (auto [alpha, beta] : {std::pair{0.1f, 1.0f}, {1.0f, 0.1f}, {0.5f, 0.5f}, {-2.0f, 0.25f}}) {
      std::vector<float> want(n), y(n, 99.0f);
      reference::scaledAdd(want.data(), a.data(), b.data(), n, alpha, beta);
      run<SLIMTUNE_KERNEL_SCALED_ADD>(y.data(), a.data(), b.data(), n, alpha, beta);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_NEAR(y[i], want[i], 4e-7f * (std::fabs(alpha * a[i]) + std::fabs(beta * b[i])))
            << n << " " << i;
      std::vector<float> aliased = b;
      run<SLIMTUNE_KERNEL_SCALED_ADD>(aliased.data(), a.data(), aliased.data(), n, alpha, beta);
      EXPECT_EQ(aliased, y) << n;

      std::vector<float> back(n);
      run<SLIMTUNE_KERNEL_SCALED_ADD>(back.data(), y.data(), b.data(), n, 1.0f / alpha,
                                      -beta / alpha);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_NEAR(back[i], a[i], 1e-6f * (std::fabs(a[i]) + std::fabs(beta * b[i] / alpha)))
            << n << " " << i;
    }
    std::vector<float> nan(n, std::numeric_limits<float>::quiet_NaN()), y(n);
    run<SLIMTUNE_KERNEL_SCALED_ADD>(y.data(), a.data(), nan.data(), n, 0.25f, 0.0f);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(y[i], 0.25f * a[i]) << n << " " << i;
  }
}

// fill_zero clears exactly `bytes` bytes, any count, and not one more.
TEST_P(ElementwiseFast, FillZeroClearsExactlyTheBytes) {
  for (int64_t bytes : {0, 1, 37, 4096, 1000003}) {
    std::vector<unsigned char> buffer(bytes + 64, 0xab), want(bytes + 64, 0xab);
    reference::fillZero(want.data(), bytes);
    run<SLIMTUNE_KERNEL_FILL_ZERO>(buffer.data(), bytes);
    EXPECT_EQ(buffer, want) << bytes;
    for (int64_t i = 0; i < bytes; ++i)
      ASSERT_EQ(buffer[i], 0) << i;
    EXPECT_EQ(buffer[bytes], 0xab);
  }
}

// Slicing: the middle columns [3, 7) of a [rows, 10] matrix. Concatenation: [rows, 3] and
// [rows, 5] side by side into [rows, 8]. Columns outside the copied range keep their values.
TEST_P(ElementwiseFast, CopyColumnsSlicesAndConcatenates) {
  for (int64_t rows : {1, 7, 5000}) { // 5000 x 4 runs on several threads
    std::vector<float> src(rows * 10);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < 10; ++j)
        src[r * 10 + j] = static_cast<float>(r * 100 + j);

    std::vector<float> slice(rows * 4, -1.0f), sliceRef(rows * 4, -1.0f);
    run<SLIMTUNE_KERNEL_COPY_COLUMNS>(slice.data(), src.data(), rows, 10, 4, 3, 0, 4);
    reference::copyColumns(sliceRef.data(), src.data(), rows, 10, 4, 3, 0, 4);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < 4; ++j)
        ASSERT_EQ(slice[r * 4 + j], static_cast<float>(r * 100 + 3 + j)) << r << " " << j;
    EXPECT_EQ(slice, sliceRef);

    std::vector<float> left(rows * 3), right(rows * 5);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < 3; ++j)
        left[r * 3 + j] = static_cast<float>(r * 100 + j);
      for (int64_t j = 0; j < 5; ++j)
        right[r * 5 + j] = static_cast<float>(-(r * 100 + j));
    }
    std::vector<float> joined(rows * 8, 7.0f), joinedRef(rows * 8, 7.0f);
    run<SLIMTUNE_KERNEL_COPY_COLUMNS>(joined.data(), left.data(), rows, 3, 8, 0, 0, 3);
    run<SLIMTUNE_KERNEL_COPY_COLUMNS>(joined.data(), right.data(), rows, 5, 8, 0, 3, 5);
    reference::copyColumns(joinedRef.data(), left.data(), rows, 3, 8, 0, 0, 3);
    reference::copyColumns(joinedRef.data(), right.data(), rows, 5, 8, 0, 3, 5);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < 8; ++j)
        ASSERT_EQ(joined[r * 8 + j], j < 3 ? left[r * 3 + j] : right[r * 5 + j - 3]) << r << j;
    EXPECT_EQ(joined, joinedRef);

    // A slice written into the middle of a wider destination leaves the other columns alone.
    std::vector<float> wide(rows * 6, 7.0f);
    run<SLIMTUNE_KERNEL_COPY_COLUMNS>(wide.data(), src.data(), rows, 10, 6, 8, 2, 2);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < 6; ++j)
        ASSERT_EQ(wide[r * 6 + j], j == 2 || j == 3 ? src[r * 10 + 6 + j] : 7.0f) << r << j;
  }
}

// Fast activations and their gradients (vectorized exp/erf approximations) against the
// reference<float> (libm). Tolerance: |got - want| <= 3e-6 max(1, |want|) for every element,
// stricter than 1e-5 relative to the largest value. Observed: up to 1.2e-6 for erf GELU (the
// erf approximation's 5e-7 times |x| / 2), 2.4e-7 for the others; the gradients up to 1.1e-6.
TEST_P(ElementwiseFast, ActivationsMatchReference) {
  uint64_t seed = 1;
  for (Activation f : kActivations)
    for (int64_t n : kSizes) {
      std::vector<float> x = activationInputs(n, seed++), dy = randomVector(n, seed++);
      std::vector<float> want(n), got(n, 99.0f);
      forwardReference(f, want.data(), x.data(), n);
      forwardFast(backend(), f, got.data(), x.data(), n);
      EXPECT_LT(elementError(got, want), 3e-6) << nameOf(f) << " n " << n;

      std::vector<float> dxWant(n), dxGot(n, 99.0f);
      backwardReference(f, dxWant.data(), dy.data(), x.data(), n);
      backwardFast(backend(), f, dxGot.data(), dy.data(), x.data(), n);
      EXPECT_LT(elementError(dxGot, dxWant), 3e-6) << nameOf(f) << " grad n " << n;
    }
}

// A NaN input gives a NaN output (a diverging run must not be masked by the clamps).
TEST_P(ElementwiseFast, ActivationsPropagateNaN) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> x = {nan, -nan, 1.0f}, dy = {1.0f, 1.0f, 1.0f}, y(3);
  for (Activation f : kActivations) {
    forwardFast(backend(), f, y.data(), x.data(), 3);
    EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[1])) << nameOf(f);
    EXPECT_FALSE(std::isnan(y[2])) << nameOf(f);
    backwardFast(backend(), f, y.data(), dy.data(), x.data(), 3);
    EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[1])) << nameOf(f) << " grad";
  }
}

// The gradients are those of dot(activation(x), w) with dy = w, by central differences of the
// double reference forward: reference<double> within 1e-6 and fast fp32 within 1e-5, relative
// to the largest gradient (truncation error of the differences ~h^2 f''' = 1e-10).
TEST_P(ElementwiseFast, GradientMatchesFiniteDifferences) {
  uint64_t seed = 50;
  for (Activation f : kActivations) {
    const int64_t n = 97;
    std::vector<float> x = activationInputs(n, seed++), w = randomVector(n, seed++);
    std::vector<double> xD = toDouble(x), wD = toDouble(w);
    std::vector<double> fd = finiteDifference(
        [&](const std::vector<double> &v) {
          std::vector<double> y(n);
          forwardReference(f, y.data(), v.data(), n);
          return dot(y, w);
        },
        xD);
    std::vector<double> dx(n);
    backwardReference(f, dx.data(), wD.data(), xD.data(), n);
    EXPECT_LT(relativeError(dx, fd), 1e-6) << nameOf(f);

    std::vector<float> dxFast(n);
    backwardFast(backend(), f, dxFast.data(), w.data(), x.data(), n);
    EXPECT_LT(relativeError(dxFast, fd), 1e-5) << nameOf(f);
  }
}
