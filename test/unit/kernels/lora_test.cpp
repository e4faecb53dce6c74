// The LoRA adapter (lora, lora_grad): the reference against the plain formula and finite
// differences, each backend's fast kernels against the reference, the dropout mask against
// slimtune_dropout_keep, and the CPU's workspace sizes (workspace.h: nothing written past them).
#include "kernels/backend_test.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/lora_reference.h"
#include "kernels/cpu/workspace.h"
#include "support/gradient_check.h"

#include <gtest/gtest.h>

#include <vector>

using namespace slimtune::cpu;
using namespace slimtune::testing;

namespace {

struct Shape {
  int64_t n, in, out, r;
};

// Odd sizes; the last two have the LoRA rank 16 / 8 against wider layers.
const std::vector<Shape> kShapes = {{1, 5, 3, 2}, {7, 13, 9, 4}, {33, 45, 70, 16}, {97, 130, 75, 8}};
constexpr int64_t kSeed = 0x5eed;
constexpr float kScale = 1.75f;

// A workspace of exactly `floats` floats followed by a guard band, to catch writes past the
// size workspace.h promises.
struct GuardedWork {
  static constexpr int64_t kGuard = 64;
  static constexpr float kCanary = -12345.0f;
  int64_t floats;
  std::vector<float> buffer;
  explicit GuardedWork(int64_t floats) : floats(floats), buffer(floats + kGuard, kCanary) {}
  float *data() { return buffer.data(); }
  bool guardIntact() const {
    for (int64_t i = floats; i < floats + kGuard; ++i)
      if (buffer[i] != kCanary)
        return false;
    return true;
  }
};

// scale * (x A^T) B^T by two plain GEMMs in double: LoRA without dropout.
std::vector<double> loraWithoutDropout(const std::vector<float> &x, const std::vector<float> &a,
                                       const std::vector<float> &b, const Shape &s) {
  std::vector<double> u(s.n * s.r), y(s.n * s.out);
  gemmReference<double>(false, true, s.n, s.r, s.in, 1.0, toDouble(x).data(), s.in,
                        toDouble(a).data(), s.in, 0.0, u.data(), s.r);
  gemmReference<double>(false, true, s.n, s.out, s.r, kScale, u.data(), s.r, toDouble(b).data(),
                        s.r, 0.0, y.data(), s.out);
  return y;
}

// dot(lora_reference<double>(x, a, b), w) at the given dropout rate and step.
double loraLoss(const std::vector<double> &x, const std::vector<double> &a,
                const std::vector<double> &b, const std::vector<float> &w, const Shape &s,
                float p, int32_t step) {
  std::vector<double> y(s.n * s.out), work(slimtune_cpu_lora_work(s.n, s.in, s.r, p));
  reference::lora(y.data(), x.data(), a.data(), b.data(), work.data(), s.n, s.in, s.out, s.r,
                  double(kScale), p, kSeed, &step);
  return dot(y, w);
}

bool keeps(int64_t seed, int32_t step, int64_t index, float p) {
  return slimtune_dropout_keep(static_cast<uint64_t>(seed), step, static_cast<uint64_t>(index), p);
}

} // namespace

class LoraFast : public BackendTest {};
SLIMTUNE_INSTANTIATE_BACKENDS(LoraFast);

// p = 0 is no dropout: reference and fast kernel equal the plain two-GEMM formula. Tolerance
// 1e-5 relative to the largest |y| (fp32 rounding; rank-r inner products of length <= 130).
TEST_P(LoraFast, WithoutDropoutMatchesPlainFormula) {
  uint64_t seed = 1;
  int32_t step = 3;
  for (const Shape &s : kShapes) {
    std::vector<float> x = randomVector(s.n * s.in, seed++);
    std::vector<float> a = randomVector(s.r * s.in, seed++);
    std::vector<float> b = randomVector(s.out * s.r, seed++);
    std::vector<double> want = loraWithoutDropout(x, a, b, s);

    std::vector<float> yRef(s.n * s.out), yFast(s.n * s.out, 99.0f);
    std::vector<float> work(slimtune_cpu_lora_work(s.n, s.in, s.r, 0.0f));
    reference::lora(yRef.data(), x.data(), a.data(), b.data(), work.data(), s.n, s.in, s.out,
                    s.r, kScale, 0.0f, kSeed, &step);
    run<SLIMTUNE_KERNEL_LORA>(yFast.data(), x.data(), a.data(), b.data(), work.data(), s.n, s.in,
                              s.out, s.r, kScale, 0.0f, kSeed, &step);
    EXPECT_LT(relativeError(yRef, want), 1e-5) << s.n << "x" << s.in << "x" << s.out;
    EXPECT_LT(relativeError(yFast, want), 1e-5) << s.n << "x" << s.in << "x" << s.out;
  }
}

