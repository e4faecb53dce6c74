// Device kernels (device_kernel_test.h), RoPE and attention: rope, attention,
// attention_grad.
#include "kernels/cpu/rope_reference.h"
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

//===-- RoPE and attention ----------------------------------------------------------------===//

// y1 = x1 cos - x2 sin, y2 = x2 cos + x1 sin: magnitude |x1 cos| + |x2 sin| (and the same for
// y2). y may alias x.
TEST_P(DeviceKernels, Rope) {
  Rng rng(17);
  struct Shape {
    int64_t b, t, channels, headDim;
  };
  for (Shape s :
       {Shape{1, 1, 2, 2}, Shape{2, 100, 256, 64}, Shape{1, 129, 160, 40}, Shape{1, 37, 256, 128}})
    for (int32_t inverse : {0, 1})
      for (bool alias : {false, true}) {
        const std::string l = label<SLIMTUNE_KERNEL_ROPE>(
            cat("b ", s.b, " t ", s.t, " channels ", s.channels, " head_dim ", s.headDim,
                " inverse ", inverse, alias ? " y=x" : ""));
        const float theta = 10000.0f;
        std::vector<float> x = rng.uniform(s.b * s.t * s.channels);
        DeviceBuffers d(device());
        float *dX = d.upload(x);
        float *y = alias ? dX : d.filled(x.size(), 3.0f);
        ASSERT_TRUE(d.ok());
        onDevice<SLIMTUNE_KERNEL_ROPE>(l, y, dX, s.b, s.t, s.channels, s.headDim, theta, inverse);
        std::vector<float> ref = x;
        onHost<SLIMTUNE_KERNEL_ROPE>(l, ref.data(), ref.data(), s.b, s.t, s.channels, s.headDim,
                                     theta, inverse);
        std::vector<double> magnitude(x.size());
        const int64_t half = s.headDim / 2;
        for (int64_t bi = 0; bi < s.b; ++bi)
          for (int64_t ti = 0; ti < s.t; ++ti)
            for (int64_t h = 0; h < s.channels / s.headDim; ++h)
              for (int64_t i = 0; i < half; ++i) {
                const double angle = cpu::reference::ropeAngle(ti, i, s.headDim, theta);
                const int64_t at = (bi * s.t + ti) * s.channels + h * s.headDim + i;
                const double c = std::fabs(std::cos(angle)), sn = std::fabs(std::sin(angle));
                magnitude[at] = std::fabs(x[at]) * c + std::fabs(x[at + half]) * sn;
                magnitude[at + half] = std::fabs(x[at + half]) * c + std::fabs(x[at]) * sn;
              }
        expectClose(l, "y", d.download(y, ref.size()), ref, magnitude);
      }
}

struct AttentionShape {
  int64_t b, t, heads, kvHeads, headDim;
  std::string describe() const {
    return cat("b ", b, " t ", t, " heads ", heads, " kv ", kvHeads, " head_dim ", headDim);
  }
};
const AttentionShape kAttentionShapes[] = {{1, 1, 1, 1, 64},
                                           {2, 100, 4, 2, 64},
                                           {1, 37, 2, 2, 128},
                                           {1, 129, 4, 1, 40},
                                           {1, 200, 2, 1, 64}};

// The magnitudes of attention's outputs, in double from the inputs: with P the softmax of the
// scores s = scale q.k (recomputed in double) and |s| = scale |q|.|k|:
//   o: sum_j P_ij |v_j|;  lse: log sum_j exp(|s_ij|) (>= max |s| and log(i + 1));
//   dS_ij = P_ij (|dO_i|.|v_j| + |dO_i|.|o_i|) (dP and D, which cancel);
//   dq: scale sum_j dS_ij |k_j|; dk: scale sum_i dS_ij |q_i|; dv: sum_i P_ij |dO_i|.
struct AttentionMagnitudes {
  std::vector<double> o, lse, dq, dk, dv;
};
AttentionMagnitudes attentionMagnitudes(const AttentionShape &s, float scale,
                                        const std::vector<float> &q, const std::vector<float> &k,
                                        const std::vector<float> &v, const std::vector<float> &o,
                                        const std::vector<float> &dout) {
  const int64_t d = s.headDim, qStride = s.heads * d, kvStride = s.kvHeads * d;
  const int64_t group = s.heads / s.kvHeads;
  AttentionMagnitudes m;
  m.o.assign(q.size(), 0.0), m.lse.assign(s.b * s.heads * s.t, 0.0);
  m.dq.assign(q.size(), 0.0), m.dk.assign(k.size(), 0.0), m.dv.assign(v.size(), 0.0);
  std::vector<double> sc(s.t), absSc(s.t);
  for (int64_t bi = 0; bi < s.b; ++bi)
    for (int64_t h = 0; h < s.heads; ++h) {
      const int64_t g = h / group;
      for (int64_t i = 0; i < s.t; ++i) {
        const float *qi = &q[(bi * s.t + i) * qStride + h * d];
        double maximum = -HUGE_VAL, absMaximum = 0;
        for (int64_t j = 0; j <= i; ++j) {
          const float *kj = &k[(bi * s.t + j) * kvStride + g * d];
          double dot = 0, absDot = 0;
          for (int64_t c = 0; c < d; ++c)
            dot += double(qi[c]) * kj[c], absDot += std::fabs(double(qi[c]) * kj[c]);
          sc[j] = scale * dot, absSc[j] = std::fabs(scale) * absDot;
          maximum = std::max(maximum, sc[j]), absMaximum = std::max(absMaximum, absSc[j]);
        }
        double sum = 0, absSum = 0;
        for (int64_t j = 0; j <= i; ++j)
          sum += std::exp(sc[j] - maximum), absSum += std::exp(absSc[j] - absMaximum);
        const double lse = maximum + std::log(sum);
        m.lse[(bi * s.heads + h) * s.t + i] = absMaximum + std::log(absSum);
        const int64_t at = (bi * s.t + i) * qStride + h * d;
        double dOdotO = 0;
        for (int64_t c = 0; c < d; ++c)
          dOdotO += std::fabs(double(dout[at + c]) * o[at + c]);
        for (int64_t j = 0; j <= i; ++j) {
          const double pij = std::exp(sc[j] - lse);
          const int64_t kvAt = (bi * s.t + j) * kvStride + g * d;
          double dP = 0;
          for (int64_t c = 0; c < d; ++c) {
            m.o[at + c] += pij * std::fabs(v[kvAt + c]);
            m.dv[kvAt + c] += pij * std::fabs(dout[at + c]);
            dP += std::fabs(double(dout[at + c]) * v[kvAt + c]);
          }
          const double dS = pij * (dP + dOdotO);
          for (int64_t c = 0; c < d; ++c) {
            m.dq[at + c] += std::fabs(scale) * dS * std::fabs(k[kvAt + c]);
            m.dk[kvAt + c] += std::fabs(scale) * dS * std::fabs(q[at + c]);
          }
        }
      }
    }
  return m;
}

