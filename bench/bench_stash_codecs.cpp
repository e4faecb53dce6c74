// The stash codecs of the lean pipeline at SmolLM2's stash shape (batch 4 x seq 256 x 576
// floats): Mesa's 8-bit quantize/dequantize and Approx-BP's flags, each backend's fast kernels
// and the references, against a plain copy of the same floats in the same run — what a codec
// costs relative to just moving the data through memory once.
#include "kernels/backends.h"
#include "kernels/cpu/approx_activation_reference.h"
#include "kernels/cpu/quantize_reference.h"
#include "slimtune/device.h"

#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace slimtune::cpu;
using slimtune::kernels::Backend;

namespace {
// SmolLM2's hidden state at batch 4, seq 256: rows of 576 channels in groups of 64.
constexpr int64_t kRows = 4 * 256, kChannels = 576, kCount = kRows * kChannels, kGroup = 64,
                  kGroups = kCount / kGroup;

std::vector<float> activations() {
  std::mt19937 random(1);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> x(kCount);
  for (float &v : x)
    v = normal(random);
  return x;
}

void BM_CopyFloats(benchmark::State &state) {
  auto x = activations();
  std::vector<float> y(kCount);
  for (auto _ : state) {
    std::memcpy(y.data(), x.data(), kCount * sizeof(float));
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * kCount * 4);
}

// Stops the benchmark, as a step would report it, when a kernel returned a failure: true then.
bool failed(benchmark::State &state, int32_t kernelId, int32_t status) {
  if (status == SLIMTUNE_KERNEL_OK)
    return false;
  state.SkipWithError(slimtune::kernelFailureText(kernelId, status).c_str());
  return true;
}

// Fast: each backend's kernels through its table (their status); otherwise the references.
int32_t quantize8(const Backend *backend, uint8_t *out, const float *x, int32_t stochastic,
                  const int32_t *step) {
  if (backend)
    return slimtune::kernels::call<SLIMTUNE_KERNEL_QUANTIZE>(*backend, out, x, kRows, kChannels,
                                                             kGroup, 8, stochastic, 3, step);
  reference::quantize(out, x, kRows, kChannels, kGroup, 8, stochastic, 3, step);
  return SLIMTUNE_KERNEL_OK;
}

void BM_Quantize8(benchmark::State &state, const Backend *backend, int32_t stochastic) {
  auto x = activations();
  std::vector<uint8_t> out(kGroups * 8 + kCount);
  int32_t step = 1;
  for (auto _ : state) {
    if (failed(state, SLIMTUNE_KERNEL_QUANTIZE,
               quantize8(backend, out.data(), x.data(), stochastic, &step)))
      return;
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * kCount * 4);
}

void BM_Dequantize8(benchmark::State &state, const Backend *backend) {
  auto x = activations();
  std::vector<uint8_t> codes(kGroups * 8 + kCount);
  int32_t step = 1;
  reference::quantize(codes.data(), x.data(), kRows, kChannels, kGroup, 8, 0, 3, &step);
  for (auto _ : state) {
    if (backend) {
      if (failed(state, SLIMTUNE_KERNEL_DEQUANTIZE,
                 slimtune::kernels::call<SLIMTUNE_KERNEL_DEQUANTIZE>(
                     *backend, x.data(), codes.data(), kRows, kChannels, kGroup, 8)))
        return;
    } else {
      reference::dequantize(x.data(), codes.data(), kRows, kChannels, kGroup, 8);
    }
    benchmark::DoNotOptimize(x.data());
  }
  state.SetBytesProcessed(state.iterations() * kCount * 4);
}

void BM_ActivationFlags(benchmark::State &state, const Backend *backend) {
  auto x = activations();
  std::vector<uint8_t> flags(kCount / 4);
  for (auto _ : state) {
    if (backend) {
      if (failed(state, SLIMTUNE_KERNEL_ACTIVATION_FLAGS,
                 slimtune::kernels::call<SLIMTUNE_KERNEL_ACTIVATION_FLAGS>(*backend, flags.data(),
                                                                           x.data(), kCount, 0)))
        return;
    } else {
      reference::activationFlags(flags.data(), x.data(), kCount, 0);
    }
    benchmark::DoNotOptimize(flags.data());
  }
  state.SetBytesProcessed(state.iterations() * kCount * 4);
}

// BM_<codec>_Fast/<backend> for every backend, beside BM_<codec>_Reference, in the order of
// registration (benchmark_main runs them).
const bool kRegistered = [] {
  benchmark::RegisterBenchmark("BM_CopyFloats", BM_CopyFloats)->UseRealTime();
  auto each = [](const std::string &name, auto function, auto... args) {
    for (const Backend &backend : slimtune::kernels::backends())
      benchmark::RegisterBenchmark((name + "_Fast/" + backend.name).c_str(), function, &backend,
                                   args...)
          ->UseRealTime();
    benchmark::RegisterBenchmark((name + "_Reference").c_str(), function, nullptr, args...)
        ->UseRealTime();
  };
  each("BM_Quantize8", BM_Quantize8, 0);
  for (const Backend &backend : slimtune::kernels::backends())
    benchmark::RegisterBenchmark(
        (std::string("BM_Quantize8_Stochastic_Fast/") + backend.name).c_str(), BM_Quantize8,
        &backend, 1)
        ->UseRealTime();
  each("BM_Dequantize8", BM_Dequantize8);
  each("BM_ActivationFlags", BM_ActivationFlags);
  return true;
}();
} // namespace
