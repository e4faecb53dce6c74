// Frozen weights in ggml blocks (--precision q8, q4): the kernels' block decoder against the
// GGUF reader's dequantizer (formats/ggml_types.cpp, written separately), and linear_blocks,
// embedding_blocks and linear_cross_entropy with blocks (fast kernels and their references)
// against a double computation on the decoded values, for every format, both layouts, a bias,
// and a weight split into two panels.
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/linear_cross_entropy_reference.h"
#include "kernels/cpu/linear_reference.h"
#include "kernels/cpu/weight_blocks.h"
#include "kernels/cpu/workspace.h"
#include "slimtune/ggml_types.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace {

using namespace slimtune;

struct Format {
  int32_t code;
  GgmlType type;
};
const Format kFormats[] = {{SLIMTUNE_WEIGHT_Q8_0, GgmlType::Q8_0},
                           {SLIMTUNE_WEIGHT_Q4_0, GgmlType::Q4_0},
                           {SLIMTUNE_WEIGHT_Q4_1, GgmlType::Q4_1}};

std::vector<float> randomValues(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float &x : v)
    x = dist(rng);
  return v;
}

// A matrix of `count` values coded in `type`, and its exact decoding by the GGUF reader.
struct Coded {
  std::vector<uint8_t> blocks;
  std::vector<float> values;
};
Coded code(GgmlType type, int64_t count, uint32_t seed) {
  const auto info = ggmlTypeInfo(static_cast<uint32_t>(type));
  Coded c;
  std::vector<float> source = randomValues(count, seed, 0.05f);
  c.blocks.resize(static_cast<size_t>(count / 32 * info->typeSize));
  EXPECT_TRUE(quantizeFromF32(type, source.data(), count, c.blocks.data()));
  c.values.resize(static_cast<size_t>(count));
  EXPECT_TRUE(dequantizeToF32(type, c.blocks.data(), c.blocks.size(), c.values.data(), count));
  return c;
}

// y = x op(W) + b in double, W [out, in] (layout 0) or [in, out] (layout 1).
std::vector<double> linearDouble(const std::vector<float> &x, const std::vector<float> &w,
                                 const float *b, int64_t n, int64_t in, int64_t out,
                                 int32_t layout) {
  std::vector<double> y(static_cast<size_t>(n * out));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t o = 0; o < out; ++o) {
      double sum = b ? b[o] : 0.0;
      for (int64_t k = 0; k < in; ++k)
        sum += double(x[i * in + k]) * (layout == 0 ? w[o * in + k] : w[k * out + o]);
      y[i * out + o] = sum;
    }
  return y;
}

void expectClose(const float *got, const std::vector<double> &want, double tolerance) {
  double scale = 0;
  for (double v : want)
    scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_NEAR(got[i], want[i], tolerance * std::max(scale, 1e-3)) << "at " << i;
}

TEST(WeightBlocks, DecodeAsTheGgufReaderDoes) {
  for (const Format &f : kFormats) {
    Coded c = code(f.type, 32 * 70, 7);
    std::vector<float> decoded(c.values.size());
    cpu::decodeBlocks(f.code, c.blocks.data(), decoded.data(), static_cast<int64_t>(decoded.size()));
    EXPECT_EQ(decoded, c.values) << "format " << f.code;
    EXPECT_EQ(cpu::blockBytes(f.code), ggmlTypeInfo(static_cast<uint32_t>(f.type))->typeSize);
  }
  EXPECT_EQ(cpu::blockBytes(SLIMTUNE_WEIGHT_F32), 0);
}

// Both layouts and a bias; 1056 outputs over 4096 inputs make two panels (1024 + 32).
TEST(WeightBlocks, LinearMatchesDouble) {
  struct Shape {
    int64_t n, in, out;
  };
  for (const Format &f : kFormats)
    for (Shape s : {Shape{5, 64, 96}, Shape{3, 4096, 1056}})
      for (int32_t layout : {0, 1}) {
        Coded w = code(f.type, s.in * s.out, 11);
        std::vector<float> x = randomValues(s.n * s.in, 3), b = randomValues(s.out, 5);
        std::vector<double> want = linearDouble(x, w.values, b.data(), s.n, s.in, s.out, layout);
        std::vector<float> y(static_cast<size_t>(s.n * s.out), NAN),
            work(static_cast<size_t>(slimtune_cpu_linear_blocks_work(s.n, s.in, s.out)));
        ASSERT_EQ(cpu::linearBlocks(y.data(), x.data(), w.blocks.data(), b.data(), work.data(),
                                    s.n, s.in, s.out, layout, f.code),
                  SLIMTUNE_KERNEL_OK);
        expectClose(y.data(), want, 1e-5);
        std::fill(y.begin(), y.end(), NAN);
        ASSERT_EQ(cpu::reference::linearBlocks(y.data(), x.data(), w.blocks.data(), b.data(),
                                               nullptr, s.n, s.in, s.out, layout, f.code),
                  SLIMTUNE_KERNEL_OK);
        expectClose(y.data(), want, 1e-5);
      }
}