TEST_P(DeviceKernels, Attention) {
  Rng rng(18);
  for (const AttentionShape &s : kAttentionShapes) {
    const std::string l = label<SLIMTUNE_KERNEL_ATTENTION>(s.describe());
    const float scale = 1.0f / std::sqrt(static_cast<float>(s.headDim));
    std::vector<float> q = rng.uniform(s.b * s.t * s.heads * s.headDim, -2, 2),
                       k = rng.uniform(s.b * s.t * s.kvHeads * s.headDim, -2, 2),
                       v = rng.uniform(s.b * s.t * s.kvHeads * s.headDim);
    DeviceBuffers d(device());
    float *o = d.filled(q.size(), 3.0f), *lse = d.filled(s.b * s.heads * s.t, 3.0f),
          *work = d.filled(attentionWork(s.b, s.t, s.heads), 0.0f);
    const float *dQ = d.upload(q), *dK = d.upload(k), *dV = d.upload(v);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_ATTENTION>(l, o, lse, dQ, dK, dV, work, s.b, s.t, s.heads, s.kvHeads,
                                        s.headDim, scale);
    std::vector<float> oRef(q.size()), lseRef(s.b * s.heads * s.t);
    onHost<SLIMTUNE_KERNEL_ATTENTION>(l, oRef.data(), lseRef.data(), q.data(), k.data(), v.data(),
                                      nullptr, s.b, s.t, s.heads, s.kvHeads, s.headDim, scale);
    const AttentionMagnitudes m = attentionMagnitudes(s, scale, q, k, v, oRef, oRef);
    expectClose(l, "o", d.download(o, oRef.size()), oRef, m.o);
    expectClose(l, "lse", d.download(lse, lseRef.size()), lseRef, m.lse);
  }
}

TEST_P(DeviceKernels, AttentionGrad) {
  Rng rng(19);
  for (const AttentionShape &s : kAttentionShapes) {
    const std::string l = label<SLIMTUNE_KERNEL_ATTENTION_GRAD>(s.describe());
    const float scale = 1.0f / std::sqrt(static_cast<float>(s.headDim));
    std::vector<float> q = rng.uniform(s.b * s.t * s.heads * s.headDim, -2, 2),
                       k = rng.uniform(s.b * s.t * s.kvHeads * s.headDim, -2, 2),
                       v = rng.uniform(s.b * s.t * s.kvHeads * s.headDim),
                       dout = rng.uniform(q.size());
    std::vector<float> o(q.size()), lse(s.b * s.heads * s.t);
    onHost<SLIMTUNE_KERNEL_ATTENTION>(l, o.data(), lse.data(), q.data(), k.data(), v.data(),
                                      nullptr, s.b, s.t, s.heads, s.kvHeads, s.headDim, scale);
    DeviceBuffers d(device());
    float *dq = d.filled(q.size(), 3.0f), *dk = d.filled(k.size(), 3.0f),
          *dv = d.filled(v.size(), 3.0f),
          *work = d.filled(attentionGradWork(s.b, s.t, s.heads), 0.0f);
    const float *dQ = d.upload(q), *dK = d.upload(k), *dV = d.upload(v), *dO = d.upload(o),
                *dLse = d.upload(lse), *dDout = d.upload(dout);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_ATTENTION_GRAD>(l, dq, dk, dv, dQ, dK, dV, dO, dLse, dDout, work, s.b,
                                             s.t, s.heads, s.kvHeads, s.headDim, scale);
    std::vector<float> dqRef(q.size()), dkRef(k.size()), dvRef(v.size());
    onHost<SLIMTUNE_KERNEL_ATTENTION_GRAD>(l, dqRef.data(), dkRef.data(), dvRef.data(), q.data(),
                                           k.data(), v.data(), o.data(), lse.data(), dout.data(),
                                           nullptr, s.b, s.t, s.heads, s.kvHeads, s.headDim, scale);
    const AttentionMagnitudes m = attentionMagnitudes(s, scale, q, k, v, o, dout);
    expectClose(l, "dq", d.download(dq, dqRef.size()), dqRef, m.dq);
    expectClose(l, "dk", d.download(dk, dkRef.size()), dkRef, m.dk);
    expectClose(l, "dv", d.download(dv, dvRef.size()), dvRef, m.dv);
  }
}

} // namespace
} // namespace slimtune::testing
