// A row-major GEMM over cuBLAS for the dense kernels (linear, lora, merge_lora): the CPU's
// cpu::gemm signature, so each kernel reads as its CPU twin. cuBLAS is column-major, and a
// row-major [m, n] matrix is a column-major [n, m] one, so C = op(A) op(B) is issued as
// C^T = op(B)^T op(A)^T: operands swapped, m and n swapped, the transposes kept. fp32 in and out
// with CUBLAS_COMPUTE_32F under the handle's pedantic math (no TF32), through the 64-bit entry
// point because n * in can pass 2^31. gemmBf16 is the same with bf16 operands (linear_bf16):
// CUBLAS_COMPUTE_32F named as a cublasComputeType_t is the default (not pedantic) compute type
// whatever the handle's math mode, which lets cuBLAS use the tensor cores for bf16 inputs (their
// products are exact, the sums fp32), while fp32 inputs still get no TF32.
#ifndef SLIMTUNE_KERNELS_CUDA_GEMM_CUH
#define SLIMTUNE_KERNELS_CUDA_GEMM_CUH

#include "kernels/cuda/cuda_common.cuh"

namespace slimtune::cuda {

// Row-major C [m, n] = alpha op(A) op(B) + beta C, op(A) [m, k], op(B) [k, n], A and B of
// type `type`, C fp32; lda, ldb, ldc are the row strides of the matrices as stored. beta is 0
// or 1 (all the kernels use).
inline int32_t gemmOf(Context &c, cudaDataType_t type, bool transA, bool transB, int64_t m,
                      int64_t n, int64_t k, float alpha, const void *a, int64_t lda,
                      const void *b, int64_t ldb, float beta, float *out, int64_t ldc,
                      const char *what) {
  if (m == 0 || n == 0)
    return SLIMTUNE_KERNEL_OK;
  if (k == 0) {
    // An empty sum: cuBLAS would reject the leading dimensions of the empty operands, and the
    // result is just beta C.
    if (beta != 0.0f)
      return SLIMTUNE_KERNEL_OK;
    const cudaError_t e = cudaMemset2DAsync(out, static_cast<size_t>(ldc) * sizeof(float), 0,
                                            static_cast<size_t>(n) * sizeof(float),
                                            static_cast<size_t>(m), c.stream);
    if (e == cudaSuccess)
      return SLIMTUNE_KERNEL_OK;
    (void)cudaGetLastError(); // reported here, not again by the next launch's check
    recordFailure(c, what, cudaGetErrorName(e));
    return SLIMTUNE_KERNEL_DEVICE_ERROR;
  }
  const cublasStatus_t s = cublasGemmEx_64(
      c.blas, transB ? CUBLAS_OP_T : CUBLAS_OP_N, transA ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k,
      &alpha, b, type, ldb, a, type, lda, &beta, out, CUDA_R_32F, ldc, CUBLAS_COMPUTE_32F,
      CUBLAS_GEMM_DEFAULT);
  return blasStatus(c, s, what);
}

// fp32 A, B and C.
inline int32_t gemm(Context &c, bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                    float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                    float beta, float *out, int64_t ldc, const char *what) {
  return gemmOf(c, CUDA_R_32F, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, out, ldc,
                what);
}

// bf16 A and B (uint16_t bit patterns), fp32 C.
inline int32_t gemmBf16(Context &c, bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                        float alpha, const uint16_t *a, int64_t lda, const uint16_t *b,
                        int64_t ldb, float beta, float *out, int64_t ldc, const char *what) {
  return gemmOf(c, CUDA_R_16BF, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, out, ldc,
                what);
}

} // namespace slimtune::cuda

#endif // SLIMTUNE_KERNELS_CUDA_GEMM_CUH
