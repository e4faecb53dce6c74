// Folding a LoRA adapter into its weight (merge_lora): each backend's fast kernel and the
// reference against a plain double-precision triple loop and each other, in both weight
// layouts; the merged weight's linear against the unmerged linear + lora; in-place use; and the
// checked host API slimtune export uses (slimtune/merge_lora.h, the CPU kernel).
#include "kernels/backend_test.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/merge_lora_reference.h"
#include "kernels/cpu/workspace.h"
#include "slimtune/merge_lora.h"
#include "support/gradient_check.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

using namespace slimtune;
using namespace slimtune::cpu;
using namespace slimtune::testing;

namespace {

struct Shape {
  int64_t in, out, r;
};

// Odd sizes, square and not; the last ones have LoRA ranks 16 and 8 against wider layers.
const std::vector<Shape> kShapes = {{1, 1, 1},    {5, 3, 2},    {13, 9, 4},
                                    {64, 64, 16}, {130, 75, 8}, {45, 196, 16}};
constexpr float kScale = 1.75f;

// W + scale B A in double, in the weight's layout: [out, in] (0) or [in, out] (1).
std::vector<double> mergedInDouble(const std::vector<float> &w, const std::vector<float> &a,
                                   const std::vector<float> &b, const Shape &s, int32_t layout) {
  std::vector<double> merged(w.begin(), w.end());
  for (int64_t o = 0; o < s.out; ++o)
    for (int64_t k = 0; k < s.in; ++k) {
      double sum = 0;
      for (int64_t q = 0; q < s.r; ++q)
        sum += double(b[o * s.r + q]) * double(a[q * s.in + k]);
      merged[layout == 0 ? o * s.in + k : k * s.out + o] += double(kScale) * sum;
    }
  return merged;
}

struct Data {
  std::vector<float> w, a, b;
};

Data randomData(const Shape &s, uint64_t seed) {
  return {randomVector(s.in * s.out, seed), randomVector(s.r * s.in, seed + 1),
          randomVector(s.out * s.r, seed + 2, 0.5f)};
}

class MergeLoraFast : public BackendTest {};
SLIMTUNE_INSTANTIATE_BACKENDS(MergeLoraFast);

} // namespace

// Both against the double loop. Tolerance 1e-6 relative to the largest |W'|: each element is
// one fp32 rank-r dot product (r <= 16) added to W; measured at most 1.7e-7.
TEST_P(MergeLoraFast, MatchesDoubleTripleLoop) {
  uint64_t seed = 1;
  for (const Shape &s : kShapes)
    for (int32_t layout : {0, 1}) {
      Data d = randomData(s, seed += 3);
      std::vector<double> want = mergedInDouble(d.w, d.a, d.b, s, layout);
      std::vector<float> fast(d.w.size(), 99.0f), ref(d.w.size(), 99.0f);
      run<SLIMTUNE_KERNEL_MERGE_LORA>(fast.data(), d.w.data(), d.a.data(), d.b.data(), s.in, s.out,
                                      s.r, kScale, layout);
      reference::mergeLora(ref.data(), d.w.data(), d.a.data(), d.b.data(), s.in, s.out, s.r,
                           kScale, layout);
      EXPECT_LT(relativeError(fast, want), 1e-6) << s.in << "x" << s.out << " layout " << layout;
      EXPECT_LT(relativeError(ref, want), 1e-6) << s.in << "x" << s.out << " layout " << layout;
    }
}

// Fast against reference<float>, same tolerance (they sum in different orders; measured at most
// 2.0e-7).
TEST_P(MergeLoraFast, MatchesReference) {
  uint64_t seed = 100;
  for (const Shape &s : kShapes)
    for (int32_t layout : {0, 1}) {
      Data d = randomData(s, seed += 3);
      std::vector<float> fast(d.w.size()), ref(d.w.size());
      run<SLIMTUNE_KERNEL_MERGE_LORA>(fast.data(), d.w.data(), d.a.data(), d.b.data(), s.in, s.out,
                                      s.r, kScale, layout);
      reference::mergeLora(ref.data(), d.w.data(), d.a.data(), d.b.data(), s.in, s.out, s.r,
                           kScale, layout);
      EXPECT_LT(relativeError(fast, ref), 1e-6) << s.in << "x" << s.out << " layout " << layout;
    }
}

