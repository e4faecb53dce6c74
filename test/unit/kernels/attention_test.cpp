// Causal grouped-query attention: the reference's gradient against central finite differences
// in double; the fast kernels of every backend (on the CPU: AVX2 tiles and the portable loops)
// against the reference in fp32 and against the finite differences; causality; GQA = MHA with
// repeated kv heads.
#include "kernels/backend_test.h"
#include "kernels/cpu/attention_reference.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/workspace.h"
#include "support/gradient_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <ostream>
#include <sstream>
#include <tuple>
#include <vector>

using namespace slimtune::cpu;
using namespace slimtune::testing;
using slimtune::kernels::Backend;

namespace {

struct Shape {
  int64_t b, t, heads, kvHeads, d;
  int64_t qSize() const { return b * t * heads * d; }
  int64_t kvSize() const { return b * t * kvHeads * d; }
  float scale() const { return 1.0f / std::sqrt(static_cast<float>(d)); }
};

std::ostream &operator<<(std::ostream &os, const Shape &s) {
  return os << "b" << s.b << "_t" << s.t << "_h" << s.heads << "_kv" << s.kvHeads << "_d" << s.d;
}

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Inputs {
  std::vector<float> q, k, v, dout;
};

// Amplitude 2 makes the scores spread over a few units, so softmax rows are far from uniform.
Inputs randomInputs(const Shape &s, uint64_t seed, float amplitude = 2.0f) {
  return {randomVector(s.qSize(), seed, amplitude), randomVector(s.kvSize(), seed + 1, amplitude),
          randomVector(s.kvSize(), seed + 2), randomVector(s.qSize(), seed + 3)};
}

struct Forward {
  std::vector<float> o, lse;
};
struct Backward {
  std::vector<float> dq, dk, dv;
};

// A backend's fast kernels, with outputs and workspace filled with NaN first (all must be
// overwritten or unused).
Forward fastForward(const Backend &backend, const Shape &s, const Inputs &in) {
  Forward f{std::vector<float>(s.qSize(), kNaN), std::vector<float>(s.b * s.heads * s.t, kNaN)};
  std::vector<float> work(slimtune_cpu_attention_work(s.b, s.t, s.heads), kNaN);
  runKernel<SLIMTUNE_KERNEL_ATTENTION>(backend, f.o.data(), f.lse.data(), in.q.data(), in.k.data(),
                                       in.v.data(), work.data(), s.b, s.t, s.heads, s.kvHeads, s.d,
                                       s.scale());
  return f;
}

Backward fastBackward(const Backend &backend, const Shape &s, const Inputs &in, const Forward &f) {
  Backward g{std::vector<float>(s.qSize(), kNaN), std::vector<float>(s.kvSize(), kNaN),
             std::vector<float>(s.kvSize(), kNaN)};
  std::vector<float> work(slimtune_cpu_attention_grad_work(s.b, s.t, s.heads), kNaN);
  runKernel<SLIMTUNE_KERNEL_ATTENTION_GRAD>(backend, g.dq.data(), g.dk.data(), g.dv.data(),
                                            in.q.data(), in.k.data(), in.v.data(), f.o.data(),
                                            f.lse.data(), in.dout.data(), work.data(), s.b, s.t,
                                            s.heads, s.kvHeads, s.d, s.scale());
  return g;
}

template <typename T> struct ReferenceRun { std::vector<T> o, lse, dq, dk, dv; };

template <typename T> ReferenceRun<T> referenceRun(const Shape &s, const Inputs &in) {
  std::vector<T> q(in.q.begin(), in.q.end()), k(in.k.begin(), in.k.end()),
      v(in.v.begin(), in.v.end()), dout(in.dout.begin(), in.dout.end());
  ReferenceRun<T> r{std::vector<T>(s.qSize()), std::vector<T>(s.b * s.heads * s.t),
                    std::vector<T>(s.qSize()), std::vector<T>(s.kvSize()),
                    std::vector<T>(s.kvSize())};
  const T scale = static_cast<T>(s.scale());
  reference::attention<T>(r.o.data(), r.lse.data(), q.data(), k.data(), v.data(), s.b, s.t, s.heads,
                          s.kvHeads, s.d, scale);
  reference::attentionGrad<T>(r.dq.data(), r.dk.data(), r.dv.data(), q.data(), k.data(), v.data(),
                              r.o.data(), r.lse.data(), dout.data(), s.b, s.t, s.heads, s.kvHeads,
                              s.d, scale);
  return r;
}

// d/dq, d/dk, d/dv of dot(o(q, k, v), dout) by central differences of the double reference.
struct FiniteDifferences {
  std::vector<double> dq, dk, dv;
};
FiniteDifferences finiteDifferences(const Shape &s, const Inputs &in) {
  std::vector<double> q = toDouble(in.q), k = toDouble(in.k), v = toDouble(in.v);
  const double scale = s.scale();
  auto objective = [&](const std::vector<double> &qq, const std::vector<double> &kk,
                       const std::vector<double> &vv) {
    std::vector<double> o(s.qSize()), lse(s.b * s.heads * s.t);
    reference::attention<double>(o.data(), lse.data(), qq.data(), kk.data(), vv.data(), s.b, s.t,
                                 s.heads, s.kvHeads, s.d, scale);
    return dot(o, in.dout);
  };
  return {finiteDifference([&](const std::vector<double> &x) { return objective(x, k, v); }, q),
          finiteDifference([&](const std::vector<double> &x) { return objective(q, x, v); }, k),
          finiteDifference([&](const std::vector<double> &x) { return objective(q, k, x); }, v)};
}

// On the CPU: restores the fast kernels' default (AVX2 tiles where available) when a test
// ends. Other backends run the same checks twice.
struct SimdScope {
  explicit SimdScope(bool enabled) { setAttentionSimd(enabled); }
  ~SimdScope() { setAttentionSimd(true); }
};

} // namespace

