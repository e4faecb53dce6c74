// fp16/bf16 -> fp32 conversion, fast bulk version against the reference loop, on the size of
// SmolLM2-135M's embedding table (49152 x 576 values): the cost of widening a checkpoint.
#include "kernels/cpu/convert.h"

#include <benchmark/benchmark.h>

#include <vector>

using namespace slimtune::cpu;

namespace {
constexpr size_t kCount = 49152 * 576;

std::vector<uint16_t> halves() {
  std::vector<uint16_t> v(kCount);
  for (size_t i = 0; i < kCount; ++i)
    v[i] = static_cast<uint16_t>((i * 2654435761u) & 0x7bff); // finite halves
  return v;
}

void BM_F16ToF32_Reference(benchmark::State &state) {
  auto in = halves();
  std::vector<float> out(kCount);
  for (auto _ : state) {
    for (size_t i = 0; i < kCount; ++i)
      out[i] = f16ToF32Reference(in[i]);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * kCount * 2);
}

void BM_F16ToF32_Fast(benchmark::State &state) {
  auto in = halves();
  std::vector<float> out(kCount);
  for (auto _ : state) {
    f16ToF32(in.data(), out.data(), kCount);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * kCount * 2);
  state.SetLabel(hasF16C() ? "f16c" : "reference fallback");
}

void BM_BF16ToF32(benchmark::State &state) {
  auto in = halves();
  std::vector<float> out(kCount);
  for (auto _ : state) {
    bf16ToF32(in.data(), out.data(), kCount);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * kCount * 2);
}
} // namespace

BENCHMARK(BM_F16ToF32_Reference)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_F16ToF32_Fast)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BF16ToF32)->Unit(benchmark::kMillisecond);