// Fast vs reference<float>, with and without dropout, in workspaces of exactly
// slimtune_cpu_lora_work / slimtune_cpu_lora_grad_work floats. Tolerance 1e-5 relative to the
// largest value of each output.
TEST_P(LoraFast, MatchesReference) {
  uint64_t seed = 100;
  int32_t step = 7;
  for (const Shape &s : kShapes)
    for (float p : {0.0f, 0.1f, 0.5f}) {
      std::vector<float> x = randomVector(s.n * s.in, seed++);
      std::vector<float> a = randomVector(s.r * s.in, seed++);
      std::vector<float> b = randomVector(s.out * s.r, seed++);
      std::vector<float> want(s.n * s.out), got(s.n * s.out, 99.0f);
      GuardedWork refWork(slimtune_cpu_lora_work(s.n, s.in, s.r, p));
      GuardedWork fastWork(slimtune_cpu_lora_work(s.n, s.in, s.r, p));
      reference::lora(want.data(), x.data(), a.data(), b.data(), refWork.data(), s.n, s.in,
                      s.out, s.r, kScale, p, kSeed, &step);
      run<SLIMTUNE_KERNEL_LORA>(got.data(), x.data(), a.data(), b.data(), fastWork.data(), s.n,
                                s.in, s.out, s.r, kScale, p, kSeed, &step);
      EXPECT_LT(relativeError(got, want), 1e-5) << s.n << "x" << s.in << " p " << p;
      EXPECT_TRUE(refWork.guardIntact());
      EXPECT_TRUE(fastWork.guardIntact()) << s.n << "x" << s.in << " p " << p;
    }
}

TEST_P(LoraFast, GradMatchesReference) {
  uint64_t seed = 200;
  int32_t step = 11;
  for (const Shape &s : kShapes)
    for (float p : {0.0f, 0.1f, 0.5f}) {
      std::vector<float> x = randomVector(s.n * s.in, seed++);
      std::vector<float> a = randomVector(s.r * s.in, seed++);
      std::vector<float> b = randomVector(s.out * s.r, seed++);
      std::vector<float> dy = randomVector(s.n * s.out, seed++);
      std::vector<float> dxRef(s.n * s.in), daRef(s.r * s.in), dbRef(s.out * s.r);
      std::vector<float> dx(s.n * s.in, 99.0f), da(s.r * s.in, 99.0f), db(s.out * s.r, 99.0f);
      GuardedWork refWork(slimtune_cpu_lora_grad_work(s.n, s.in, s.r, p));
      GuardedWork fastWork(slimtune_cpu_lora_grad_work(s.n, s.in, s.r, p));
      reference::loraGrad(dxRef.data(), daRef.data(), dbRef.data(), dy.data(), x.data(),
                          a.data(), b.data(), refWork.data(), s.n, s.in, s.out, s.r, kScale, p,
                          kSeed, &step);
      run<SLIMTUNE_KERNEL_LORA_GRAD>(dx.data(), da.data(), db.data(), dy.data(), x.data(), a.data(),
                                     b.data(), fastWork.data(), s.n, s.in, s.out, s.r, kScale, p,
                                     kSeed, &step);
      EXPECT_LT(relativeError(dx, dxRef), 1e-5) << s.n << "x" << s.in << " p " << p;
      EXPECT_LT(relativeError(da, daRef), 1e-5) << s.n << "x" << s.in << " p " << p;
      EXPECT_LT(relativeError(db, dbRef), 1e-5) << s.n << "x" << s.in << " p " << p;
      EXPECT_TRUE(refWork.guardIntact());
      EXPECT_TRUE(fastWork.guardIntact()) << s.n << "x" << s.in << " p " << p;
    }
}

// With A = I, B = I (r = out = in) and scale 1, lora's output is drop(x) itself: exactly 0
// where slimtune_dropout_keep(seed, *step, row-major index) drops, x / (1 - p) elsewhere
// (within 1 ulp: the kernel multiplies by 1 / (1 - p)). The mask is a function of
// (seed, step) only: the same pair repeats it, another step or seed changes it.
TEST_P(LoraFast, DropoutDropsExactlyTheHashedElements) {
  const int64_t n = 33, in = 20;
  const float p = 0.3f;
  std::vector<float> x = randomVector(n * in, 5);
  std::vector<float> identity(in * in, 0.0f);
  for (int64_t i = 0; i < in; ++i)
    identity[i * in + i] = 1.0f;
  auto forward = [&](int64_t seed, int32_t step, float rate) {
    std::vector<float> y(n * in), work(slimtune_cpu_lora_work(n, in, in, rate));
    run<SLIMTUNE_KERNEL_LORA>(y.data(), x.data(), identity.data(), identity.data(), work.data(), n,
                              in, in, in, 1.0f, rate, seed, &step);
    return y;
  };

  std::vector<float> y = forward(kSeed, 4, p);
  int64_t dropped = 0;
  for (int64_t e = 0; e < n * in; ++e) {
    if (keeps(kSeed, 4, e, p)) {
      EXPECT_FLOAT_EQ(y[e], x[e] / (1.0f - p)) << e;
    } else {
      EXPECT_EQ(y[e], 0.0f) << e;
      ++dropped;
    }
  }
  // 660 draws at p = 0.3: 198 expected, standard deviation 11.8.
  EXPECT_GT(dropped, 140);
  EXPECT_LT(dropped, 260);

  EXPECT_EQ(forward(kSeed, 4, p), y);
  EXPECT_NE(forward(kSeed, 5, p), y);
  EXPECT_NE(forward(kSeed + 1, 4, p), y);
  EXPECT_EQ(forward(kSeed, 4, 0.0f), x); // p = 0: no element dropped, none scaled
}