//===-- Reference -----------------------------------------------------------------------===//

// The reference backward is the gradient of the reference forward: in double, against central
// differences (h = 1e-5): 1e-8 relative to the largest entry (measured: < 3e-10).
TEST(AttentionReference, GradientMatchesFiniteDifferences) {
  for (const Shape &s : {Shape{2, 5, 4, 2, 8}, Shape{1, 6, 3, 1, 4}, Shape{1, 4, 2, 2, 3}}) {
    SCOPED_TRACE(::testing::Message() << s);
    Inputs in = randomInputs(s, 11);
    ReferenceRun<double> r = referenceRun<double>(s, in);
    FiniteDifferences fd = finiteDifferences(s, in);
    EXPECT_LT(relativeError(r.dq, fd.dq), 1e-8);
    EXPECT_LT(relativeError(r.dk, fd.dk), 1e-8);
    EXPECT_LT(relativeError(r.dv, fd.dv), 1e-8);
  }
}

// lse is the log-sum-exp of the visible scaled scores; at position 0 only key 0 is visible, so
// o_0 = v_0 (its kv head) and lse_0 = scale q_0.k_0.
TEST(AttentionReference, FirstPositionSeesOnlyItself) {
  const Shape s{1, 3, 2, 1, 4};
  Inputs in = randomInputs(s, 5);
  ReferenceRun<double> r = referenceRun<double>(s, in);
  for (int64_t h = 0; h < s.heads; ++h) {
    double qk = 0;
    for (int64_t c = 0; c < s.d; ++c) {
      EXPECT_NEAR(r.o[h * s.d + c], in.v[c], 1e-12);
      qk += static_cast<double>(in.q[h * s.d + c]) * in.k[c];
    }
    EXPECT_NEAR(r.lse[h * s.t], s.scale() * qk, 1e-6);
  }
}

//===-- Fast against reference --------------------------------------------------------===//

class AttentionFastVsReference : public ::testing::TestWithParam<std::tuple<Backend, Shape, bool>> {
};

