// The CUDA device (cuda_device.h).
#include "device/cuda_device.h"

#include "kernels/cuda/cuda_context.h"
#include "kernels/cuda/kernels.h"
#include "slimtune/kernel_abi.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

namespace slimtune {
namespace {

std::string cudaText(const char *what, cudaError_t e) {
  return std::string(what) + ": " + cudaGetErrorString(e) + " (" + cudaGetErrorName(e) + ")";
}

// cudaMalloc hands out 256-byte aligned blocks in units of at least that: the device counts
// what it holds.
constexpr int64_t kGranule = 256;

class CudaDevice : public Device {
public:
  ~CudaDevice() override {
    scratch_.reset();
    blasWorkspace_.reset();
    if (context_.blas)
      cublasDestroy(context_.blas);
    if (context_.stream)
      cudaStreamDestroy(context_.stream);
  }

  // Everything a session's steps need beyond the plan, made once: the stream, cuBLAS on it,
  // cuBLAS's workspace and the kernels' scratch.
  Status open() {
    // Without the driver the CUDA runtime says only that it is "insufficient": name it.
    if (void *driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL); !driver)
      return Status::error("no NVIDIA driver (libcuda.so.1 cannot be loaded)");
    int count = 0;
    if (cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess)
      return Status::error(cudaText("cudaGetDeviceCount", e));
    if (count == 0)
      return Status::error("cudaGetDeviceCount found no GPU");
    if (cudaError_t e = cudaSetDevice(0); e != cudaSuccess)
      return Status::error(cudaText("cudaSetDevice(0)", e));
    if (cudaError_t e = cudaStreamCreateWithFlags(&context_.stream, cudaStreamNonBlocking);
        e != cudaSuccess)
      return Status::error(cudaText("cudaStreamCreate", e));
    if (cublasStatus_t s = cublasCreate(&context_.blas); s != CUBLAS_STATUS_SUCCESS)
      return Status::error(std::string("cublasCreate: ") + cublasGetStatusName(s));
    auto blasWork = allocate(cuda::kBlasWorkspaceBytes);
    if (!blasWork)
      return blasWork.status();
    blasWorkspace_ = blasWork.take();
    auto scratch = allocate(cuda::kScratchBytes);
    if (!scratch)
      return scratch.status();
    scratch_ = scratch.take();
    context_.scratch = scratch_.data();
    // Plain fp32 products (no TF32): the CPU reference is what a step is checked against.
    if (cublasSetStream(context_.blas, context_.stream) != CUBLAS_STATUS_SUCCESS ||
        cublasSetWorkspace(context_.blas, blasWorkspace_.data(),
                           static_cast<size_t>(blasWorkspace_.bytes())) != CUBLAS_STATUS_SUCCESS ||
        cublasSetMathMode(context_.blas, CUBLAS_PEDANTIC_MATH) != CUBLAS_STATUS_SUCCESS ||
        cublasSetPointerMode(context_.blas, CUBLAS_POINTER_MODE_HOST) != CUBLAS_STATUS_SUCCESS)
      return Status::error("cannot configure cuBLAS on the session's stream");
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess)
      name_ = prop.name;
    return Status::ok();
  }

  std::string_view target() const override { return "cuda"; }

  Expected<DeviceMemory> allocate(int64_t bytes) override {
    const int64_t rounded = bytes < 0 || bytes > INT64_MAX - kGranule
                                ? -1
                                : std::max<int64_t>(kGranule, (bytes + kGranule - 1) / kGranule * kGranule);
    void *data = nullptr;
    if (rounded < 0)
      return Status::error("cannot allocate " + std::to_string(bytes) + " bytes of GPU memory");
    if (cudaError_t e = cudaMalloc(&data, static_cast<size_t>(rounded)); e != cudaSuccess) {
      cudaGetLastError(); // an allocation failure is not sticky: clear it for later launches
      size_t free = 0, total = 0;
      cudaMemGetInfo(&free, &total);
      return Status::error("cannot allocate " + std::to_string(bytes) + " bytes of GPU memory on " +
                           name_ + " (" + std::to_string(free) + " of " + std::to_string(total) +
                           " bytes free): " + cudaGetErrorName(e));
    }
    // Zeroed as the CPU's memory is: the plan may rely on nothing else, but checkpoints of
    // never-written state must not hold garbage. On the session's stream and waited for: a
    // plain cudaMemset runs on the legacy default stream, which a non-blocking stream does not
    // wait for, so it could land after the weights copied in behind it.
    cudaError_t e = cudaMemsetAsync(data, 0, static_cast<size_t>(rounded), context_.stream);
    if (e == cudaSuccess)
      e = cudaStreamSynchronize(context_.stream);
    if (e != cudaSuccess) {
      cudaFree(data);
      return Status::error(cudaText("cudaMemset", e));
    }
    current_ += rounded;
    peak_ = std::max(peak_, current_);
    return DeviceMemory(this, data, rounded);
  }

  Status copyIn(void *device, const void *host, int64_t bytes) override {
    if (bytes == 0)
      return Status::ok();
    // In stream order behind the steps queued before it; synchronous so the caller may reuse
    // its host buffer at once.
    if (cudaError_t e = cudaMemcpyAsync(device, host, static_cast<size_t>(bytes),
                                        cudaMemcpyHostToDevice, context_.stream);
        e != cudaSuccess)
      return Status::error(cudaText("copy to the GPU", e));
    return waitForStream("copy to the GPU");
  }

  Status copyOut(void *host, const void *device, int64_t bytes) const override {
    if (bytes == 0)
      return Status::ok();
    if (cudaError_t e = cudaMemcpyAsync(host, device, static_cast<size_t>(bytes),
                                        cudaMemcpyDeviceToHost, context_.stream);
        e != cudaSuccess)
      return Status::error(cudaText("copy from the GPU", e));
    return waitForStream("copy from the GPU");
  }

  bool hostAccessible() const override { return false; }
  void *const *kernels() const override { return cuda::kernelTable(); }
  void *kernelContext() override { return &context_; }

  Status synchronize() override { return waitForStream("the step"); }

  Status kernelFailure(int32_t kernelId, int32_t status) const override {
    std::string line = kernelFailureText(kernelId, status);
    if (context_.lastError[0] != '\0')
      line += " (" + std::string(context_.lastError) + ")";
    context_.lastError[0] = '\0';
    return Status::error(line);
  }

  int64_t currentBytes() const override { return current_; }
  int64_t peakBytes() const override { return peak_; }

protected:
  void release(void *data, int64_t bytes) override {
    cudaFree(data);
    current_ -= bytes;
  }

private:
  Status waitForStream(const char *what) const {
    if (cudaError_t e = cudaStreamSynchronize(context_.stream); e != cudaSuccess) {
      std::string line = cudaText(what, e);
      if (context_.lastError[0] != '\0')
        line += "; first failure: " + std::string(context_.lastError);
      return Status::error(line);
    }
    return Status::ok();
  }

  mutable cuda::Context context_;
  std::string name_ = "the GPU";
  int64_t current_ = 0;
  int64_t peak_ = 0;
  DeviceMemory blasWorkspace_;
  DeviceMemory scratch_;
};

} // namespace
} // namespace slimtune

extern "C" slimtune::Device *slimtune_cuda_open_device(char *error, size_t errorBytes) {
  auto device = std::make_unique<slimtune::CudaDevice>();
  if (slimtune::Status st = device->open(); !st) {
    if (error && errorBytes > 0)
      std::snprintf(error, errorBytes, "%s", st.message().c_str());
    return nullptr;
  }
  return device.release();
}
