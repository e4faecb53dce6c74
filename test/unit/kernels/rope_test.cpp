// Rotary position embedding: known rotations, the inverse as exact inverse and as transpose
// (the gradient, checked by central finite differences in double), each backend's fast kernel
// against the reference, in-place use, and accuracy at long positions.
#include "kernels/backend_test.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/rope_reference.h"
#include "support/gradient_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace slimtune::cpu;
using namespace slimtune::testing;

namespace {

constexpr float kTheta = 10000.0f;

struct Shape {
  int64_t b, t, heads, headDim;
  int64_t channels() const { return heads * headDim; }
  int64_t size() const { return b * t * channels(); }
};

const Shape kShapes[] = {{2, 1, 4, 8},  {2, 5, 4, 8}, {1, 37, 9, 64}, {3, 37, 3, 64},
                         {1, 13, 2, 2}, {2, 7, 5, 6}, {1, 3, 1, 520}};

std::vector<float> fastRope(const Backend &backend, const Shape &s, const std::vector<float> &x,
                            bool inverse) {
  std::vector<float> y(x.size(), std::numeric_limits<float>::quiet_NaN());
  runKernel<SLIMTUNE_KERNEL_ROPE>(backend, y.data(), x.data(), s.b, s.t, s.channels(), s.headDim,
                                  kTheta, inverse);
  return y;
}

template <typename T>
std::vector<T> referenceRope(const Shape &s, const std::vector<T> &x, bool inverse) {
  std::vector<T> y(x.size());
  reference::rope<T>(y.data(), x.data(), s.b, s.t, s.channels(), s.headDim, kTheta, inverse);
  return y;
}

} // namespace

// head_dim 2: one pair per head rotated by pos * theta^0 = pos radians; position 0 is the
// identity; with head_dim 4 the second pair turns by pos / sqrt(theta).
TEST(RopeReference, KnownRotations) {
  const Shape s{1, 3, 1, 2};
  std::vector<double> x = {1, 0, 1, 0, 0.5, 2}, y = referenceRope<double>(s, x, false);
  EXPECT_DOUBLE_EQ(y[0], 1);
  EXPECT_DOUBLE_EQ(y[1], 0);
  EXPECT_NEAR(y[2], std::cos(1.0), 1e-15);
  EXPECT_NEAR(y[3], std::sin(1.0), 1e-15);
  EXPECT_NEAR(y[4], 0.5 * std::cos(2.0) - 2 * std::sin(2.0), 1e-15);
  EXPECT_NEAR(y[5], 2 * std::cos(2.0) + 0.5 * std::sin(2.0), 1e-15);

  const Shape s4{1, 2, 1, 4};
  std::vector<double> x4 = {0, 0, 0, 0, 1, 1, 0, 0}, y4 = referenceRope<double>(s4, x4, false);
  EXPECT_NEAR(y4[4], std::cos(1.0), 1e-15); // pair 0, angle 1
  EXPECT_NEAR(y4[6], std::sin(1.0), 1e-15);
  EXPECT_NEAR(y4[5], std::cos(1.0 / std::sqrt(1e4)), 1e-15); // pair 1, angle 1 / 100
  EXPECT_NEAR(y4[7], std::sin(1.0 / std::sqrt(1e4)), 1e-15);
}

// The inverse undoes the rotation (1e-14 in double) and is its transpose: the gradient of
// dot(rope(x), w) is rope_inverse(w), checked against central differences (1e-8 relative).
TEST(RopeReference, InverseIsInverseAndTranspose) {
  for (const Shape &s : {Shape{2, 5, 4, 8}, Shape{1, 6, 2, 6}}) {
    std::vector<double> x = toDouble(randomVector(s.size(), 3));
    EXPECT_LT(relativeError(referenceRope<double>(s, referenceRope<double>(s, x, false), true), x),
              1e-14);
    std::vector<float> w = randomVector(s.size(), 4);
    std::vector<double> fd = finiteDifference(
        [&](const std::vector<double> &v) { return dot(referenceRope<double>(s, v, false), w); },
        x);
    EXPECT_LT(relativeError(referenceRope<double>(s, toDouble(w), true), fd), 1e-8);
    // And the forward is the gradient of the inverse.
    std::vector<double> fdInverse = finiteDifference(
        [&](const std::vector<double> &v) { return dot(referenceRope<double>(s, v, true), w); }, x);
    EXPECT_LT(relativeError(referenceRope<double>(s, toDouble(w), false), fdInverse), 1e-8);
  }
}

class RopeFast : public BackendTest {};
SLIMTUNE_INSTANTIATE_BACKENDS(RopeFast);

// Fast against the fp32 reference: the same angles (double), cosines and sines rounded to
// fp32 and the same two products per output, possibly fused into an FMA: 1e-6 relative
// (measured ~1e-7).
TEST_P(RopeFast, MatchesReference) {
  for (const Shape &s : kShapes)
    for (bool inverse : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "t " << s.t << " heads " << s.heads << " head_dim "
                                        << s.headDim << " inverse " << inverse);
      std::vector<float> x = randomVector(s.size(), 5);
      EXPECT_LT(
          relativeError(fastRope(backend(), s, x, inverse), referenceRope<float>(s, x, inverse)),
          1e-6);
    }
}

// The fast inverse undoes the fast forward (fp32: 1e-6), and the fast inverse applied to w
// is the double finite-difference gradient of dot(rope(x), w) (1e-6).
TEST_P(RopeFast, InverseIsInverseAndTranspose) {
  for (const Shape &s : {Shape{2, 5, 4, 8}, Shape{1, 37, 3, 64}}) {
    std::vector<float> x = randomVector(s.size(), 6), w = randomVector(s.size(), 7);
    EXPECT_LT(relativeError(fastRope(backend(), s, fastRope(backend(), s, x, false), true), x),
              1e-6);
    std::vector<double> fd = finiteDifference(
        [&](const std::vector<double> &v) { return dot(referenceRope<double>(s, v, false), w); },
        toDouble(x));
    EXPECT_LT(relativeError(fastRope(backend(), s, w, true), fd), 1e-6);
  }
}

// y may alias x.
TEST_P(RopeFast, InPlaceEqualsOutOfPlace) {
  const Shape s{2, 37, 9, 64};
  std::vector<float> x = randomVector(s.size(), 8), inPlace = x;
  run<SLIMTUNE_KERNEL_ROPE>(inPlace.data(), inPlace.data(), s.b, s.t, s.channels(), s.headDim,
                            kTheta, 0);
  EXPECT_EQ(inPlace, fastRope(backend(), s, x, false));
  run<SLIMTUNE_KERNEL_ROPE>(inPlace.data(), inPlace.data(), s.b, s.t, s.channels(), s.headDim,
                            kTheta, 1);
  EXPECT_LT(relativeError(inPlace, x), 1e-6);
}

// At positions up to 16383 the angles (up to 16383 rad) are computed in double: the fast
// kernel matches the double reference to 1e-6 relative. (Angles from an fp32 position times
// an fp32 frequency would be off by up to ~1e-3 rad there.)
TEST_P(RopeFast, LongSequencesStayAccurate) {
  const Shape s{1, 16384, 1, 8};
  std::vector<float> x = randomVector(s.size(), 9);
  EXPECT_LT(
      relativeError(fastRope(backend(), s, x, false), referenceRope<double>(s, toDouble(x), false)),
      1e-6);
}
