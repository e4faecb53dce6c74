// Row-major single-precision GEMM: C[M, N] = alpha * op(A)[M, K] * op(B)[K, N] + beta * C,
// op(X) = X or X^T. gemm() runs every shape through oneDNN (bench/bench_gemm.cpp): it is
// 1.5-3x faster than OpenBLAS on LoRA's skinny shapes and even elsewhere, and it shares the
// OpenMP threads of the other kernels, where OpenBLAS's own spinning pthread pool would fight
// them for the two cores. Called from outside OpenMP parallel regions only. Returns
// SLIMTUNE_KERNEL_OK, or the status of a library failure (oneDNN refuses a size or runs out of
// scratch memory): the kernels that call it pass it on to the step.
#ifndef SLIMTUNE_KERNELS_CPU_GEMM_H
#define SLIMTUNE_KERNELS_CPU_GEMM_H

#include "slimtune/kernel_abi.h"

#include <cstdint>

namespace slimtune::cpu {

[[nodiscard]] int32_t gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                           const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                           float *c, int64_t ldc);

// bf16 A [m, k] times op(B) (B bf16, [n, k] when transB, else [k, n]), fp32 C [m, n]
// overwritten: products of bf16 values are exact in fp32 and summed in fp32 (gemm_bf16.cpp).
// Only where bf16GemmAvailable(): oneDNN has no bf16 matmul for every CPU.
[[nodiscard]] int32_t gemmBf16(bool transB, int64_t m, int64_t n, int64_t k, const uint16_t *a,
                               int64_t lda, const uint16_t *b, int64_t ldb, float *c, int64_t ldc);
bool bf16GemmAvailable();

// The two libraries, for benchmarks and tests.
int32_t gemmOpenBlas(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                     const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                     int64_t ldc);
[[nodiscard]] int32_t gemmOneDnn(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                                 float alpha, const float *a, int64_t lda, const float *b,
                                 int64_t ldb, float beta, float *c, int64_t ldc);

// Plain triple loop, in any precision.
template <typename T>
void gemmReference(bool transA, bool transB, int64_t m, int64_t n, int64_t k, T alpha,
                   const T *a, int64_t lda, const T *b, int64_t ldb, T beta, T *c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      T sum = 0;
      for (int64_t p = 0; p < k; ++p)
        sum += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
      c[i * ldc + j] = alpha * sum + (beta == T(0) ? T(0) : beta * c[i * ldc + j]);
    }
}

} // namespace slimtune::cpu

#endif // SLIMTUNE_KERNELS_CPU_GEMM_H
