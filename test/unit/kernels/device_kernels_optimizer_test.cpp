// Device kernels (device_kernel_test.h), loss and optimizer: cross_entropy, sum_squares,
// sqrt_f64, adamw.
#include "kernels/cpu/cross_entropy_reference.h"
#include "kernels/device_buffers.h"
#include "kernels/device_kernel_test.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace slimtune::testing {
namespace {

//===-- Loss and optimizer ----------------------------------------------------------------===//

// Some rows at the ignore index (or all of them); dlogits separate, null, or aliasing logits.
// The one kernel checked against its reference in double rather than the fp32 table entry:
// reference<float> sums exp over the vocabulary one by one in fp32, whose relative error
// grows with the vocabulary (bounded by vocab * 2^-24; measured 5e-5 at 49152, against a
// fast CPU kernel that sums in double), and every softmax value of the row inherits it. In
// double the reference's own error is negligible and the rule above applies unchanged.
TEST_P(DeviceKernels, CrossEntropy) {
  Rng rng(25);
  const int32_t ignore = -100;
  struct Shape {
    int64_t n, vocab;
    int ignoreEvery;
  }; // 0: no row ignored, 1: all
  for (Shape s : {Shape{1, 1, 0}, Shape{5, 7, 1}, Shape{300, 4999, 3}, Shape{37, 49152, 4}})
    for (int mode : {0, 1, 2}) { // 0 separate, 1 null, 2 aliased
      const std::string l = label<SLIMTUNE_KERNEL_CROSS_ENTROPY>(
          cat("n ", s.n, " vocab ", s.vocab, " ignore every ", s.ignoreEvery,
              mode == 0   ? " dlogits"
              : mode == 1 ? " dlogits null"
                          : " dlogits=logits"));
      std::vector<float> logits = rng.uniform(s.n * s.vocab, -8, 8);
      std::vector<int32_t> targets = rng.ints(s.n, 0, static_cast<int32_t>(s.vocab));
      for (int64_t i = 0; i < s.n; ++i)
        if (s.ignoreEvery > 0 && i % s.ignoreEvery == 0)
          targets[i] = ignore;
      DeviceBuffers d(device());
      float *loss = d.filled(1, 3.0f), *dLogits = d.upload(logits);
      float *dl = mode == 0 ? d.filled(logits.size(), 3.0f) : mode == 1 ? nullptr : dLogits;
      const int32_t *dTargets = d.upload(targets);
      ASSERT_TRUE(d.ok());
      onDevice<SLIMTUNE_KERNEL_CROSS_ENTROPY>(l, loss, dl, dLogits, dTargets, s.n, s.vocab, ignore);
      // The reference in double on the same fp32 inputs (see above), rounded to fp32.
      std::vector<double> wide(logits.begin(), logits.end()), wideSeparate(logits.size(), 3.0);
      double wideLoss = 3.0;
      double *wideDl = mode == 0 ? wideSeparate.data() : mode == 1 ? nullptr : wide.data();
      cpu::reference::crossEntropy<double>(&wideLoss, wideDl, wide.data(), targets.data(), s.n,
                                           s.vocab, ignore);
      const std::vector<float> hostLogits(wide.begin(), wide.end()),
          separate(wideSeparate.begin(), wideSeparate.end());
      expectClose(l, "loss", d.download(loss, 1), {static_cast<float>(wideLoss)});
      if (mode == 0)
        expectClose(l, "dlogits", d.download(dl, separate.size()), separate);
      // Aliased: dlogits overwrote logits; null: logits untouched.
      expectClose(l, mode == 2 ? "dlogits (= logits)" : "logits",
                  d.download(dLogits, hostLogits.size()), hostLogits);
    }
}

// *acc += sum x^2 onto a nonzero acc: 1e-9 relative (double).
TEST_P(DeviceKernels, SumSquares) {
  Rng rng(26);
  for (int64_t n : kElementCounts) {
    const std::string l = label<SLIMTUNE_KERNEL_SUM_SQUARES>(cat("n ", n, " acc 12.5"));
    std::vector<float> x = rng.uniform(n, -3, 3);
    DeviceBuffers d(device());
    double *acc = d.upload(std::vector<double>{12.5});
    const float *dX = d.upload(x);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_SUM_SQUARES>(l, acc, dX, n);
    double accRef = 12.5;
    onHost<SLIMTUNE_KERNEL_SUM_SQUARES>(l, &accRef, x.data(), n);
    expectCloseF64(l, "acc", d.download(acc, 1)[0], accRef, 1e-9);
  }
}

TEST_P(DeviceKernels, SqrtF64) {
  for (double value : {0.0, 2.0, 12345.678, 1e10, 3e-12}) {
    const std::string l = label<SLIMTUNE_KERNEL_SQRT_F64>(cat("acc ", value));
    DeviceBuffers d(device());
    float *out = d.filled(1, 3.0f);
    const double *acc = d.upload(std::vector<double>{value});
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_SQRT_F64>(l, out, acc);
    float ref = 3.0f;
    onHost<SLIMTUNE_KERNEL_SQRT_F64>(l, &ref, &value);
    expectClose(l, "out", d.download(out, 1), {ref});
  }
}

// With and without the sum_squares pointer (clipping on, off by pointer, off by max_norm 0), at
// t = 1 and t = 10. lr, step and sum_squares are device memory. p: magnitude |p| (1 + lr wd) +
// lr |update|; m = b1 m + (1 - b1) g' can cancel: magnitude b1 |m| + (1 - b1) |g'|.
TEST_P(DeviceKernels, Adamw) {
  Rng rng(27);
  for (int64_t n : kElementCounts)
    for (int clipMode :
         {0, 1, 2}) // 0: no pointer, 1: clipping (max_norm 1), 2: pointer, max_norm 0
      for (int32_t step : {0, 9}) {
        const std::string l = label<SLIMTUNE_KERNEL_ADAMW>(cat("n ", n,
                                                               clipMode == 0   ? " no sum_squares"
                                                               : clipMode == 1 ? " clip max_norm 1"
                                                                               : " max_norm 0",
                                                               " step ", step));
        std::vector<float> p = rng.uniform(n), m = rng.uniform(n, -0.1f, 0.1f),
                           v = rng.uniform(n, 0.0f, 0.01f), g = rng.uniform(n, -0.5f, 0.5f);
        double squares = 0;
        for (float gi : g)
          squares += double(gi) * gi;
        squares += 4.0; // the other parameters' share: the norm exceeds max_norm
        const float lr = 1e-3f, maxNorm = clipMode == 1 ? 1.0f : 0.0f;
        const float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, wd = 0.01f;
        DeviceBuffers d(device());
        float *dP = d.upload(p), *dM = d.upload(m), *dV = d.upload(v);
        const float *dG = d.upload(g), *dLr = d.upload(std::vector<float>{lr});
        const int32_t *dStep = d.upload(std::vector<int32_t>{step});
        const double *dSquares = clipMode == 0 ? nullptr : d.upload(std::vector<double>{squares});
        ASSERT_TRUE(d.ok());
        onDevice<SLIMTUNE_KERNEL_ADAMW>(l, dP, dM, dV, dG, n, dLr, dStep, dSquares, maxNorm, beta1,
                                        beta2, eps, wd);
        std::vector<float> pRef = p, mRef = m, vRef = v;
        onHost<SLIMTUNE_KERNEL_ADAMW>(l, pRef.data(), mRef.data(), vRef.data(), g.data(), n, &lr,
                                      &step, clipMode == 0 ? nullptr : &squares, maxNorm, beta1,
                                      beta2, eps, wd);
        const double clip =
            clipMode == 1 ? std::min(1.0, maxNorm / (std::sqrt(squares) + 1e-6)) : 1.0;
        const double c1 = 1 - std::pow(double(beta1), step + 1),
                     c2 = 1 - std::pow(double(beta2), step + 1);
        std::vector<double> pMag(n), mMag(n);
        for (int64_t i = 0; i < n; ++i) {
          mMag[i] = beta1 * std::fabs(m[i]) + (1 - beta1) * std::fabs(g[i] * clip);
          const double update = mMag[i] / c1 / (std::sqrt(vRef[i] / c2) + eps);
          pMag[i] = std::fabs(p[i]) * (1 + lr * wd) + lr * update;
        }
        expectClose(l, "p", d.download(dP, n), pRef, pMag);
        expectClose(l, "m", d.download(dM, n), mRef, mMag);
        expectClose(l, "v", d.download(dV, n), vRef);
      }
}

} // namespace
} // namespace slimtune::testing
