// GEMM dispatch between OpenBLAS and oneDNN by shape.
#include "kernels/cpu/gemm.h"

#include <algorithm>
#include <cblas.h>
#include <dnnl.h>

namespace slimtune::cpu {

void gemmOpenBlas(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                  const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                  int64_t ldc) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

void gemmOneDnn(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                int64_t ldc) {
  // dnnl_sgemm is row-major, like cblas with CblasRowMajor.
  dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
          int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  if (m == 0 || n == 0)
    return;
  // oneDNN is faster when one dimension is small (LoRA's rank: M x 16 x K, M x K x 16);
  // TOOLCHAIN.md measured 150-181 vs 48-93 GFLOP/s there. bench/bench_gemm.cpp re-measures.
  if (std::min({m, n, k}) <= 64)
    gemmOneDnn(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    gemmOpenBlas(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

} // namespace slimtune::cpu
