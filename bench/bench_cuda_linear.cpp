// The CUDA linear kernels against the raw cuBLAS call they are built on, side by side on one
// GPU: `linear` (fp32, pedantic: no TF32) against cublasGemmEx on the same fp32 operands, and
// `linear_bf16` (which first rounds its input to bf16 in its workspace) against cublasGemmEx
// on operands already in bf16, at the projection shapes of SmolLM2-135M (4 x 1024 tokens)
// and LLaMA-7B (2048 tokens). Rounds alternate the two, each timed with the device waited for;
// the median of the per-round ratios is printed (kernel / raw: 1.00 is the library's speed).
// Run by scripts/gpu_check.sh; needs a GPU (prints why not and exits 1 without one).
//
// Usage: bench-cuda-linear [ROUNDS]   (default 15)
#include "side_by_side.h"
#include "kernels/kernel_signature.h"
#include "slimtune/device.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace slimtune;
using bench::median;

namespace {

struct Shape {
  const char *model, *layer;
  int64_t n, in, out;
};

const Shape kShapes[] = {
    {"SmolLM2-135M", "q/o_proj", 4096, 576, 576},    {"SmolLM2-135M", "gate/up", 4096, 576, 1536},
    {"SmolLM2-135M", "down", 4096, 1536, 576},       {"SmolLM2-135M", "lm_head", 4096, 576, 49152},
    {"LLaMA-7B", "q/k/v/o_proj", 2048, 4096, 4096},  {"LLaMA-7B", "gate/up", 2048, 4096, 11008},
    {"LLaMA-7B", "down", 2048, 11008, 4096},         {"LLaMA-7B", "lm_head", 2048, 4096, 32000},
};

double seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

void *deviceZeros(size_t bytes) {
  void *p = nullptr;
  if (cudaMalloc(&p, bytes) != cudaSuccess || cudaMemset(p, 0, bytes) != cudaSuccess) {
    std::fprintf(stderr, "bench-cuda-linear: cannot allocate %zu bytes of GPU memory\n", bytes);
    std::exit(1);
  }
  return p;
}

} // namespace

int main(int argc, char **argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 15;
  auto opened = openDevice("cuda");
  if (!opened) {
    std::fprintf(stderr, "bench-cuda-linear: %s\n", opened.status().message().c_str());
    return 1;
  }
  Device &device = **opened;
  cudaStream_t stream;
  cublasHandle_t blas;
  cudaStreamCreate(&stream);
  cublasCreate(&blas);
  cublasSetStream(blas, stream);
  cublasSetMathMode(blas, CUBLAS_PEDANTIC_MATH);
  auto linear = reinterpret_cast<kernels::AbiFunction<SLIMTUNE_KERNEL_LINEAR>>(
      device.kernels()[SLIMTUNE_KERNEL_LINEAR]);
  auto linearBf16 = reinterpret_cast<kernels::AbiFunction<SLIMTUNE_KERNEL_LINEAR_BF16>>(
      device.kernels()[SLIMTUNE_KERNEL_LINEAR_BF16]);
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("%s; kernel / raw cuBLAS, median of %d alternating rounds\n", prop.name, rounds);
  std::printf("%-14s %-13s %6s %6s %6s | %9s %9s %6s | %9s %9s %6s\n", "model", "layer", "n", "in",
              "out", "fp32 ms", "raw ms", "ratio", "bf16 ms", "raw ms", "ratio");
  for (const Shape &s : kShapes) {
    const size_t xs = s.n * s.in, ws = s.in * s.out, ys = s.n * s.out;
    float *x = static_cast<float *>(deviceZeros(xs * 4)), *w = static_cast<float *>(deviceZeros(ws * 4));
    float *y = static_cast<float *>(deviceZeros(ys * 4));
    uint16_t *x16 = static_cast<uint16_t *>(deviceZeros(xs * 2)), *w16 = static_cast<uint16_t *>(deviceZeros(ws * 2));
    uint16_t *work = static_cast<uint16_t *>(deviceZeros(xs * 2 + 4));
    const float one = 1.0f, zero = 0.0f;
    // Row-major y [n, out] = x [n, in] W^T, W [out, in]: column-major y^T = W x^T.
    auto rawGemm = [&](cudaDataType_t type, const void *a, const void *b) {
      cublasGemmEx(blas, CUBLAS_OP_T, CUBLAS_OP_N, int(s.out), int(s.n), int(s.in), &one, a, type,
                   int(s.in), b, type, int(s.in), &zero, y, CUDA_R_32F, int(s.out),
                   CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    };
    auto time = [&](auto &&call) {
      const int repeats = 5;
      call(); // warm
      cudaDeviceSynchronize();
      auto start = std::chrono::steady_clock::now();
      for (int r = 0; r < repeats; ++r)
        call();
      cudaDeviceSynchronize();
      return seconds(start, std::chrono::steady_clock::now()) / repeats;
    };
    std::vector<double> f32Ratio, bf16Ratio, f32Ms, f32RawMs, bf16Ms, bf16RawMs;
    for (int r = 0; r < rounds; ++r) {
      const double a = time([&] {
        linear(device.kernelContext(), y, x, w, nullptr, s.n, s.in, s.out, 0);
      });
      const double b = time([&] { rawGemm(CUDA_R_32F, w, x); });
      const double c = time([&] {
        linearBf16(device.kernelContext(), y, x, w16, nullptr, work, s.n, s.in, s.out, 0);
      });
      const double d = time([&] { rawGemm(CUDA_R_16BF, w16, x16); });
      f32Ratio.push_back(a / b), bf16Ratio.push_back(c / d);
      f32Ms.push_back(a * 1e3), f32RawMs.push_back(b * 1e3), bf16Ms.push_back(c * 1e3), bf16RawMs.push_back(d * 1e3);
    }
    if (Status st = device.synchronize(); !st) {
      std::fprintf(stderr, "bench-cuda-linear: %s\n", st.message().c_str());
      return 1;
    }
    std::printf("%-14s %-13s %6lld %6lld %6lld | %9.3f %9.3f %6.2f | %9.3f %9.3f %6.2f\n", s.model,
                s.layer, (long long)s.n, (long long)s.in, (long long)s.out, median(f32Ms),
                median(f32RawMs), median(f32Ratio), median(bf16Ms), median(bf16RawMs),
                median(bf16Ratio));
    for (void *p : {(void *)x, (void *)w, (void *)y, (void *)x16, (void *)w16, (void *)work})
      cudaFree(p);
  }
  return 0;
}
