// RMSNorm and LayerNorm: the references' gradients against central finite differences in
// double; each backend's fast kernels against the references in fp32 and against the finite
// differences; precision of the statistics on rows with a large common offset.
#include "kernels/backend_test.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/norms_reference.h"
#include "support/gradient_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace slimtune::cpu;
using namespace slimtune::testing;

namespace {

constexpr float kEps = 1e-5f;

struct Case {
  int64_t n, c;
  bool scale, shift;
};

// Row sizes: 1, odd, not multiples of 8, and SmolLM2's 576.
const Case kCases[] = {{1, 1, true, true},    {3, 5, true, false},  {7, 37, false, true},
                       {5, 37, false, false}, {9, 576, true, true}, {2, 1027, true, false},
                       {40, 96, true, true}};

struct Data {
  std::vector<float> x, dy, scale, shift;
};

Data randomData(const Case &k, uint64_t seed) {
  Data d{randomVector(k.n * k.c, seed, 2.0f), randomVector(k.n * k.c, seed + 1),
         randomVector(k.c, seed + 2, 0.5f), randomVector(k.c, seed + 3)};
  for (float &s : d.scale)
    s += 1.0f; // scales in [0.5, 1.5)
  return d;
}

template <typename T> std::vector<T> cast(const std::vector<float> &v) {
  return std::vector<T>(v.begin(), v.end());
}

template <typename T> const T *optional(const std::vector<T> &v, bool present) {
  return present ? v.data() : nullptr;
}

enum class Norm { Rms, Layer };

// The reference forward in precision T.
template <typename T>
std::vector<T> referenceForward(Norm norm, const Case &k, const std::vector<T> &x, const Data &d) {
  std::vector<T> y(x.size()), scale = cast<T>(d.scale), shift = cast<T>(d.shift);
  if (norm == Norm::Rms)
    reference::rmsNorm<T>(y.data(), x.data(), optional(scale, k.scale), k.n, k.c, T(kEps));
  else
    reference::layerNorm<T>(y.data(), x.data(), optional(scale, k.scale), optional(shift, k.shift),
                            k.n, k.c, T(kEps));
  return y;
}

template <typename T> std::vector<T> referenceBackward(Norm norm, const Case &k, const Data &d) {
  std::vector<T> dx(d.x.size()), x = cast<T>(d.x), dy = cast<T>(d.dy), scale = cast<T>(d.scale);
  if (norm == Norm::Rms)
    reference::rmsNormGrad<T>(dx.data(), dy.data(), x.data(), optional(scale, k.scale), k.n, k.c,
                              T(kEps));
  else
    reference::layerNormGrad<T>(dx.data(), dy.data(), x.data(), optional(scale, k.scale), k.n, k.c,
                                T(kEps));
  return dx;
}

std::vector<float> fastForward(const Backend &backend, Norm norm, const Case &k, const Data &d) {
  std::vector<float> y(d.x.size(), std::numeric_limits<float>::quiet_NaN());
  if (norm == Norm::Rms)
    runKernel<SLIMTUNE_KERNEL_RMS_NORM>(backend, y.data(), d.x.data(), optional(d.scale, k.scale),
                                        k.n, k.c, kEps);
  else
    runKernel<SLIMTUNE_KERNEL_LAYER_NORM>(backend, y.data(), d.x.data(), optional(d.scale, k.scale),
                                          optional(d.shift, k.shift), k.n, k.c, kEps);
  return y;
}

std::vector<float> fastBackward(const Backend &backend, Norm norm, const Case &k, const Data &d) {
  std::vector<float> dx(d.x.size(), std::numeric_limits<float>::quiet_NaN());
  if (norm == Norm::Rms)
    runKernel<SLIMTUNE_KERNEL_RMS_NORM_GRAD>(backend, dx.data(), d.dy.data(), d.x.data(),
                                             optional(d.scale, k.scale), k.n, k.c, kEps);
  else
    runKernel<SLIMTUNE_KERNEL_LAYER_NORM_GRAD>(backend, dx.data(), d.dy.data(), d.x.data(),
                                               optional(d.scale, k.scale), k.n, k.c, kEps);
  return dx;
}

// d/dx of dot(y(x), dy) by central differences of the double reference.
std::vector<double> finiteDifferences(Norm norm, const Case &k, const Data &d) {
  return finiteDifference(
      [&](const std::vector<double> &x) {
        return dot(referenceForward<double>(norm, k, x, d), d.dy);
      },
      toDouble(d.x));
}

const char *nameOf(Norm norm) { return norm == Norm::Rms ? "rms" : "layer"; }

} // namespace

// In double the reference gradients match central differences (h = 1e-5) to 1e-7 relative to
// the largest entry (measured: < 3e-9).
TEST(NormReference, GradientsMatchFiniteDifferences) {
  for (Norm norm : {Norm::Rms, Norm::Layer})
    for (const Case &k : {Case{3, 5, true, true}, Case{2, 11, false, false},
                          Case{4, 37, true, false}, Case{2, 1, true, true}}) {
      SCOPED_TRACE(::testing::Message()
                   << nameOf(norm) << " n " << k.n << " c " << k.c << " scale " << k.scale);
      Data d = randomData(k, 3);
      EXPECT_LT(relativeError(referenceBackward<double>(norm, k, d), finiteDifferences(norm, k, d)),
                1e-7);
    }
}