// The Conv1D layout is the transpose: merging Wᵀ [in, out] gives the transpose of merging W.
TEST(MergeLora, InOutLayoutIsTheTranspose) {
  const Shape s = {13, 9, 4};
  Data d = randomData(s, 7);
  std::vector<float> wT(d.w.size());
  for (int64_t o = 0; o < s.out; ++o)
    for (int64_t k = 0; k < s.in; ++k)
      wT[k * s.out + o] = d.w[o * s.in + k];
  std::vector<double> outIn(d.w.size()), inOut(d.w.size());
  std::vector<double> w = toDouble(d.w), t = toDouble(wT), a = toDouble(d.a), b = toDouble(d.b);
  reference::mergeLora(outIn.data(), w.data(), a.data(), b.data(), s.in, s.out, s.r,
                       double(kScale), 0);
  reference::mergeLora(inOut.data(), t.data(), a.data(), b.data(), s.in, s.out, s.r,
                       double(kScale), 1);
  for (int64_t o = 0; o < s.out; ++o)
    for (int64_t k = 0; k < s.in; ++k)
      EXPECT_EQ(inOut[k * s.out + o], outIn[o * s.in + k]) << o << ", " << k;
}

// The point of merging: linear(x, W') = linear(x, W) + lora(x, A, B) without dropout, for both
// layouts, up to fp32 rounding: 1e-5 relative to the largest output (two orders of summing;
// measured at most 4.7e-7).
TEST_P(MergeLoraFast, MergedLinearEqualsLinearPlusLora) {
  const int64_t n = 37;
  uint64_t seed = 300;
  for (const Shape &s : kShapes)
    for (int32_t layout : {0, 1}) {
      Data d = randomData(s, seed += 4);
      std::vector<float> x = randomVector(n * s.in, seed + 3);
      std::vector<float> merged(d.w.size()), yMerged(n * s.out);
      run<SLIMTUNE_KERNEL_MERGE_LORA>(merged.data(), d.w.data(), d.a.data(), d.b.data(), s.in,
                                      s.out, s.r, kScale, layout);
      run<SLIMTUNE_KERNEL_LINEAR>(yMerged.data(), x.data(), merged.data(), nullptr, n, s.in, s.out,
                                  layout);

      std::vector<float> y(n * s.out), delta(n * s.out);
      std::vector<float> work(slimtune_cpu_lora_work(n, s.in, s.r, 0.0f));
      int32_t step = 0;
      run<SLIMTUNE_KERNEL_LINEAR>(y.data(), x.data(), d.w.data(), nullptr, n, s.in, s.out, layout);
      run<SLIMTUNE_KERNEL_LORA>(delta.data(), x.data(), d.a.data(), d.b.data(), work.data(), n,
                                s.in, s.out, s.r, kScale, 0.0f, 0, &step);
      for (int64_t i = 0; i < n * s.out; ++i)
        y[i] += delta[i];
      EXPECT_LT(relativeError(yMerged, y), 1e-5) << s.in << "x" << s.out << " layout " << layout;
    }
}

// merged may be w itself (the export folds in place): the same numbers as out of place.
TEST_P(MergeLoraFast, InPlaceEqualsOutOfPlace) {
  for (int32_t layout : {0, 1}) {
    const Shape s = {130, 75, 8};
    Data d = randomData(s, 11);
    std::vector<float> outOfPlace(d.w.size()), inPlace = d.w, refInPlace = d.w;
    run<SLIMTUNE_KERNEL_MERGE_LORA>(outOfPlace.data(), d.w.data(), d.a.data(), d.b.data(), s.in,
                                    s.out, s.r, kScale, layout);
    run<SLIMTUNE_KERNEL_MERGE_LORA>(inPlace.data(), inPlace.data(), d.a.data(), d.b.data(), s.in,
                                    s.out, s.r, kScale, layout);
    reference::mergeLora(refInPlace.data(), refInPlace.data(), d.a.data(), d.b.data(), s.in,
                         s.out, s.r, kScale, layout);
    EXPECT_EQ(inPlace, outOfPlace) << "layout " << layout;
    EXPECT_LT(relativeError(refInPlace, outOfPlace), 1e-6) << "layout " << layout;
  }
}

