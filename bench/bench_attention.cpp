// Causal attention at SmolLM2-135M's shape (batch 4, sequence 256, 9 query heads, 3 kv heads,
// head_dim 64; one of its 30 layers), forward and backward: each backend's fast kernels
// (through its table; on the CPU, AVX2 tiles and the portable loops) against the fp32
// references. Counters: FLOP/s counting only the causal half (pairs j <= i): 4 d flops per pair
// forward (q.k, p v), 10 d backward (q.k recomputed, dout.v, dv, dq, dk).
#include "kernels/backends.h"
#include "kernels/cpu/attention_reference.h"
#include "kernels/cpu/workspace.h"
#include "slimtune/device.h"

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

using namespace slimtune::cpu;
using slimtune::kernels::Backend;

namespace {
constexpr int64_t kBatch = 4, kSeq = 256, kHeads = 9, kKvHeads = 3, kHeadDim = 64;
constexpr int64_t kQSize = kBatch * kSeq * kHeads * kHeadDim;
constexpr int64_t kKvSize = kBatch * kSeq * kKvHeads * kHeadDim;
const float kScale = 1.0f / std::sqrt(static_cast<float>(kHeadDim));

double causalPairs() { return static_cast<double>(kBatch * kHeads) * kSeq * (kSeq + 1) / 2; }

std::vector<float> values(int64_t n, uint64_t seed) {
  std::vector<float> v(n);
  uint64_t s = seed;
  for (float &x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = static_cast<float>(static_cast<int64_t>(s >> 40) - (1 << 23)) / (1 << 22); // [-2, 2)
  }
  return v;
}

struct Data {
  std::vector<float> q = values(kQSize, 1), k = values(kKvSize, 2), v = values(kKvSize, 3),
                     dout = values(kQSize, 4), o = std::vector<float>(kQSize),
                     lse = std::vector<float>(kBatch * kHeads * kSeq),
                     dq = std::vector<float>(kQSize), dk = std::vector<float>(kKvSize),
                     dv = std::vector<float>(kKvSize),
                     work =
                         std::vector<float>(slimtune_cpu_attention_grad_work(kBatch, kSeq, kHeads));
  // The kernels' statuses.
  int32_t forward(const Backend &backend) {
    return slimtune::kernels::call<SLIMTUNE_KERNEL_ATTENTION>(
        backend, o.data(), lse.data(), q.data(), k.data(), v.data(), work.data(), kBatch, kSeq,
        kHeads, kKvHeads, kHeadDim, kScale);
  }
  void forwardReference() {
    reference::attention<float>(o.data(), lse.data(), q.data(), k.data(), v.data(), kBatch, kSeq,
                                kHeads, kKvHeads, kHeadDim, kScale);
  }
  int32_t backward(const Backend &backend) {
    return slimtune::kernels::call<SLIMTUNE_KERNEL_ATTENTION_GRAD>(
        backend, dq.data(), dk.data(), dv.data(), q.data(), k.data(), v.data(), o.data(),
        lse.data(), dout.data(), work.data(), kBatch, kSeq, kHeads, kKvHeads, kHeadDim, kScale);
  }
  void backwardReference() {
    reference::attentionGrad<float>(dq.data(), dk.data(), dv.data(), q.data(), k.data(), v.data(),
                                    o.data(), lse.data(), dout.data(), kBatch, kSeq, kHeads,
                                    kKvHeads, kHeadDim, kScale);
  }
};

void setFlops(benchmark::State &state, double flopsPerPair) {
  state.counters["FLOP/s"] = benchmark::Counter(flopsPerPair * kHeadDim * causalPairs(),
                                                benchmark::Counter::kIsIterationInvariantRate);
}

// Stops the benchmark, as a step would report it, when a kernel returned a failure: true then.
bool failed(benchmark::State &state, int32_t kernelId, int32_t status) {
  if (status == SLIMTUNE_KERNEL_OK)
    return false;
  state.SkipWithError(slimtune::kernelFailureText(kernelId, status).c_str());
  return true;
}

// Argument: on the CPU, 1 for the AVX2 tiles, 0 for the portable loops.
void BM_AttentionForward_Fast(benchmark::State &state, Backend backend) {
  setAttentionSimd(state.range(0) != 0);
  Data data;
  for (auto _ : state) {
    if (failed(state, SLIMTUNE_KERNEL_ATTENTION, data.forward(backend)))
      break;
    benchmark::DoNotOptimize(data.o.data());
  }
  setAttentionSimd(true);
  setFlops(state, 4);
  state.SetLabel(state.range(0) ? "avx2 tiles" : "portable");
}

void BM_AttentionForward_Reference(benchmark::State &state) {
  Data data;
  for (auto _ : state) {
    data.forwardReference();
    benchmark::DoNotOptimize(data.o.data());
  }
  setFlops(state, 4);
}

void BM_AttentionBackward_Fast(benchmark::State &state, Backend backend) {
  setAttentionSimd(state.range(0) != 0);
  Data data;
  if (failed(state, SLIMTUNE_KERNEL_ATTENTION, data.forward(backend))) {
    setAttentionSimd(true);
    return;
  }
  for (auto _ : state) {
    if (failed(state, SLIMTUNE_KERNEL_ATTENTION_GRAD, data.backward(backend)))
      break;
    benchmark::DoNotOptimize(data.dq.data());
  }
  setAttentionSimd(true);
  setFlops(state, 10);
  state.SetLabel(state.range(0) ? "avx2 tiles" : "portable");
}

void BM_AttentionBackward_Reference(benchmark::State &state) {
  Data data;
  data.forwardReference();
  for (auto _ : state) {
    data.backwardReference();
    benchmark::DoNotOptimize(data.dq.data());
  }
  setFlops(state, 10);
}
// The fast kernels of every backend, named BM_Attention{Forward,Backward}_Fast/<backend>/<arg>;
// the CPU's with both paths. Registered at load time (benchmark_main runs them).
const bool kRegistered = [] {
  for (const Backend &backend : slimtune::kernels::backends())
    for (auto [name, function] :
         {std::pair{"BM_AttentionForward_Fast", BM_AttentionForward_Fast},
          std::pair{"BM_AttentionBackward_Fast", BM_AttentionBackward_Fast}}) {
      auto *registered = benchmark::RegisterBenchmark(
                             (std::string(name) + "/" + backend.name).c_str(), function, backend)
                             ->Arg(1)
                             ->Unit(benchmark::kMillisecond)
                             ->UseRealTime()
                             ->Repetitions(5)
                             ->ReportAggregatesOnly(true);
      if (std::string(backend.name) == "cpu")
        registered->Arg(0);
    }
  return true;
}();

} // namespace

// Real time (the kernels run on every core); medians of repetitions.
BENCHMARK(BM_AttentionForward_Reference)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_AttentionBackward_Reference)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);