// Known values: RMSNorm of (3, 4) is (3, 4) / sqrt(12.5 + eps); LayerNorm of (1, 2, 3) is
// (-1, 0, 1) / sqrt(2/3 + eps) (the biased variance), times scale, plus shift.
TEST(NormReference, KnownValues) {
  const double x[] = {3, 4}, scale[] = {2, 1};
  double y[2];
  reference::rmsNorm<double>(y, x, scale, 1, 2, 0.0);
  EXPECT_DOUBLE_EQ(y[0], 2 * 3 / std::sqrt(12.5));
  EXPECT_DOUBLE_EQ(y[1], 4 / std::sqrt(12.5));
  const double x3[] = {1, 2, 3}, shift[] = {0.5, 0.5, 0.5};
  double y3[3];
  reference::layerNorm<double>(y3, x3, nullptr, shift, 1, 3, 0.0);
  EXPECT_DOUBLE_EQ(y3[0], 0.5 - 1 / std::sqrt(2.0 / 3));
  EXPECT_DOUBLE_EQ(y3[1], 0.5);
  EXPECT_DOUBLE_EQ(y3[2], 0.5 + 1 / std::sqrt(2.0 / 3));
}

class NormFast : public BackendTest {};
SLIMTUNE_INSTANTIATE_BACKENDS(NormFast);

// Fast (fp32, statistics in double) against the fp32 reference (statistics in fp32): the
// difference is the reference's rounding, ~1e-7 per operation: 2e-6 relative to the largest
// entry for the forward, 1e-5 for the gradients (they subtract nearly equal terms). The fast
// gradients also match the double reference on the same inputs to 1e-6, including with one
// channel, where RMSNorm's gradient is all cancellation (r g eps / (x^2 + eps)) and the fp32
// reference has no correct digit.
TEST_P(NormFast, MatchesReference) {
  for (Norm norm : {Norm::Rms, Norm::Layer})
    for (const Case &k : kCases) {
      SCOPED_TRACE(::testing::Message() << nameOf(norm) << " n " << k.n << " c " << k.c << " scale "
                                        << k.scale << " shift " << k.shift);
      Data d = randomData(k, 5);
      EXPECT_LT(relativeError(fastForward(backend(), norm, k, d),
                              referenceForward<float>(norm, k, d.x, d)),
                2e-6);
      std::vector<float> dx = fastBackward(backend(), norm, k, d);
      if (k.c > 1)
        EXPECT_LT(relativeError(dx, referenceBackward<float>(norm, k, d)), 1e-5);
      EXPECT_LT(relativeError(dx, referenceBackward<double>(norm, k, d)), 1e-6);
    }
}

// The fast fp32 gradients against double central differences: 1e-5 relative.
TEST_P(NormFast, GradientsMatchFiniteDifferences) {
  for (Norm norm : {Norm::Rms, Norm::Layer})
    for (const Case &k :
         {Case{3, 5, true, true}, Case{2, 37, false, false}, Case{2, 64, true, false}}) {
      SCOPED_TRACE(::testing::Message()
                   << nameOf(norm) << " n " << k.n << " c " << k.c << " scale " << k.scale);
      Data d = randomData(k, 7);
      EXPECT_LT(relativeError(fastBackward(backend(), norm, k, d), finiteDifferences(norm, k, d)),
                1e-5);
    }
}

// Rows 1000 + noise of 1e-2: fp32 sums of x^2 or x lose the noise, a one-pass E[x^2] - E[x]^2
// cancels catastrophically. The fast kernels (double statistics, two-pass variance) match the
// double reference on the same fp32 inputs to 1e-5 relative.
TEST_P(NormFast, LargeOffsetRowsKeepPrecision) {
  const Case k{4, 576, true, true};
  Data d = randomData(k, 9);
  for (float &x : d.x)
    x = 1000.0f + 0.01f * x;
  for (Norm norm : {Norm::Rms, Norm::Layer}) {
    SCOPED_TRACE(nameOf(norm));
    EXPECT_LT(relativeError(fastForward(backend(), norm, k, d),
                            referenceForward<double>(norm, k, toDouble(d.x), d)),
              1e-5);
    EXPECT_LT(
        relativeError(fastBackward(backend(), norm, k, d), referenceBackward<double>(norm, k, d)),
        1e-5);
  }
}

// Large n (several parallel chunks): every row normalized like a single-row call.
TEST_P(NormFast, ParallelRowsEqualSingleRows) {
  const Case k{300, 200, true, true};
  Data d = randomData(k, 13);
  for (Norm norm : {Norm::Rms, Norm::Layer}) {
    std::vector<float> all = fastForward(backend(), norm, k, d),
                       allGrad = fastBackward(backend(), norm, k, d);
    for (int64_t i = 0; i < k.n; i += 37) {
      Case one{1, k.c, true, true};
      Data row{std::vector<float>(d.x.begin() + i * k.c, d.x.begin() + (i + 1) * k.c),
               std::vector<float>(d.dy.begin() + i * k.c, d.dy.begin() + (i + 1) * k.c), d.scale,
               d.shift};
      std::vector<float> y = fastForward(backend(), norm, one, row),
                         dx = fastBackward(backend(), norm, one, row);
      for (int64_t j = 0; j < k.c; ++j) {
        ASSERT_EQ(all[i * k.c + j], y[j]) << nameOf(norm) << " row " << i;
        ASSERT_EQ(allGrad[i * k.c + j], dx[j]) << nameOf(norm) << " row " << i;
      }
    }
  }
}
