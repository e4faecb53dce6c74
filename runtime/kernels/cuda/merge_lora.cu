// Folding a LoRA adapter into its weight on the GPU: a copy of the weight (unless merged aliases
// it) and one rank-r cuBLAS GEMM accumulating onto it (gemm.cuh, beta = 1), in fp32.
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/kernels.h"

namespace slimtune::cuda {

// merged = w + scale B A; W [out, in] (layout 0) or [in, out] (layout 1); A [r, in], B [out, r].
int32_t mergeLora(void *context, float *merged, const float *w, const float *a, const float *b,
                  int64_t in, int64_t out, int64_t r, float scale, int32_t layout) {
  Context &c = contextOf(context);
  if (in == 0 || out == 0)
    return SLIMTUNE_KERNEL_OK;
  if (merged != w) {
    const cudaError_t e =
        cudaMemcpyAsync(merged, w, static_cast<size_t>(in * out) * sizeof(float),
                        cudaMemcpyDeviceToDevice, c.stream);
    if (e != cudaSuccess) {
      (void)cudaGetLastError(); // reported here, not again by the next launch's check
      recordFailure(c, "merge_lora copy", cudaGetErrorName(e));
      return SLIMTUNE_KERNEL_DEVICE_ERROR;
    }
  }
  if (layout == 0) // [out, in] += scale B [out, r] A [r, in]
    return gemm(c, false, false, out, in, r, scale, b, r, a, in, 1.0f, merged, in, "merge_lora");
  // [in, out] += scale A^T [in, r] B^T [r, out]
  return gemm(c, true, true, in, out, r, scale, a, in, b, r, 1.0f, merged, out, "merge_lora");
}

} // namespace slimtune::cuda
