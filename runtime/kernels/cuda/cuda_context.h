// What every CUDA kernel receives as its context (kernel_abi.h: args->device_context): the one
// stream a session's steps run on, the cuBLAS handle bound to it, and a fixed scratch area for
// the kernels' deterministic reductions. The CUDA device (runtime/src/device/cuda_device.cpp)
// makes one per session when it opens; nothing in it is allocated during a step.
#ifndef SLIMTUNE_KERNELS_CUDA_CUDA_CONTEXT_H
#define SLIMTUNE_KERNELS_CUDA_CUDA_CONTEXT_H

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace slimtune::cuda {

// Scratch for partial sums (a fixed number of blocks' partials, then one block adds them in a
// fixed order, so reductions give the same bits every run). Kernels run in stream order, so
// each may use all of it.
inline constexpr int64_t kScratchBytes = int64_t(1) << 20;
// The workspace cuBLAS is given once (cublasSetWorkspace), so that it allocates nothing while
// a step runs: what NVIDIA recommends for Hopper.
inline constexpr int64_t kBlasWorkspaceBytes = int64_t(32) << 20;

struct Context {
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
  void *scratch = nullptr; // kScratchBytes of device memory, 256-byte aligned
  // The first failure a kernel saw since the device last reported one: which call and the
  // CUDA or cuBLAS error's name, for Device::kernelFailure. Empty when none.
  char lastError[256] = {};
};

} // namespace slimtune::cuda

#endif // SLIMTUNE_KERNELS_CUDA_CUDA_CONTEXT_H
