// GEMM: the two libraries' entry points, and the dispatch the kernels use (oneDNN; see gemm()).
#include "kernels/cpu/gemm.h"

#include <cblas.h>
#include <dnnl.h>

namespace slimtune::cpu {

int32_t gemmOpenBlas(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                     const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                     int64_t ldc) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
  return SLIMTUNE_KERNEL_OK; // cblas reports bad arguments through xerbla, not a status
}

int32_t gemmOneDnn(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                   const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                   int64_t ldc) {
  // dnnl_sgemm is row-major, like cblas with CblasRowMajor.
  switch (dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta,
                     c, ldc)) {
  case dnnl_success:
    return SLIMTUNE_KERNEL_OK;
  case dnnl_out_of_memory:
    return SLIMTUNE_KERNEL_OUT_OF_MEMORY;
  case dnnl_invalid_arguments:
    return SLIMTUNE_KERNEL_INVALID_ARGUMENT;
  default:
    return SLIMTUNE_KERNEL_DEVICE_ERROR;
  }
}

int32_t gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
             const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
             int64_t ldc) {
  if (m == 0 || n == 0)
    return SLIMTUNE_KERNEL_OK;
  if (k == 0) {
    // C = beta C, done here: oneDNN rejects lda = 0 (the natural leading dimension of an
    // [m, 0] operand) and leaves C as it was.
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return SLIMTUNE_KERNEL_OK;
  }
  // Every shape goes to oneDNN (bench/bench_gemm.cpp, two cores). On the skinny LoRA shapes
  // it is 1.5-3x faster than OpenBLAS; on the projection shapes and 2048^3 the two are within
  // ~10% of each other when measured alone. What decides is a step's sequence: oneDNN runs on
  // the OpenMP pool that the other kernels use, while OpenBLAS has its own pthread pool, whose
  // idle workers spin for 2^28 cycles (~0.1 s) after each call (and OpenMP's after each region), so
  // alternating the two puts three busy threads on two cores. One decoder layer's projections
  // with LoRA and adds: ~55 GFLOP/s split by shape (the former rule, oneDNN when a dimension is
  // <= 64), ~130 all through oneDNN.
  return gemmOneDnn(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

} // namespace slimtune::cpu
