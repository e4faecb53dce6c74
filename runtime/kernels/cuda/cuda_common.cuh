// What the CUDA kernels share: the context from a kernel's first argument, launch geometry,
// and turning a launch's or cuBLAS's failure into a kernel status (kernel_abi.h) with its
// words kept in the context for the device's error line.
#ifndef SLIMTUNE_KERNELS_CUDA_CUDA_COMMON_CUH
#define SLIMTUNE_KERNELS_CUDA_CUDA_COMMON_CUH

#include "kernels/cuda/cuda_context.h"
#include "slimtune/kernel_abi.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace slimtune::cuda {

inline Context &contextOf(void *context) { return *static_cast<Context *>(context); }

// Threads per block of the element-wise kernels; grid-stride loops cover any n with at most
// kMaxBlocks blocks (64-bit indices throughout).
inline constexpr int kThreads = 256;
inline constexpr int64_t kMaxBlocks = 65535;

inline unsigned blocksFor(int64_t n, int threads = kThreads) {
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>((n + threads - 1) / threads, kMaxBlocks)));
}

// Records the first failure's words; later ones keep the first (the one that stopped the step).
inline void recordFailure(Context &c, const char *what, const char *why) {
  if (c.lastError[0] == '\0')
    std::snprintf(c.lastError, sizeof c.lastError, "%s: %s", what, why);
}

// After a launch: the status of kernel `what`'s launch (a bad configuration, an earlier
// asynchronous fault). Reads the error without waiting for the device.
inline int32_t launchStatus(Context &c, const char *what) {
  const cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess)
    return SLIMTUNE_KERNEL_OK;
  recordFailure(c, what, cudaGetErrorName(e));
  return e == cudaErrorMemoryAllocation ? SLIMTUNE_KERNEL_OUT_OF_MEMORY : SLIMTUNE_KERNEL_DEVICE_ERROR;
}

inline int32_t blasStatus(Context &c, cublasStatus_t s, const char *what) {
  if (s == CUBLAS_STATUS_SUCCESS)
    return SLIMTUNE_KERNEL_OK;
  recordFailure(c, what, cublasGetStatusName(s));
  return s == CUBLAS_STATUS_ALLOC_FAILED ? SLIMTUNE_KERNEL_OUT_OF_MEMORY : SLIMTUNE_KERNEL_DEVICE_ERROR;
}

} // namespace slimtune::cuda

#endif // SLIMTUNE_KERNELS_CUDA_CUDA_COMMON_CUH
