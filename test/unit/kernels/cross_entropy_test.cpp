// Mean cross-entropy: known values, the reference gradient against central finite differences
// in double, each backend's fast kernel (on the CPU: AVX2 exponential and libm's) against the
// reference and the finite differences, ignored rows, an all-ignored batch, dlogits aliasing
// logits, large logits.
#include "kernels/backend_test.h"
#include "kernels/cpu/cross_entropy_reference.h"
#include "kernels/cpu/kernels.h"
#include "support/gradient_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace slimtune::cpu;
using namespace slimtune::testing;

namespace {

constexpr int32_t kIgnore = -100;

struct Problem {
  int64_t n, vocab;
  std::vector<float> logits;
  std::vector<int32_t> targets;
};

// Targets spread over the vocabulary (first and last ids included); every `ignoreEvery`-th row
// ignored (0: none).
Problem randomProblem(int64_t n, int64_t vocab, uint64_t seed, int ignoreEvery,
                      float amplitude = 4.0f) {
  Problem p{n, vocab, randomVector(n * vocab, seed, amplitude), std::vector<int32_t>(n)};
  for (int64_t i = 0; i < n; ++i) {
    p.targets[i] = static_cast<int32_t>((i * 7919 + seed) % vocab);
    if (i == 0)
      p.targets[i] = 0;
    if (i == 1)
      p.targets[i] = static_cast<int32_t>(vocab - 1);
    if (ignoreEvery > 0 && i % ignoreEvery == ignoreEvery - 1)
      p.targets[i] = kIgnore;
  }
  return p;
}

struct Result {
  float loss;
  std::vector<float> dlogits;
};

Result fast(const Backend &backend, const Problem &p) {
  Result r{std::numeric_limits<float>::quiet_NaN(),
           std::vector<float>(p.logits.size(), std::numeric_limits<float>::quiet_NaN())};
  runKernel<SLIMTUNE_KERNEL_CROSS_ENTROPY>(backend, &r.loss, r.dlogits.data(), p.logits.data(),
                                           p.targets.data(), p.n, p.vocab, kIgnore);
  return r;
}

template <typename T>
std::pair<T, std::vector<T>> referenceRun(const Problem &p, const std::vector<T> &logits) {
  T loss;
  std::vector<T> dlogits(logits.size());
  reference::crossEntropy<T>(&loss, dlogits.data(), logits.data(), p.targets.data(), p.n, p.vocab,
                             kIgnore);
  return {loss, dlogits};
}

template <typename T> std::vector<T> cast(const std::vector<float> &v) {
  return std::vector<T>(v.begin(), v.end());
}

std::vector<double> finiteDifferences(const Problem &p) {
  return finiteDifference(
      [&](const std::vector<double> &x) { return referenceRun<double>(p, x).first; },
      toDouble(p.logits));
}

// Restores the AVX2 exponential when a test ends.
struct SimdScope {
  explicit SimdScope(bool enabled) { setCrossEntropySimd(enabled); }
  ~SimdScope() { setCrossEntropySimd(true); }
};

} // namespace

// Equal logits: loss log(vocab), dlogits (1/vocab - onehot) / count.
TEST(CrossEntropyReference, KnownValues) {
  const std::vector<double> logits(2 * 4, 3.0);
  const int32_t targets[] = {1, 2};
  double loss, dlogits[8];
  reference::crossEntropy<double>(&loss, dlogits, logits.data(), targets, 2, 4, kIgnore);
  EXPECT_NEAR(loss, std::log(4.0), 1e-15);
  EXPECT_NEAR(dlogits[1], (0.25 - 1) / 2, 1e-15);
  EXPECT_NEAR(dlogits[0], 0.25 / 2, 1e-15);
  EXPECT_NEAR(dlogits[6], (0.25 - 1) / 2, 1e-15);
}

// dlogits is the gradient of the loss: double central differences, 1e-8 relative (the
// finite differences also see that ignored rows do not contribute and that the mean divides
// by the number of counted rows).
TEST(CrossEntropyReference, GradientMatchesFiniteDifferences) {
  for (int ignoreEvery : {0, 3}) {
    Problem p = randomProblem(5, 11, 1, ignoreEvery);
    EXPECT_LT(
        relativeError(referenceRun<double>(p, toDouble(p.logits)).second, finiteDifferences(p)),
        1e-8);
  }
}

class CrossEntropyFast : public BackendTest {};
SLIMTUNE_INSTANTIATE_BACKENDS(CrossEntropyFast);

// Fast (fp32, sums in double, AVX2 or libm exponentials) against the fp32 reference (fp32
// sums): loss to 1e-6 relative, dlogits to 1e-6 relative to the largest entry (measured
// ~1e-7); n and vocab not multiples of 8, SmolLM2's vocabulary included.
TEST_P(CrossEntropyFast, MatchesReference) {
  for (bool simd : {true, false})
    for (auto [n, vocab] : {std::pair<int64_t, int64_t>{1, 1}, {3, 5}, {37, 1001}, {9, 49152}}) {
      SCOPED_TRACE(::testing::Message()
                   << "n " << n << " vocab " << vocab << (simd ? " simd" : ""));
      SimdScope scope(simd);
      Problem p = randomProblem(n, vocab, 2, 4);
      Result r = fast(backend(), p);
      auto [loss, dlogits] = referenceRun<float>(p, p.logits);
      EXPECT_NEAR(r.loss, loss, 1e-6 * std::fabs(loss) + 1e-7);
      EXPECT_LT(relativeError(r.dlogits, dlogits), 1e-6);
    }
}