// The checked host API: the kernel's numbers on good buffers; a size mismatch or a bad shape
// is an error naming what is wrong, and leaves the weight as it was.
TEST(MergeLoraIntoWeight, MergesInPlaceInEitherLayout) {
  const Shape s = {13, 9, 4};
  for (WeightLayout layout : {WeightLayout::OutIn, WeightLayout::InOut}) {
    int32_t abiLayout = layout == WeightLayout::OutIn ? 0 : 1;
    Data d = randomData(s, 21);
    std::vector<float> want(d.w.size());
    ASSERT_EQ(mergeLora(want.data(), d.w.data(), d.a.data(), d.b.data(), s.in, s.out, s.r, kScale,
                        abiLayout),
              SLIMTUNE_KERNEL_OK);
    std::vector<float> weight = d.w;
    Status st = mergeLoraIntoWeight(weight, d.a, d.b, {s.in, s.out, s.r, layout, kScale});
    ASSERT_TRUE(st) << st.message();
    EXPECT_EQ(weight, want);
  }
}

TEST(MergeLoraIntoWeight, RejectsMismatchedBuffers) {
  const Shape s = {13, 9, 4};
  Data d = randomData(s, 31);
  std::vector<float> weight = d.w;
  LoraMergeShape shape{s.in, s.out, s.r, WeightLayout::OutIn, kScale};

  std::vector<float> shortA(d.a.begin(), d.a.end() - 1);
  Status st = mergeLoraIntoWeight(weight, shortA, d.b, shape);
  EXPECT_FALSE(st);
  EXPECT_EQ(st.message(), "lora_A holds 51 values, expected 4 x 13");

  LoraMergeShape wrongRank = shape;
  wrongRank.rank = 2;
  st = mergeLoraIntoWeight(weight, d.a, d.b, wrongRank);
  EXPECT_EQ(st.message(), "lora_A holds 52 values, expected 2 x 13");

  LoraMergeShape conv = shape;
  conv.layout = WeightLayout::InOut;
  conv.out = 13;
  conv.in = 9; // a [13, 9] Conv1D weight holds as many values but takes 9 inputs
  st = mergeLoraIntoWeight(weight, d.a, d.b, conv);
  EXPECT_EQ(st.message(), "lora_A holds 52 values, expected 4 x 9");

  LoraMergeShape empty = shape;
  empty.rank = 0;
  EXPECT_FALSE(mergeLoraIntoWeight(weight, d.a, d.b, empty));
  LoraMergeShape infinite = shape;
  infinite.scale = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(mergeLoraIntoWeight(weight, d.a, d.b, infinite));
  EXPECT_EQ(weight, d.w);
}

// For an adapter as resolveAdapters gives it: shape from its linear, errors name the module.
TEST(MergeLoraIntoWeight, TakesAnAdaptedLinear) {
  LinearSpec linear;
  linear.module = "h.0.attn.c_attn";
  linear.layout = WeightLayout::InOut;
  linear.in = 13;
  linear.out = 9;
  AdaptedLinear adapter{&linear, 4, 7.0, kScale, "", ""};
  Data d = randomData({13, 9, 4}, 41);
  std::vector<float> want(d.w.size()), weight = d.w;
  ASSERT_EQ(mergeLora(want.data(), d.w.data(), d.a.data(), d.b.data(), 13, 9, 4, kScale, 1),
            SLIMTUNE_KERNEL_OK);
  ASSERT_TRUE(mergeLoraIntoWeight(weight, d.a, d.b, adapter));
  EXPECT_EQ(weight, want);

  std::vector<float> shortB(d.b.begin(), d.b.end() - 4);
  Status st = mergeLoraIntoWeight(weight, d.a, shortB, adapter);
  EXPECT_EQ(st.message(), "merging the adapter of h.0.attn.c_attn: lora_B holds 32 values, "
                          "expected 9 x 4");
}