// Odd sequence lengths (tails of the 32-row tiles, of the 4 x 3 and 6-row micro-tiles),
// head_dim 8, 16, 24, 64, 72 (the 16- and 8-column paths) and 6 (portable path), grouped and
// plain heads; both the AVX2 tiles and the portable loops. fp32 fast against fp32 reference:
// they differ only in summation order and in the exponential (< 2 ulp), so o and lse agree to
// 5e-6 and the gradients to 1e-5, relative to the largest entry (measured: < 6e-7, < 8e-7).
TEST_P(AttentionFastVsReference, MatchesReference) {
  const auto &[backend, s, simd] = GetParam();
  SimdScope scope(simd);
  Inputs in = randomInputs(s, 7);
  ReferenceRun<float> ref = referenceRun<float>(s, in);
  Forward f = fastForward(backend, s, in);
  EXPECT_LT(relativeError(f.o, ref.o), 5e-6);
  EXPECT_LT(relativeError(f.lse, ref.lse), 5e-6);
  Backward g = fastBackward(backend, s, in, f);
  EXPECT_LT(relativeError(g.dq, ref.dq), 1e-5);
  EXPECT_LT(relativeError(g.dk, ref.dk), 1e-5);
  EXPECT_LT(relativeError(g.dv, ref.dv), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    AttentionShapes, AttentionFastVsReference,
    ::testing::Combine(::testing::ValuesIn(slimtune::kernels::backends()),
                       ::testing::Values(Shape{2, 1, 4, 2, 8}, Shape{2, 5, 9, 3, 8},
                                         Shape{1, 37, 4, 4, 64}, Shape{2, 37, 9, 3, 64},
                                         Shape{1, 70, 4, 2, 24}, Shape{1, 100, 2, 1, 16},
                                         Shape{1, 33, 3, 1, 72}, Shape{2, 9, 2, 1, 6},
                                         Shape{1, 130, 9, 3, 64}),
                       ::testing::Bool()),
    [](const auto &info) {
      std::ostringstream name;
      name << std::get<0>(info.param).name << "_" << std::get<1>(info.param)
           << (std::get<2>(info.param) ? "_simd" : "_portable");
      return name.str();
    });

// The fast fp32 backward against the double finite differences of the reference forward
// (fp32 rounding of ~1e-7 per operation: 1e-5 relative to the largest entry; measured < 3e-7).
class AttentionFast : public BackendTest {};
SLIMTUNE_INSTANTIATE_BACKENDS(AttentionFast);

TEST_P(AttentionFast, GradientMatchesFiniteDifferences) {
  for (bool simd : {true, false})
    for (const Shape &s : {Shape{2, 5, 4, 2, 8}, Shape{1, 7, 3, 1, 16}}) {
      SCOPED_TRACE(::testing::Message() << s << (simd ? " simd" : " portable"));
      SimdScope scope(simd);
      Inputs in = randomInputs(s, 13);
      Backward g = fastBackward(backend(), s, in, fastForward(backend(), s, in));
      FiniteDifferences fd = finiteDifferences(s, in);
      EXPECT_LT(relativeError(g.dq, fd.dq), 1e-5);
      EXPECT_LT(relativeError(g.dk, fd.dk), 1e-5);
      EXPECT_LT(relativeError(g.dv, fd.dv), 1e-5);
    }
}

// Scores of tens of units (amplitude 6 at head_dim 64: |scale q.k| up to ~40): no overflow in
// exp, and the fast kernels still agree with the double reference (2e-5 relative; measured
// < 3e-6: fp32 rounding of scores of magnitude 40 is ~4e-6 absolute).
TEST_P(AttentionFast, LargeScoresAreStable) {
  const Shape s{1, 45, 4, 2, 64};
  for (bool simd : {true, false}) {
    SCOPED_TRACE(simd ? "simd" : "portable");
    SimdScope scope(simd);
    Inputs in = randomInputs(s, 17, 6.0f);
    ReferenceRun<double> ref = referenceRun<double>(s, in);
    Forward f = fastForward(backend(), s, in);
    EXPECT_LT(relativeError(f.o, ref.o), 2e-5);
    EXPECT_LT(relativeError(f.lse, ref.lse), 2e-6);
    Backward g = fastBackward(backend(), s, in, f);
    EXPECT_LT(relativeError(g.dq, ref.dq), 2e-5);
    EXPECT_LT(relativeError(g.dk, ref.dk), 2e-5);
    EXPECT_LT(relativeError(g.dv, ref.dv), 2e-5);
  }
}

// A NaN in one query row reaches that row's output and logsumexp, as in the reference (the
// exponential's clamp once turned NaN scores into numbers: a model with a NaN weight trained
// on with a finite loss). Other rows stay finite: the NaN does not spread sideways.
TEST_P(AttentionFast, NaNQueryPropagatesToItsRow) {
  const Shape s{1, 40, 4, 2, 64};
  for (bool simd : {true, false}) {
    SCOPED_TRACE(simd ? "simd" : "portable");
    SimdScope scope(simd);
    Inputs in = randomInputs(s, 23);
    const int64_t row = 33, head = 1;
    in.q[(row * s.heads + head) * s.d + 5] = kNaN;
    Forward f = fastForward(backend(), s, in);
    EXPECT_TRUE(std::isnan(f.o[(row * s.heads + head) * s.d]));
    EXPECT_TRUE(std::isnan(f.lse[head * s.t + row]));
    EXPECT_TRUE(std::isfinite(f.o[(row * s.heads + head + 1) * s.d]));
    EXPECT_TRUE(std::isfinite(f.lse[head * s.t + row - 1]));
  }
}

//===-- Causality and grouped heads -------------------------------------------------===//

// Changing the keys and values after position `cut` leaves o and lse at positions <= cut
// bit-for-bit unchanged, and changes later positions.
TEST_P(AttentionFast, FutureKeysAndValuesDoNotMatter) {
  for (bool simd : {true, false})
    for (const Shape &s : {Shape{2, 37, 4, 2, 64}, Shape{1, 70, 9, 3, 8}})
      for (int64_t cut : {int64_t{0}, int64_t{17}, int64_t{31}, int64_t{32}, s.t - 2}) {
        SCOPED_TRACE(::testing::Message() << s << " cut " << cut << (simd ? " simd" : ""));
        SimdScope scope(simd);
        Inputs in = randomInputs(s, 19);
        Forward before = fastForward(backend(), s, in);
        ReferenceRun<float> refBefore = referenceRun<float>(s, in);
        Inputs changed = in;
        std::vector<float> noise = randomVector(s.kvSize(), 23, 3.0f);
        const int64_t rowWidth = s.kvHeads * s.d;
        for (int64_t bi = 0; bi < s.b; ++bi)
          for (int64_t j = cut + 1; j < s.t; ++j)
            for (int64_t c = 0; c < rowWidth; ++c) {
              const int64_t at = (bi * s.t + j) * rowWidth + c;
              changed.k[at] += noise[at];
              changed.v[at] -= noise[at];
            }
        Forward after = fastForward(backend(), s, changed);
        ReferenceRun<float> refAfter = referenceRun<float>(s, changed);
        bool laterChanged = false;
        for (int64_t bi = 0; bi < s.b; ++bi)
          for (int64_t i = 0; i < s.t; ++i)
            for (int64_t c = 0; c < s.heads * s.d; ++c) {
              const int64_t at = (bi * s.t + i) * s.heads * s.d + c;
              if (i <= cut) {
                ASSERT_EQ(after.o[at], before.o[at]) << "b " << bi << " i " << i << " c " << c;
                ASSERT_EQ(refAfter.o[at], refBefore.o[at]) << "reference, i " << i;
              } else {
                laterChanged |= after.o[at] != before.o[at];
              }
            }
        for (int64_t bh = 0; bh < s.b * s.heads; ++bh)
          for (int64_t i = 0; i <= cut; ++i)
            ASSERT_EQ(after.lse[bh * s.t + i], before.lse[bh * s.t + i]) << "lse " << i;
        EXPECT_TRUE(laterChanged);
      }
}

// Grouped heads equal plain multi-head attention on k, v with each kv head repeated for its
// group: o, lse and dq identical (the same arithmetic runs), dk, dv the sums over the group of
// the repeated heads' gradients (a different summation order: 1e-5 relative).
TEST_P(AttentionFast, GroupedEqualsMultiHeadWithRepeatedKvHeads) {
  for (bool simd : {true, false})
    for (const Shape &s : {Shape{2, 37, 6, 2, 64}, Shape{1, 21, 6, 3, 8}, Shape{1, 9, 4, 1, 6}}) {
      SCOPED_TRACE(::testing::Message() << s << (simd ? " simd" : " portable"));
      SimdScope scope(simd);
      const int64_t group = s.heads / s.kvHeads;
      const Shape mha{s.b, s.t, s.heads, s.heads, s.d};
      Inputs in = randomInputs(s, 29);
      Inputs repeated = in;
      repeated.k.assign(mha.kvSize(), 0);
      repeated.v.assign(mha.kvSize(), 0);
      for (int64_t row = 0; row < s.b * s.t; ++row)
        for (int64_t h = 0; h < s.heads; ++h)
          for (int64_t c = 0; c < s.d; ++c) {
            const int64_t from = (row * s.kvHeads + h / group) * s.d + c;
            repeated.k[(row * s.heads + h) * s.d + c] = in.k[from];
            repeated.v[(row * s.heads + h) * s.d + c] = in.v[from];
          }
      Forward gqa = fastForward(backend(), s, in), plain = fastForward(backend(), mha, repeated);
      EXPECT_EQ(gqa.o, plain.o);
      EXPECT_EQ(gqa.lse, plain.lse);
      Backward gqaGrad = fastBackward(backend(), s, in, gqa),
               plainGrad = fastBackward(backend(), mha, repeated, plain);
      EXPECT_EQ(gqaGrad.dq, plainGrad.dq);
      std::vector<float> dkSum(s.kvSize(), 0), dvSum(s.kvSize(), 0);
      for (int64_t row = 0; row < s.b * s.t; ++row)
        for (int64_t h = 0; h < s.heads; ++h)
          for (int64_t c = 0; c < s.d; ++c) {
            const int64_t to = (row * s.kvHeads + h / group) * s.d + c;
            dkSum[to] += plainGrad.dk[(row * s.heads + h) * s.d + c];
            dvSum[to] += plainGrad.dv[(row * s.heads + h) * s.d + c];
          }
      EXPECT_LT(relativeError(gqaGrad.dk, dkSum), 1e-5);
      EXPECT_LT(relativeError(gqaGrad.dv, dvSum), 1e-5);
    }
}