// The fast fp32 dlogits against double central differences of the reference loss: 1e-5.
TEST_P(CrossEntropyFast, GradientMatchesFiniteDifferences) {
  for (bool simd : {true, false}) {
    SimdScope scope(simd);
    Problem p = randomProblem(6, 13, 3, 4);
    EXPECT_LT(relativeError(fast(backend(), p).dlogits, finiteDifferences(p)), 1e-5);
  }
}

// A NaN logit makes the loss NaN (the exponential propagates it instead of clamping it into a
// number), with and without AVX2: the training loop's non-finite check then stops the run.
TEST_P(CrossEntropyFast, NaNLogitGivesNaNLoss) {
  for (bool simd : {true, false}) {
    SimdScope scope(simd);
    Problem p = randomProblem(4, 1001, 5, 0);
    p.logits[2 * 1001 + 500] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_TRUE(std::isnan(fast(backend(), p).loss)) << (simd ? "simd" : "portable");
  }
}

// Ignored rows: zero gradient, no loss; the mean is over the counted rows only (the loss of a
// batch equals the mean of the losses of its counted rows computed one at a time).
TEST_P(CrossEntropyFast, IgnoredRows) {
  Problem p = randomProblem(10, 50, 4, 3);
  Result r = fast(backend(), p);
  double sum = 0;
  int count = 0;
  for (int64_t i = 0; i < p.n; ++i) {
    const bool ignored = p.targets[i] == kIgnore;
    double rowSum = 0;
    for (int64_t j = 0; j < p.vocab; ++j) {
      if (ignored)
        ASSERT_EQ(r.dlogits[i * p.vocab + j], 0.0f) << "row " << i;
      rowSum += r.dlogits[i * p.vocab + j];
    }
    EXPECT_NEAR(rowSum, 0.0, 1e-6) << "row " << i; // softmax sums to 1
    if (ignored)
      continue;
    Problem one{
        1,
        p.vocab,
        std::vector<float>(p.logits.begin() + i * p.vocab, p.logits.begin() + (i + 1) * p.vocab),
        {p.targets[i]}};
    sum += fast(backend(), one).loss;
    ++count;
  }
  EXPECT_EQ(count, 7); // rows 2, 5, 8 ignored
  EXPECT_NEAR(r.loss, sum / count, 1e-6 * std::fabs(r.loss));
}

// Every target ignored: loss 0 and dlogits 0 (not NaN from 0 / 0), the buffer fully written.
TEST_P(CrossEntropyFast, AllIgnored) {
  for (bool withGradient : {true, false}) {
    Problem p = randomProblem(4, 9, 5, 1);
    float loss = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> dlogits(p.logits.size(), 7.0f);
    run<SLIMTUNE_KERNEL_CROSS_ENTROPY>(&loss, withGradient ? dlogits.data() : nullptr,
                                       p.logits.data(), p.targets.data(), p.n, p.vocab, kIgnore);
    EXPECT_EQ(loss, 0.0f);
    for (float g : dlogits)
      ASSERT_EQ(g, withGradient ? 0.0f : 7.0f);
  }
}

// dlogits may be logits (in place): same loss, same gradient. Without dlogits, same loss.
TEST_P(CrossEntropyFast, GradientInPlaceAndOptional) {
  for (bool simd : {true, false}) {
    SimdScope scope(simd);
    Problem p = randomProblem(33, 1003, 6, 5);
    Result r = fast(backend(), p);
    std::vector<float> inPlace = p.logits;
    float loss = 0, lossOnly = 0;
    run<SLIMTUNE_KERNEL_CROSS_ENTROPY>(&loss, inPlace.data(), inPlace.data(), p.targets.data(), p.n,
                                       p.vocab, kIgnore);
    run<SLIMTUNE_KERNEL_CROSS_ENTROPY>(&lossOnly, nullptr, p.logits.data(), p.targets.data(), p.n,
                                       p.vocab, kIgnore);
    EXPECT_EQ(loss, r.loss);
    EXPECT_EQ(lossOnly, r.loss);
    EXPECT_EQ(inPlace, r.dlogits);
  }
}

// Logits of +-1e4 with small differences: exp(x) would overflow without the max shift; the
// fast kernel matches the double reference on the same fp32 inputs (1e-5 relative loss, 1e-5
// gradient). Also a row where one logit dominates (loss ~ 0 at the target, ~1e4 elsewhere).
TEST_P(CrossEntropyFast, LargeLogitsAreStable) {
  for (bool simd : {true, false})
    for (float offset : {1e4f, -1e4f}) {
      SCOPED_TRACE(::testing::Message() << offset << (simd ? " simd" : ""));
      SimdScope scope(simd);
      Problem p = randomProblem(7, 300, 7, 0, 8.0f);
      for (float &x : p.logits)
        x += offset;
      p.logits[3 * p.vocab + p.targets[3]] += 1e4f; // row 3: target dominates
      p.logits[4 * p.vocab + 17] += 1e4f;           // row 4: another logit dominates
      Result r = fast(backend(), p);
      auto [loss, dlogits] = referenceRun<double>(p, toDouble(p.logits));
      ASSERT_TRUE(std::isfinite(r.loss));
      EXPECT_NEAR(r.loss, loss, 1e-5 * std::fabs(loss));
      EXPECT_LT(relativeError(r.dlogits, dlogits), 1e-5);
    }
}