TEST(WeightBlocks, RefusesRowsOfPartBlocksAndUnknownFormats) {
  std::vector<uint8_t> w(34 * 4);
  std::vector<float> x(48), y(8), work(1024);
  EXPECT_EQ(cpu::linearBlocks(y.data(), x.data(), w.data(), nullptr, work.data(), 1, 48, 2, 0,
                              SLIMTUNE_WEIGHT_Q8_0),
            SLIMTUNE_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(cpu::linearBlocks(y.data(), x.data(), w.data(), nullptr, work.data(), 1, 32, 2, 0,
                              SLIMTUNE_WEIGHT_BF16),
            SLIMTUNE_KERNEL_INVALID_ARGUMENT);
}

TEST(WeightBlocks, EmbeddingDecodesTheGatheredRows) {
  for (const Format &f : kFormats) {
    const int64_t vocab = 40, c = 64;
    Coded table = code(f.type, vocab * c, 13);
    const std::vector<int32_t> ids = {3, 39, 0, 3, 17};
    std::vector<float> out(ids.size() * c, NAN), ref(ids.size() * c, NAN);
    ASSERT_EQ(cpu::embeddingBlocks(out.data(), table.blocks.data(), ids.data(),
                                   static_cast<int64_t>(ids.size()), c, vocab, f.code),
              SLIMTUNE_KERNEL_OK);
    ASSERT_EQ(cpu::reference::embeddingBlocks(ref.data(), table.blocks.data(), ids.data(),
                                              static_cast<int64_t>(ids.size()), c, vocab, f.code),
              SLIMTUNE_KERNEL_OK);
    for (size_t i = 0; i < ids.size(); ++i)
      for (int64_t j = 0; j < c; ++j) {
        EXPECT_EQ(out[i * c + j], table.values[ids[i] * c + j]);
        EXPECT_EQ(ref[i * c + j], table.values[ids[i] * c + j]);
      }
  }
}

// The fused head and loss with a head in blocks: the fast kernel (chunks of 3 rows) against
// the reference in double on the decoded weight.
TEST(WeightBlocks, HeadAndLossMatchTheReference) {
  for (const Format &f : kFormats)
    for (int32_t layout : {0, 1}) {
      const int64_t n = 8, in = 64, vocab = 96, chunk = 3;
      Coded w = code(f.type, in * vocab, 17);
      std::vector<float> x = randomValues(n * in, 19);
      std::vector<int32_t> targets = {1, 95, -100, 7, 0, 50, 50, 3};
      std::vector<float> dx(n * in, NAN),
          work(static_cast<size_t>(slimtune_cpu_linear_cross_entropy_work(n, in, vocab, chunk, f.code)));
      float loss = NAN;
      ASSERT_EQ(cpu::linearCrossEntropy(&loss, dx.data(), x.data(), w.blocks.data(), targets.data(),
                                        work.data(), n, in, vocab, chunk, layout, f.code, -100),
                SLIMTUNE_KERNEL_OK);
      std::vector<double> xd(x.begin(), x.end()), wd(w.values.begin(), w.values.end()), dxd(n * in);
      double lossd = 0;
      // The double reference reads an f32 weight: give it the decoded values.
      ASSERT_EQ(cpu::reference::linearCrossEntropy<double>(&lossd, dxd.data(), xd.data(), wd.data(),
                                                           targets.data(), nullptr, n, in, vocab,
                                                           chunk, layout, SLIMTUNE_WEIGHT_F32, -100),
                SLIMTUNE_KERNEL_OK);
      EXPECT_NEAR(loss, lossd, 1e-5 * std::fabs(lossd));
      expectClose(dx.data(), dxd, 1e-5);
      float lossRef = NAN;
      std::vector<float> dxRef(n * in, NAN);
      ASSERT_EQ(cpu::reference::linearCrossEntropy<float>(&lossRef, dxRef.data(), x.data(),
                                                          w.blocks.data(), targets.data(), nullptr,
                                                          n, in, vocab, chunk, layout, f.code, -100),
                SLIMTUNE_KERNEL_OK);
      EXPECT_NEAR(lossRef, lossd, 1e-5 * std::fabs(lossd));
      expectClose(dxRef.data(), dxd, 1e-5);
    }
}

} // namespace