// loraGrad's dx is zero exactly where the forward dropped the input.
TEST_P(LoraFast, DropoutGradientIsZeroWhereDropped) {
  const Shape s = {9, 17, 11, 4};
  const float p = 0.4f;
  int32_t step = 21;
  std::vector<float> x = randomVector(s.n * s.in, 1), a = randomVector(s.r * s.in, 2),
                     b = randomVector(s.out * s.r, 3), dy = randomVector(s.n * s.out, 4);
  std::vector<float> dx(s.n * s.in), da(s.r * s.in), db(s.out * s.r);
  std::vector<float> work(slimtune_cpu_lora_grad_work(s.n, s.in, s.r, p));
  run<SLIMTUNE_KERNEL_LORA_GRAD>(dx.data(), da.data(), db.data(), dy.data(), x.data(), a.data(),
                                 b.data(), work.data(), s.n, s.in, s.out, s.r, kScale, p, kSeed,
                                 &step);
  int64_t kept = 0;
  for (int64_t e = 0; e < s.n * s.in; ++e) {
    if (keeps(kSeed, step, e, p)) {
      EXPECT_NE(dx[e], 0.0f) << e;
      ++kept;
    } else {
      EXPECT_EQ(dx[e], 0.0f) << e;
    }
  }
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, s.n * s.in);
}

// dx, dA, dB against central differences of the double reference forward with the same
// dropout mask (same seed and step): lora is linear in each of x, A, B, so the differences are
// exact up to rounding. reference<double> within 1e-6, fast fp32 within 1e-5, relative to the
// largest gradient.
TEST_P(LoraFast, GradientMatchesFiniteDifferences) {
  uint64_t seed = 300;
  for (Shape s : {Shape{3, 6, 5, 2}, Shape{7, 13, 9, 4}})
    for (float p : {0.0f, 0.3f}) {
      int32_t step = 2;
      std::vector<float> x = randomVector(s.n * s.in, seed++);
      std::vector<float> a = randomVector(s.r * s.in, seed++);
      std::vector<float> b = randomVector(s.out * s.r, seed++);
      std::vector<float> w = randomVector(s.n * s.out, seed++); // dy
      std::vector<double> xD = toDouble(x), aD = toDouble(a), bD = toDouble(b), wD = toDouble(w);

      std::vector<double> fdX = finiteDifference(
          [&](const std::vector<double> &v) { return loraLoss(v, aD, bD, w, s, p, step); }, xD);
      std::vector<double> fdA = finiteDifference(
          [&](const std::vector<double> &v) { return loraLoss(xD, v, bD, w, s, p, step); }, aD);
      std::vector<double> fdB = finiteDifference(
          [&](const std::vector<double> &v) { return loraLoss(xD, aD, v, w, s, p, step); }, bD);

      std::vector<double> dx(s.n * s.in), da(s.r * s.in), db(s.out * s.r);
      std::vector<double> work(slimtune_cpu_lora_grad_work(s.n, s.in, s.r, p));
      reference::loraGrad(dx.data(), da.data(), db.data(), wD.data(), xD.data(), aD.data(),
                          bD.data(), work.data(), s.n, s.in, s.out, s.r, double(kScale), p,
                          kSeed, &step);
      EXPECT_LT(relativeError(dx, fdX), 1e-6) << "p " << p;
      EXPECT_LT(relativeError(da, fdA), 1e-6) << "p " << p;
      EXPECT_LT(relativeError(db, fdB), 1e-6) << "p " << p;

      std::vector<float> dxF(s.n * s.in), daF(s.r * s.in), dbF(s.out * s.r);
      std::vector<float> workF(slimtune_cpu_lora_grad_work(s.n, s.in, s.r, p));
      run<SLIMTUNE_KERNEL_LORA_GRAD>(dxF.data(), daF.data(), dbF.data(), w.data(), x.data(),
                                     a.data(), b.data(), workF.data(), s.n, s.in, s.out, s.r,
                                     kScale, p, kSeed, &step);
      EXPECT_LT(relativeError(dxF, fdX), 1e-5) << "p " << p;
      EXPECT_LT(relativeError(daF, fdA), 1e-5) << "p " << p;
      EXPECT_LT(relativeError(dbF, fdB), 1e-5) << "p " << p;
    }
}
