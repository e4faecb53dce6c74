// GEMM: the dispatch and both libraries against the plain triple loop in double precision, for
// every transpose combination, padded leading dimensions, alpha/beta, skinny LoRA shapes and
// square-ish ones.
#include "kernels/backends.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/kernels.h"
#include "support/gradient_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

using namespace slimtune::cpu;
using slimtune::testing::randomVector;
using slimtune::testing::relativeError;
using slimtune::testing::toDouble;

namespace {

using GemmFunction = std::function<int32_t(bool, bool, int64_t, int64_t, int64_t, float,
                                        const float *, int64_t, const float *, int64_t, float,
                                        float *, int64_t)>;

struct Shape {
  int64_t m, n, k;
};

// Runs `gemm` on random operands stored with padded leading dimensions (+3 columns) and
// compares C with gemmReference<double>. Tolerance: 1e-5 relative to the largest |C| value,
// the fp32 rounding of a length-k dot product (k <= 700 here) with blocked accumulation.
void expectMatchesReference(const GemmFunction &gemmFunction, bool transA, bool transB,
                            Shape s, float alpha, float beta, uint64_t seed) {
  int64_t rowsA = transA ? s.k : s.m, colsA = transA ? s.m : s.k;
  int64_t rowsB = transB ? s.n : s.k, colsB = transB ? s.k : s.n;
  int64_t lda = colsA + 3, ldb = colsB + 3, ldc = s.n + 3;
  std::vector<float> a = randomVector(rowsA * lda, seed);
  std::vector<float> b = randomVector(rowsB * ldb, seed + 1);
  std::vector<float> c = randomVector(s.m * ldc, seed + 2);

  std::vector<double> want = toDouble(c);
  gemmReference<double>(transA, transB, s.m, s.n, s.k, alpha, toDouble(a).data(), lda,
                        toDouble(b).data(), ldb, beta, want.data(), ldc);
  ASSERT_EQ(gemmFunction(transA, transB, s.m, s.n, s.k, alpha, a.data(), lda, b.data(), ldb, beta,
                         c.data(), ldc),
            SLIMTUNE_KERNEL_OK);

  EXPECT_LT(relativeError(c, want), 1e-5)
      << "transA " << transA << " transB " << transB << " m " << s.m << " n " << s.n << " k "
      << s.k << " alpha " << alpha << " beta " << beta;
  // The padding columns of C are not part of the product and must be left alone.
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = s.n; j < ldc; ++j)
      ASSERT_EQ(c[i * ldc + j], static_cast<float>(want[i * ldc + j])) << i << " " << j;
}

const std::vector<Shape> kShapes = {
    {1, 1, 1},     {7, 5, 3},    {33, 16, 577}, // LoRA down-projection shape (M x r x K)
    {33, 577, 16}, {16, 577, 33}, // LoRA up-projection and dA shapes
    {65, 97, 129}, {130, 67, 71}, // no dimension below 64
};

void checkAllCases(const GemmFunction &gemmFunction) {
  uint64_t seed = 1;
  for (const Shape &s : kShapes)
    for (bool transA : {false, true})
      for (bool transB : {false, true}) {
        expectMatchesReference(gemmFunction, transA, transB, s, 1.0f, 0.0f, seed++);
        expectMatchesReference(gemmFunction, transA, transB, s, -0.75f, 0.5f, seed++);
      }
}

} // namespace

TEST(GemmReference, SmallKnownProduct) {
  // [1 2 3; 4 5 6] [1 0; 0 1; 1 1] = [4 5; 10 11]; with beta = 1 over C = 1.
  std::vector<double> a = {1, 2, 3, 4, 5, 6}, b = {1, 0, 0, 1, 1, 1}, c = {1, 1, 1, 1};
  gemmReference<double>(false, false, 2, 2, 3, 1.0, a.data(), 3, b.data(), 2, 1.0, c.data(), 2);
  EXPECT_EQ(c, (std::vector<double>{5, 6, 11, 12}));
  // A^T with A stored [3, 2]: the same product.
  std::vector<double> at = {1, 4, 2, 5, 3, 6}, d(4);
  gemmReference<double>(true, false, 2, 2, 3, 2.0, at.data(), 2, b.data(), 2, 0.0, d.data(), 2);
  EXPECT_EQ(d, (std::vector<double>{8, 10, 20, 22}));
}

TEST(Gemm, DispatchMatchesReference) { checkAllCases(gemm); }
TEST(Gemm, OpenBlasMatchesReference) { checkAllCases(gemmOpenBlas); }
TEST(Gemm, OneDnnMatchesReference) { checkAllCases(gemmOneDnn); }

// beta = 0 must ignore C entirely, NaN included (C is often uninitialized arena memory).
TEST(Gemm, BetaZeroIgnoresGarbageInC) {
  for (Shape s : {Shape{9, 16, 40}, Shape{70, 80, 90}}) {
    std::vector<float> a = randomVector(s.m * s.k, 3), b = randomVector(s.k * s.n, 4);
    std::vector<float> c(s.m * s.n, std::numeric_limits<float>::quiet_NaN());
    ASSERT_EQ(gemm(false, false, s.m, s.n, s.k, 1.0f, a.data(), s.k, b.data(), s.n, 0.0f, c.data(),
                   s.n),
              SLIMTUNE_KERNEL_OK);
    for (float v : c)
      ASSERT_FALSE(std::isnan(v));
  }
}

// k = 0: the product is empty, so C = beta C (zero for beta = 0, whatever C held).
TEST(Gemm, EmptyInnerDimensionScalesC) {
  std::vector<float> c = {1, 2, 3, 4, 5, 6};
  ASSERT_EQ(gemm(false, false, 2, 3, 0, 1.0f, nullptr, 0, nullptr, 3, 2.0f, c.data(), 3),
            SLIMTUNE_KERNEL_OK);
  EXPECT_EQ(c, (std::vector<float>{2, 4, 6, 8, 10, 12}));
  std::vector<float> d(6, std::numeric_limits<float>::quiet_NaN());
  ASSERT_EQ(gemm(false, true, 2, 3, 0, 1.0f, nullptr, 0, nullptr, 0, 0.0f, d.data(), 3),
            SLIMTUNE_KERNEL_OK);
  EXPECT_EQ(d, std::vector<float>(6, 0.0f));
}

// A product the library refuses (a leading dimension shorter than a row) is a status, not a
// silent wrong result, and the kernels built on gemm pass it on to the step through the table.
TEST(Gemm, RefusedProductIsAStatus) {
  std::vector<float> a(8, 1.0f), b(8, 1.0f), c(4, 0.0f);
  EXPECT_EQ(gemm(false, false, 2, 2, 4, 1.0f, a.data(), /*lda=*/1, b.data(), 2, 0.0f, c.data(), 2),
            SLIMTUNE_KERNEL_INVALID_ARGUMENT);
  const slimtune::kernels::Backend cpu{"cpu", kernelTable(), nullptr};
  EXPECT_EQ(slimtune::kernels::call<SLIMTUNE_KERNEL_LINEAR>(cpu, c.data(), a.data(), b.data(), nullptr,
                                                            /*n=*/-1, 4, 2, 0),
            SLIMTUNE_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(slimtune::kernels::call<SLIMTUNE_KERNEL_LINEAR>(cpu, c.data(), a.data(), b.data(), nullptr,
                                                            2, 4, 1, 0),
            SLIMTUNE_KERNEL_OK);
}
