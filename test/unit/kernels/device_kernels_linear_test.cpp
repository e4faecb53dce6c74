// Device kernels (device_kernel_test.h), linear layers and LoRA: linear, linear_bf16,
// weight_grad, sum_rows, lora, lora_grad, merge_lora.
#include "kernels/device_buffers.h"
#include "kernels/device_kernel_test.h"
#include "kernels/common/bf16.h"
#include "kernels/cpu/cross_entropy_reference.h"
#include "kernels/cpu/linear_cross_entropy_reference.h"
#include "kernels/cpu/linear_reference.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace slimtune::testing {
namespace {

//===-- Linear layers and LoRA: magnitudes from the reference on |inputs| -----------------===//

struct GemmShape {
  int64_t n, in, out;
};
const GemmShape kGemmShapes[] = {{1, 1, 1}, {33, 64, 257}, {300, 777, 130}};

TEST_P(DeviceKernels, Linear) {
  Rng rng(11);
  for (GemmShape s : kGemmShapes)
    for (int32_t layout : {0, 1})
      for (bool withBias : {false, true}) {
        const std::string l =
            label<SLIMTUNE_KERNEL_LINEAR>(cat("n ", s.n, " in ", s.in, " out ", s.out, " layout ",
                                              layout, withBias ? " bias" : " no bias"));
        std::vector<float> x = rng.uniform(s.n * s.in), w = rng.uniform(s.in * s.out),
                           b = rng.uniform(s.out);
        DeviceBuffers d(device());
        float *y = d.filled(s.n * s.out, 0.0f);
        const float *dX = d.upload(x), *dW = d.upload(w), *dB = withBias ? d.upload(b) : nullptr;
        ASSERT_TRUE(d.ok());
        onDevice<SLIMTUNE_KERNEL_LINEAR>(l, y, dX, dW, dB, s.n, s.in, s.out, layout);
        std::vector<float> ref(s.n * s.out), magnitude(ref.size());
        onHost<SLIMTUNE_KERNEL_LINEAR>(l, ref.data(), x.data(), w.data(),
                                       withBias ? b.data() : nullptr, s.n, s.in, s.out, layout);
        const std::vector<float> ax = absolute(x), aw = absolute(w), ab = absolute(b);
        onHost<SLIMTUNE_KERNEL_LINEAR>(l, magnitude.data(), ax.data(), aw.data(),
                                       withBias ? ab.data() : nullptr, s.n, s.in, s.out, layout);
        expectClose(l, "y", d.download(y, ref.size()), ref, toDoubles(magnitude));
      }
}

// bf16 weights: the kernel rounds x to bf16 and sums exact products in fp32, as the reference
// does from the same inputs, so the fp32 rule applies, with the magnitude from the reference on
// |x|, |W|, |b| (bf16 rounding commutes with |.|). The workspace is the backends' size with
// guard floats after it, which the kernel must leave alone. Shapes add an odd n * in (the
// workspace's last bf16 is padding) and in = 0 (y = b).
TEST_P(DeviceKernels, LinearBf16) {
  Rng rng(41);
  constexpr int64_t kGuard = 16;
  constexpr float kGuardValue = -1234.5f;
  for (GemmShape s : {GemmShape{1, 1, 1}, GemmShape{3, 5, 9}, GemmShape{4, 0, 5},
                      GemmShape{33, 64, 257}, GemmShape{300, 777, 130},
                      GemmShape{5, 9000, 300}})
    for (int32_t layout : {0, 1})
      for (bool withBias : {false, true}) {
        const std::string l = label<SLIMTUNE_KERNEL_LINEAR_BF16>(cat(
            "n ", s.n, " in ", s.in, " out ", s.out, " layout ", layout,
            withBias ? " bias" : " no bias"));
        std::vector<float> x = rng.uniform(s.n * s.in, -2.0f, 2.0f), b = rng.uniform(s.out);
        std::vector<uint16_t> w = toBf16(rng.uniform(s.in * s.out));
        const int64_t workFloats = linearBf16Work(s.n, s.in, s.out);
        ASSERT_GE(workFloats * 2, s.n * s.in) << l;
        DeviceBuffers d(device());
        float *y = d.filled(s.n * s.out, -7.0f);
        float *work = d.filled(workFloats + kGuard, kGuardValue);
        const float *dX = d.upload(x), *dB = withBias ? d.upload(b) : nullptr;
        const uint16_t *dW = d.upload(w);
        ASSERT_TRUE(d.ok());
        onDevice<SLIMTUNE_KERNEL_LINEAR_BF16>(l, y, dX, dW, dB, reinterpret_cast<uint16_t *>(work),
                                              s.n, s.in, s.out, layout);
        std::vector<float> ref(s.n * s.out), magnitude(ref.size());
        std::vector<uint16_t> hostWork(s.n * s.in + 1);
        onHost<SLIMTUNE_KERNEL_LINEAR_BF16>(l, ref.data(), x.data(), w.data(),
                                            withBias ? b.data() : nullptr, hostWork.data(), s.n,
                                            s.in, s.out, layout);
        const std::vector<float> ax = absolute(x), ab = absolute(b);
        const std::vector<uint16_t> aw = absoluteBf16(w);
        onHost<SLIMTUNE_KERNEL_LINEAR_BF16>(l, magnitude.data(), ax.data(), aw.data(),
                                            withBias ? ab.data() : nullptr, hostWork.data(), s.n,
                                            s.in, s.out, layout);
        expectClose(l, "y", d.download(y, ref.size()), ref, toDoubles(magnitude));
        const std::vector<float> after = d.download(work, workFloats + kGuard);
        expectClose(l, "the floats after the workspace",
                    std::vector<float>(after.begin() + workFloats, after.end()),
                    std::vector<float>(kGuard, kGuardValue), {}, 0.0);
      }
}

TEST_P(DeviceKernels, WeightGrad) {
  Rng rng(12);
  for (GemmShape s : kGemmShapes)
    for (int32_t layout : {0, 1}) {
      const std::string l = label<SLIMTUNE_KERNEL_WEIGHT_GRAD>(
          cat("n ", s.n, " in ", s.in, " out ", s.out, " layout ", layout));
      std::vector<float> dy = rng.uniform(s.n * s.out), x = rng.uniform(s.n * s.in);
      DeviceBuffers d(device());
      float *dw = d.filled(s.in * s.out, 3.0f);
      const float *dDy = d.upload(dy), *dX = d.upload(x);
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_WEIGHT_GRAD>(l, dw, dDy, dX, s.n, s.in, s.out, layout);
      std::vector<float> ref(s.in * s.out), magnitude(ref.size());
      onHost<SLIMTUNE_KERNEL_WEIGHT_GRAD>(l, ref.data(), dy.data(), x.data(), s.n, s.in, s.out,
                                          layout);
      const std::vector<float> ady = absolute(dy), ax = absolute(x);
      onHost<SLIMTUNE_KERNEL_WEIGHT_GRAD>(l, magnitude.data(), ady.data(), ax.data(), s.n, s.in,
                                          s.out, layout);
      expectClose(l, "dw", d.download(dw, ref.size()), ref, toDoubles(magnitude));
    }
}

TEST_P(DeviceKernels, SumRows) {
  Rng rng(13);
  for (RowShape s : {RowShape{1, 1}, RowShape{1000, 3}, RowShape{300, 777}}) {
    const std::string l = label<SLIMTUNE_KERNEL_SUM_ROWS>(cat("n ", s.n, " c ", s.c));
    std::vector<float> dy = rng.uniform(s.n * s.c);
    DeviceBuffers d(device());
    float *db = d.filled(s.c, 3.0f);
    const float *dDy = d.upload(dy);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_SUM_ROWS>(l, db, dDy, s.n, s.c);
    std::vector<float> ref(s.c), magnitude(s.c);
    onHost<SLIMTUNE_KERNEL_SUM_ROWS>(l, ref.data(), dy.data(), s.n, s.c);
    const std::vector<float> ady = absolute(dy);
    onHost<SLIMTUNE_KERNEL_SUM_ROWS>(l, magnitude.data(), ady.data(), s.n, s.c);
    expectClose(l, "db", d.download(db, ref.size()), ref, toDoubles(magnitude));
  }
}

// CE-LoRA's input gradient: step 0 (exact, selecting), a refresh step and a step that keeps
// the columns it is given; both layouts, fp32 and bf16 weights. The columns must agree
// exactly (the scores are summed in the same order everywhere); dx is checked against the
// reference with the magnitudes of the same products on |inputs| (the selection depends on
// |dy| only, so it is the same there).
TEST_P(DeviceKernels, SampledLinearGrad) {
  Rng rng(29);
  struct Shape {
    int64_t n, in, out, k, r;
  };
  for (Shape s : {Shape{1, 2, 3, 1, 1}, Shape{33, 64, 96, 53, 8}, Shape{200, 129, 300, 170, 16}})
    for (int32_t layout : {0, 1})
      for (int32_t bf16 : {0, 1})
        for (auto [step, refresh] : {std::pair{0, 200}, {4, 2}, {5, 200}}) {
          const std::string l = label<SLIMTUNE_KERNEL_SAMPLED_LINEAR_GRAD>(
              cat("n ", s.n, " in ", s.in, " out ", s.out, " k ", s.k, " layout ", layout,
                  " bf16 ", bf16, " step ", step));
          const int64_t rows = layout ? s.in : s.out, cols = layout ? s.out : s.in;
          std::vector<float> dy = rng.uniform(s.n * s.out), w = rng.uniform(rows * cols),
                             left = rng.uniform(rows * s.r), right = rng.uniform(s.r * cols),
                             norms = rng.uniform(s.out, 0.5f, 2.0f);
          std::vector<uint16_t> wBits = toBf16(w);
          if (bf16) // the reference reads the same rounded weights
            for (size_t i = 0; i < w.size(); ++i)
              w[i] = common::bf16BitsToF32(wBits[i]);
          std::vector<int32_t> given(s.k);
          for (int64_t d = 0; d < s.k; ++d)
            given[d] = static_cast<int32_t>(d * s.out / s.k);
          DeviceBuffers d(device());
          float *dDx = d.filled(s.n * s.in, 3.0f);
          int32_t *dColumns = d.upload(given);
          const float *dDy = d.upload(dy), *dLeft = d.upload(left), *dRight = d.upload(right),
                      *dNorms = d.upload(norms);
          const void *dW = bf16 ? static_cast<const void *>(d.upload(wBits))
                                : static_cast<const void *>(d.upload(w));
          float *dWork = d.filled(sampledLinearGradWork(s.n, s.in, s.out, s.k, s.r), 0.0f);
          const int32_t *dStep = d.upload(std::vector<int32_t>{step});
          ASSERT_TRUE(d.ok());
          onDevice<SLIMTUNE_KERNEL_SAMPLED_LINEAR_GRAD>(l, dDx, dColumns, dColumns, dDy, dW, dLeft,
                                                        dRight, dNorms, dWork, s.n, s.in, s.out,
                                                        s.k, s.r, int64_t(refresh), layout, bf16,
                                                        dStep);
          std::vector<float> ref(s.n * s.in), magnitude(ref.size());
          std::vector<int32_t> columns = given, again = given;
          onHost<SLIMTUNE_KERNEL_SAMPLED_LINEAR_GRAD>(
              l, ref.data(), columns.data(), columns.data(), dy.data(),
              static_cast<const void *>(w.data()), left.data(), right.data(), norms.data(),
              nullptr, s.n, s.in, s.out, s.k, s.r, int64_t(refresh), layout, 0, &step);
          const std::vector<float> ady = absolute(dy), aw = absolute(w), al = absolute(left),
                                   ar = absolute(right);
          onHost<SLIMTUNE_KERNEL_SAMPLED_LINEAR_GRAD>(
              l, magnitude.data(), again.data(), again.data(), ady.data(),
              static_cast<const void *>(aw.data()), al.data(), ar.data(), norms.data(), nullptr,
              s.n, s.in, s.out, s.k, s.r, int64_t(refresh), layout, 0, &step);
          EXPECT_EQ(d.download(dColumns, s.k), columns) << l;
          expectClose(l, "dx", d.download(dDx, ref.size()), ref, toDoubles(magnitude));
        }
}

struct LoraShape {
  int64_t n, in, out, r;
};
const LoraShape kLoraShapes[] = {{1, 1, 1, 1}, {33, 64, 96, 16}, {300, 777, 257, 8}};

// lora on |x|, |a|, |b| with the same dropout mask (seed and step) bounds the terms of every
// output: the magnitudes.
TEST_P(DeviceKernels, Lora) {
  Rng rng(14);
  for (LoraShape s : kLoraShapes)
    for (float p : {0.0f, 0.1f}) {
      const std::string l = label<SLIMTUNE_KERNEL_LORA>(
          cat("n ", s.n, " in ", s.in, " out ", s.out, " r ", s.r, " p ", p));
      std::vector<float> x = rng.uniform(s.n * s.in), a = rng.uniform(s.r * s.in),
                         b = rng.uniform(s.out * s.r);
      const float scale = 2.0f;
      const int64_t seed = 1234;
      const int32_t step = 5;
      const int64_t work = loraWork(s.n, s.in, s.r, p);
      DeviceBuffers d(device());
      float *y = d.filled(s.n * s.out, 3.0f), *dWork = d.filled(work, 0.0f);
      const float *dX = d.upload(x), *dA = d.upload(a), *dB = d.upload(b);
      const int32_t *dStep = d.upload(std::vector<int32_t>{step});
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_LORA>(l, y, dX, dA, dB, dWork, s.n, s.in, s.out, s.r, scale, p, seed,
                                     dStep);
      std::vector<float> ref(s.n * s.out), magnitude(ref.size()), hostWork(work);
      onHost<SLIMTUNE_KERNEL_LORA>(l, ref.data(), x.data(), a.data(), b.data(), hostWork.data(),
                                   s.n, s.in, s.out, s.r, scale, p, seed, &step);
      const std::vector<float> ax = absolute(x), aa = absolute(a), ab = absolute(b);
      onHost<SLIMTUNE_KERNEL_LORA>(l, magnitude.data(), ax.data(), aa.data(), ab.data(),
                                   hostWork.data(), s.n, s.in, s.out, s.r, scale, p, seed, &step);
      expectClose(l, "y", d.download(y, ref.size()), ref, toDoubles(magnitude));
    }
}

TEST_P(DeviceKernels, LoraGrad) {
  Rng rng(15);
  for (LoraShape s : kLoraShapes)
    for (float p : {0.0f, 0.1f}) {
      const std::string l = label<SLIMTUNE_KERNEL_LORA_GRAD>(
          cat("n ", s.n, " in ", s.in, " out ", s.out, " r ", s.r, " p ", p));
      std::vector<float> dy = rng.uniform(s.n * s.out), x = rng.uniform(s.n * s.in),
                         a = rng.uniform(s.r * s.in), b = rng.uniform(s.out * s.r);
      const float scale = 0.5f;
      const int64_t seed = 99;
      const int32_t step = 12;
      const int64_t work = loraGradWork(s.n, s.in, s.r, p);
      DeviceBuffers d(device());
      float *dx = d.filled(s.n * s.in, 3.0f), *da = d.filled(s.r * s.in, 3.0f),
            *db = d.filled(s.out * s.r, 3.0f), *dWork = d.filled(work, 0.0f);
      const float *dDy = d.upload(dy), *dX = d.upload(x), *dA = d.upload(a), *dB = d.upload(b);
      const int32_t *dStep = d.upload(std::vector<int32_t>{step});
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_LORA_GRAD>(l, dx, da, db, dDy, dX, dA, dB, dWork, s.n, s.in, s.out,
                                          s.r, scale, p, seed, dStep);
      std::vector<float> dxRef(s.n * s.in), daRef(s.r * s.in), dbRef(s.out * s.r), hostWork(work);
      onHost<SLIMTUNE_KERNEL_LORA_GRAD>(l, dxRef.data(), daRef.data(), dbRef.data(), dy.data(),
                                        x.data(), a.data(), b.data(), hostWork.data(), s.n, s.in,
                                        s.out, s.r, scale, p, seed, &step);
      std::vector<float> dxMag(dxRef.size()), daMag(daRef.size()), dbMag(dbRef.size());
      const std::vector<float> ady = absolute(dy), ax = absolute(x), aa = absolute(a),
                               ab = absolute(b);
      onHost<SLIMTUNE_KERNEL_LORA_GRAD>(l, dxMag.data(), daMag.data(), dbMag.data(), ady.data(),
                                        ax.data(), aa.data(), ab.data(), hostWork.data(), s.n, s.in,
                                        s.out, s.r, scale, p, seed, &step);
      expectClose(l, "dx", d.download(dx, dxRef.size()), dxRef, toDoubles(dxMag));
      expectClose(l, "da", d.download(da, daRef.size()), daRef, toDoubles(daMag));
      expectClose(l, "db", d.download(db, dbRef.size()), dbRef, toDoubles(dbMag));
    }
}

// w2 = w + scale B A (or its transpose); w2 may alias w.
TEST_P(DeviceKernels, MergeLora) {
  Rng rng(16);
  for (LoraShape s : {LoraShape{0, 1, 1, 1}, LoraShape{0, 64, 257, 16}, LoraShape{0, 777, 300, 8}})
    for (int32_t layout : {0, 1})
      for (bool alias : {false, true}) {
        const std::string l = label<SLIMTUNE_KERNEL_MERGE_LORA>(
            cat("in ", s.in, " out ", s.out, " r ", s.r, " layout ", layout, alias ? " w2=w" : ""));
        std::vector<float> w = rng.uniform(s.in * s.out), a = rng.uniform(s.r * s.in),
                           b = rng.uniform(s.out * s.r);
        const float scale = 1.5f;
        DeviceBuffers d(device());
        float *dW = d.upload(w);
        float *w2 = alias ? dW : d.filled(w.size(), 3.0f);
        const float *dA = d.upload(a), *dB = d.upload(b);
        ASSERT_TRUE(d.ok());
        onDevice<SLIMTUNE_KERNEL_MERGE_LORA>(l, w2, dW, dA, dB, s.in, s.out, s.r, scale, layout);
        std::vector<float> ref(w.size()), magnitude(w.size());
        onHost<SLIMTUNE_KERNEL_MERGE_LORA>(l, ref.data(), w.data(), a.data(), b.data(), s.in, s.out,
                                           s.r, scale, layout);
        const std::vector<float> aw = absolute(w), aa = absolute(a), ab = absolute(b);
        onHost<SLIMTUNE_KERNEL_MERGE_LORA>(l, magnitude.data(), aw.data(), aa.data(), ab.data(),
                                           s.in, s.out, s.r, scale, layout);
        expectClose(l, "w2", d.download(w2, ref.size()), ref, toDoubles(magnitude));
      }
}

// The head fused with its loss: against its reference (the unfused, unchunked definition) in
// double on the same inputs, fp32 and bf16 weights, both layouts, chunks that do and do not
// divide the rows or exceed them, ignored rows, an all-ignored batch, dx null. Tolerances:
// the loss 1e-5 relative (a mean of fp32 row terms); dx element (i, k) within
// t * sum_j |dlogits[i, j] W[j, k]| (+1e-9), t = 1e-5 for fp32 weights and 2^-7 for bf16 ones,
// where the kernel rounds its fp32 dlogits to bf16 and the reference its double ones, so an
// element near a rounding boundary may land one bf16 step apart. A wrong chunk, row, layout or
// count is off by O(1) of that sum.
TEST_P(DeviceKernels, LinearCrossEntropy) {
  Rng rng(43);
  const int32_t ignore = -100;
  struct Shape {
    int64_t n, in, vocab, chunk;
    int ignoreEvery; // 0: no row ignored, 1: all
  };
  for (Shape s : {Shape{1, 1, 1, 1, 0}, Shape{37, 24, 301, 8, 3}, Shape{64, 40, 999, 256, 5},
                  Shape{5, 16, 77, 2, 1}, Shape{50, 64, 9000, 16, 4}})
    for (int32_t bf16 : {0, 1})
      for (int32_t layout : {0, 1})
        for (bool withDx : {true, false}) {
          const std::string l = label<SLIMTUNE_KERNEL_LINEAR_CROSS_ENTROPY>(
              cat("n ", s.n, " in ", s.in, " vocab ", s.vocab, " chunk ", s.chunk, " layout ",
                  layout, bf16 ? " bf16" : " f32", withDx ? "" : " dx null"));
          std::vector<float> x = rng.uniform(s.n * s.in, -2.0f, 2.0f),
                             wf = rng.uniform(s.in * s.vocab, -0.5f, 0.5f);
          const std::vector<uint16_t> w16 = toBf16(wf);
          if (bf16)
            for (size_t i = 0; i < wf.size(); ++i)
              wf[i] = common::bf16BitsToF32(w16[i]);
          std::vector<int32_t> targets = rng.ints(s.n, 0, static_cast<int32_t>(s.vocab));
          for (int64_t i = 0; i < s.n; ++i)
            if (s.ignoreEvery > 0 && i % s.ignoreEvery == 0)
              targets[i] = ignore;
          const int64_t workFloats =
              std::max(slimtune_cpu_linear_cross_entropy_work(s.n, s.in, s.vocab, s.chunk, bf16),
                       slimtune_cuda_linear_cross_entropy_work(s.n, s.in, s.vocab, s.chunk, bf16));
          DeviceBuffers d(device());
          float *loss = d.filled(1, 3.0f), *dx = withDx ? d.filled(x.size(), 3.0f) : nullptr;
          float *work = d.filled(workFloats, 7.0f);
          const float *dX = d.upload(x);
          const void *dW = bf16 ? static_cast<const void *>(d.upload(w16))
                                : static_cast<const void *>(d.upload(wf));
          const int32_t *dTargets = d.upload(targets);
          ASSERT_TRUE(d.ok());
          onDevice<SLIMTUNE_KERNEL_LINEAR_CROSS_ENTROPY>(l, loss, dx, dX, dW, dTargets, work, s.n,
                                                         s.in, s.vocab, s.chunk, layout, bf16,
                                                         ignore);
          // The reference in double, on the weight as stored (bf16 widened: exact).
          std::vector<double> wideX(x.begin(), x.end()), wideW(wf.begin(), wf.end()),
              wideDx(x.size());
          double wideLoss = 0;
          const void *refW = bf16 ? static_cast<const void *>(w16.data())
                                  : static_cast<const void *>(wideW.data());
          cpu::reference::linearCrossEntropy<double>(&wideLoss, wideDx.data(), wideX.data(), refW,
                                                     targets.data(), nullptr, s.n, s.in, s.vocab,
                                                     s.chunk, layout, bf16, ignore);
          const float got = d.download(loss, 1)[0];
          EXPECT_LE(std::fabs(got - wideLoss), 1e-5 * std::max(1.0, std::fabs(wideLoss))) << l;
          if (!withDx)
            continue;
          // sum_j |dlogits[i, j] W[j, k]| from the reference's logits gradient.
          std::vector<double> dl(s.n * s.vocab), logits(s.n * s.vocab);
          cpu::reference::linear<double>(logits.data(), wideX.data(), wideW.data(), nullptr, s.n,
                                         s.in, s.vocab, layout);
          double unused;
          cpu::reference::crossEntropy<double>(&unused, dl.data(), logits.data(), targets.data(),
                                               s.n, s.vocab, ignore);
          const std::vector<float> gotDx = d.download(dx, x.size());
          const double t = bf16 ? std::ldexp(1.0, -7) : 1e-5;
          for (int64_t i = 0; i < s.n; ++i)
            for (int64_t k = 0; k < s.in; ++k) {
              double magnitude = 0;
              for (int64_t j = 0; j < s.vocab; ++j)
                magnitude += std::fabs(dl[i * s.vocab + j] *
                                       wideW[layout == 0 ? j * s.in + k : k * s.vocab + j]);
              ASSERT_LE(std::fabs(gotDx[i * s.in + k] - wideDx[i * s.in + k]),
                        t * magnitude + 1e-9)
                  << l << " dx at (" << i << ", " << k << ")";
            }
        }
}

} // namespace
} // namespace slimtune::testing
