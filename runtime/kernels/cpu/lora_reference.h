// Plain references of the LoRA adapter's forward and backward with input dropout, templated
// on the element type so tests can run them in double. Semantics, the dropout mask and the
// workspace layout are those of SLIMTUNE_KERNELS in kernel_abi.h.
#ifndef SLIMTUNE_KERNELS_CPU_LORA_REFERENCE_H
#define SLIMTUNE_KERNELS_CPU_LORA_REFERENCE_H

#include "kernels/common/counter_random.h"

#include <cstdint>

namespace slimtune::cpu::reference {

// drop(x) [n, in] into xd: x * keep / (1 - p), keep(i) = slimtune_dropout_keep(seed, step, i,
// p) for the row-major element index i. The keep decision is made in fp32 whatever T is.
template <typename T>
void loraDropout(T *xd, const T *x, int64_t n, int64_t in, float p, int64_t seed,
                 int32_t step) {
  T inverseKeep = T(1) / (T(1) - T(p));
  for (int64_t e = 0; e < n * in; ++e)
    xd[e] = slimtune_dropout_keep(static_cast<uint64_t>(seed), step, static_cast<uint64_t>(e), p)
                ? x[e] * inverseKeep
                : T(0);
}

// y [n, out] = scale * (drop(x) A^T) B^T; x [n, in], A [r, in], B [out, r]. Overwrites y.
// work: u [n, r], then drop(x) [n, in] when p > 0 (slimtune_cpu_lora_work floats, workspace.h).
template <typename T>
void lora(T *y, const T *x, const T *a, const T *b, T *work, int64_t n, int64_t in, int64_t out,
          int64_t r, T scale, float p, int64_t seed, const int32_t *step) {
  T *u = work;
  const T *xd = x;
  if (p > 0) {
    loraDropout(work + n * r, x, n, in, p, seed, *step);
    xd = work + n * r;
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t q = 0; q < r; ++q) {
      T sum = 0;
      for (int64_t k = 0; k < in; ++k)
        sum += xd[i * in + k] * a[q * in + k];
      u[i * r + q] = sum;
    }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t o = 0; o < out; ++o) {
      T sum = 0;
      for (int64_t q = 0; q < r; ++q)
        sum += u[i * r + q] * b[o * r + q];
      y[i * out + o] = scale * sum;
    }
}

// Gradients of lora given dy [n, out]; dx [n, in], da [r, in], db [out, r] are overwritten:
//   du = scale dy B, dB = scale dy^T u, dA = du^T drop(x), dx = (du A) * keep / (1 - p),
// with u = drop(x) A^T recomputed. work: u [n, r], du [n, r], then drop(x) [n, in] when p > 0
// (slimtune_cpu_lora_grad_work floats, workspace.h).
template <typename T>
void loraGrad(T *dx, T *da, T *db, const T *dy, const T *x, const T *a, const T *b, T *work,
              int64_t n, int64_t in, int64_t out, int64_t r, T scale, float p, int64_t seed,
              const int32_t *step) {
  T *u = work;
  T *du = work + n * r;
  const T *xd = x;
  if (p > 0) {
    loraDropout(work + 2 * n * r, x, n, in, p, seed, *step);
    xd = work + 2 * n * r;
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t q = 0; q < r; ++q) {
      T sumU = 0, sumDu = 0;
      for (int64_t k = 0; k < in; ++k)
        sumU += xd[i * in + k] * a[q * in + k];
      for (int64_t o = 0; o < out; ++o)
        sumDu += dy[i * out + o] * b[o * r + q];
      u[i * r + q] = sumU;
      du[i * r + q] = scale * sumDu;
    }
  for (int64_t o = 0; o < out; ++o)
    for (int64_t q = 0; q < r; ++q) {
      T sum = 0;
      for (int64_t i = 0; i < n; ++i)
        sum += dy[i * out + o] * u[i * r + q];
      db[o * r + q] = scale * sum;
    }
  for (int64_t q = 0; q < r; ++q)
    for (int64_t k = 0; k < in; ++k) {
      T sum = 0;
      for (int64_t i = 0; i < n; ++i)
        sum += du[i * r + q] * xd[i * in + k];
      da[q * in + k] = sum;
    }
  if (!dx) // the input gradient not wanted (slim.lora_weight_grad)
    return;
  T inverseKeep = T(1) / (T(1) - T(p));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < in; ++k) {
      T sum = 0;
      for (int64_t q = 0; q < r; ++q)
        sum += du[i * r + q] * a[q * in + k];
      int64_t e = i * in + k;
      bool keep = !(p > 0) || slimtune_dropout_keep(static_cast<uint64_t>(seed), *step,
                                                   static_cast<uint64_t>(e), p);
      dx[e] = keep ? sum * inverseKeep : T(0);
    }
}

} // namespace slimtune::cpu::reference

#endif // SLIMTUNE_KERNELS_CPU_LORA_REFERENCE_H
