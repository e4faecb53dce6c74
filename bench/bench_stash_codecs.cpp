// The stash codecs of the lean pipeline at SmolLM2's stash shape (batch 4 x seq 256 x 576
// floats): Mesa's 8-bit quantize/dequantize (fast against reference) and Approx-BP's flags,
// against a plain copy of the same floats in the same run — what a codec costs relative to
// just moving the data through memory once.
#include "kernels/cpu/approx_activation_reference.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/quantize_reference.h"

#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

using namespace slimtune::cpu;

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

template <bool kFast, int kStochastic>
void BM_Quantize8(benchmark::State &state) {
  auto x = activations();
  std::vector<uint8_t> out(kGroups * 8 + kCount);
  int32_t step = 1;
  for (auto _ : state) {
    if (kFast)
      quantize(out.data(), x.data(), kRows, kChannels, kGroup, 8, kStochastic, 3, &step);
    else
      reference::quantize(out.data(), x.data(), kRows, kChannels, kGroup, 8, kStochastic, 3, &step);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * kCount * 4);
}

template <bool kFast>
void BM_Dequantize8(benchmark::State &state) {
  auto x = activations();
  std::vector<uint8_t> codes(kGroups * 8 + kCount);
  int32_t step = 1;
  quantize(codes.data(), x.data(), kRows, kChannels, kGroup, 8, 0, 3, &step);
  for (auto _ : state) {
    if (kFast)
      dequantize(x.data(), codes.data(), kRows, kChannels, kGroup, 8);
    else
      reference::dequantize(x.data(), codes.data(), kRows, kChannels, kGroup, 8);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetBytesProcessed(state.iterations() * kCount * 4);
}

template <bool kFast>
void BM_ActivationFlags(benchmark::State &state) {
  auto x = activations();
  std::vector<uint8_t> flags(kCount / 4);
  for (auto _ : state) {
    if (kFast)
      activationFlags(flags.data(), x.data(), kCount, 0);
    else
      reference::activationFlags(flags.data(), x.data(), kCount, 0);
    benchmark::DoNotOptimize(flags.data());
  }
  state.SetBytesProcessed(state.iterations() * kCount * 4);
}

BENCHMARK(BM_CopyFloats)->UseRealTime();
BENCHMARK(BM_Quantize8<true, 0>)->Name("BM_Quantize8_Fast")->UseRealTime();
BENCHMARK(BM_Quantize8<false, 0>)->Name("BM_Quantize8_Reference")->UseRealTime();
BENCHMARK(BM_Quantize8<true, 1>)->Name("BM_Quantize8_Stochastic_Fast")->UseRealTime();
BENCHMARK(BM_Dequantize8<true>)->Name("BM_Dequantize8_Fast")->UseRealTime();
BENCHMARK(BM_Dequantize8<false>)->Name("BM_Dequantize8_Reference")->UseRealTime();
BENCHMARK(BM_ActivationFlags<true>)->Name("BM_ActivationFlags_Fast")->UseRealTime();
BENCHMARK(BM_ActivationFlags<false>)->Name("BM_ActivationFlags_Reference")->UseRealTime();
} // namespace
