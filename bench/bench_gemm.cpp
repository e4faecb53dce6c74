// GEMM at the shapes a SmolLM2-135M LoRA step runs (1024 tokens), each through every backend's
// kernel for that product (the CPU's linear and weight_grad: cpu::gemm, the dispatch), raw
// OpenBLAS (cblas_sgemm) and raw oneDNN (dnnl_sgemm), with a GFLOP/s counter so that they can be
// compared within one run; 2048^3 as the machine's GEMM peak; and one decoder layer's sequence
// of projections + LoRA + adds, which is what decides the dispatch rule.
//
//   unset OPENBLAS_CORETYPE   # the machine's Haswell setting halves OpenBLAS on this CPU
//   ./build/bin/bench-gemm --benchmark_min_time=0.2   (Google Benchmark 1.7: no "s" suffix)
//
// Each case repeats 5 times and reports mean/median/stddev; read the medians, and run on an
// otherwise idle machine: with two cores, any other process halves a result.
#include "kernels/backends.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/workspace.h"
#include "slimtune/device.h"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

using namespace slimtune::cpu;
using slimtune::kernels::Backend;

namespace {

using GemmFunction = int32_t (*)(bool, bool, int64_t, int64_t, int64_t, float, const float *,
                              int64_t, const float *, int64_t, float, float *, int64_t);

struct Case {
  std::string name; // what the product is in the step
  bool transA, transB;
  int64_t m, n, k;
};

constexpr int64_t kTokens = 1024; // M: batch * sequence

std::vector<Case> cases() {
  std::vector<Case> all;
  for (int64_t k : {576, 1536}) {
    std::string suffix = "_K" + std::to_string(k);
    // lora forward: u [M, 16] = x [M, K] A^T (A [16, K]), y [M, K] = u B^T (B [K, 16]).
    all.push_back({"lora_MxR16xK" + suffix, false, true, kTokens, 16, k});
    all.push_back({"lora_MxKxR16" + suffix, false, true, kTokens, k, 16});
    // lora_grad's weight gradients: dA [16, K] = du^T x, dB [K, 16] = dy^T u (k = tokens).
    all.push_back({"lora_dA_R16xKxM" + suffix, true, false, 16, k, kTokens});
    all.push_back({"lora_dB_KxR16xM" + suffix, true, false, k, 16, kTokens});
  }
  // SmolLM2-135M projections as linear runs them: y [M, N] = x [M, K] W^T, W [N, K].
  const std::pair<int64_t, int64_t> projections[] = {
      {576, 576},   // q, o
      {576, 192},   // k, v (3 KV heads of 64)
      {576, 1536},  // gate, up
      {1536, 576},  // down
      {576, 49152}, // tied LM head
  };
  for (auto [k, n] : projections)
    all.push_back({"proj_K" + std::to_string(k) + "_N" + std::to_string(n), false, true, kTokens,
                   n, k});
  // Their input gradients in the backward: dx [M, K] = dy [M, N] W (no transposes).
  for (auto [k, n] : projections)
    all.push_back({"proj_dx_K" + std::to_string(k) + "_N" + std::to_string(n), false, false,
                   kTokens, k, n});
  all.push_back({"peak_2048cubed", false, false, 2048, 2048, 2048});
  return all;
}

std::vector<float> filled(int64_t count, uint32_t seed) {
  std::vector<float> v(count);
  uint32_t s = seed;
  for (float &x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>(s >> 8) * (1.0f / 16777216.0f) - 0.5f;
  }
  return v;
}

// What runs a product: a raw library GEMM, or a backend's kernels through its table.
struct Implementation {
  std::string label;
  GemmFunction library = nullptr;
  const Backend *backend = nullptr;
};

// Stops the benchmark, as a step would report it, when a kernel returned a failure: true then.
bool failed(benchmark::State &state, int32_t kernelId, int32_t status) {
  if (status == SLIMTUNE_KERNEL_OK)
    return false;
  state.SkipWithError(slimtune::kernelFailureText(kernelId, status).c_str());
  return true;
}

// out [m, n] = op(a) op(b) of a case. A backend runs the kernel a step would: linear for x W^T
// (layout 0) and x W (layout 1), weight_grad for dy^T x (no case transposes both). False, the
// benchmark stopped, when the library or kernel failed.
bool product(benchmark::State &state, const Implementation &impl, const Case &c, const float *a,
             int64_t lda, const float *b, int64_t ldb, float *out) {
  if (impl.library) {
    if (impl.library(c.transA, c.transB, c.m, c.n, c.k, 1.0f, a, lda, b, ldb, 0.0f, out, c.n) ==
        SLIMTUNE_KERNEL_OK)
      return true;
    state.SkipWithError("the GEMM library refused the product");
    return false;
  }
  if (c.transA)
    return !failed(state, SLIMTUNE_KERNEL_WEIGHT_GRAD,
                   slimtune::kernels::call<SLIMTUNE_KERNEL_WEIGHT_GRAD>(*impl.backend, out, a, b,
                                                                        c.k, c.n, c.m, 0));
  return !failed(state, SLIMTUNE_KERNEL_LINEAR,
                 slimtune::kernels::call<SLIMTUNE_KERNEL_LINEAR>(*impl.backend, out, a, b, nullptr,
                                                                 c.m, c.k, c.n, c.transB ? 0 : 1));
}

void runGemm(benchmark::State &state, const Implementation &impl, Case c) {
  int64_t lda = c.transA ? c.m : c.k, ldb = c.transB ? c.k : c.n;
  std::vector<float> a = filled(c.m * c.k, 1), b = filled(c.k * c.n, 2), out(c.m * c.n);
  // Untimed first call: oneDNN generates its kernel, the thread pools start.
  if (!product(state, impl, c, a.data(), lda, b.data(), ldb, out.data()))
    return;
  for (auto _ : state) {
    if (!product(state, impl, c, a.data(), lda, b.data(), ldb, out.data()))
      return;
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  // A rate counter over real time: printed as "GFLOP=<value>/s".
  state.counters["GFLOP"] = benchmark::Counter(
      2e-9 * static_cast<double>(c.m) * c.n * c.k, benchmark::Counter::kIsIterationInvariantRate);
}

// One decoder layer's projections with LoRA on all seven (q, k, v, o, gate, up, down), as the
// forward runs them: base y = x W^T, u = x A^T, y += scale u B^T (the add is an OpenMP kernel);
// a backend runs its linear, lora and add kernels. Consecutive calls alternate between shapes,
// so this also prices switching between OpenBLAS's pthread pool and the OpenMP pool of oneDNN
// and the kernels (idle threads of one spin while the other works on the same two cores).
void runLayer(benchmark::State &state, const Implementation &impl) {
  const std::pair<int64_t, int64_t> projections[] = {{576, 576}, {576, 192},  {576, 192},
                                                     {576, 576}, {576, 1536}, {576, 1536},
                                                     {1536, 576}};
  constexpr int64_t r = 16;
  std::vector<float> x = filled(kTokens * 1536, 1), weight = filled(1536 * 1536, 2),
                     a = filled(r * 1536, 3), b = filled(1536 * r, 4),
                     u(slimtune_cpu_lora_work(kTokens, 1536, r, 0.0f)), y(kTokens * 1536),
                     delta(kTokens * 1536);
  const int32_t step = 0;
  double flops = 0;
  // False, the benchmark stopped, when a kernel or the library failed.
  auto layer = [&] {
    for (auto [k, n] : projections) {
      if (impl.backend) {
        using namespace slimtune::kernels;
        if (failed(state, SLIMTUNE_KERNEL_LINEAR,
                   call<SLIMTUNE_KERNEL_LINEAR>(*impl.backend, y.data(), x.data(), weight.data(),
                                                nullptr, kTokens, k, n, 0)) ||
            failed(state, SLIMTUNE_KERNEL_LORA,
                   call<SLIMTUNE_KERNEL_LORA>(*impl.backend, delta.data(), x.data(), a.data(),
                                              b.data(), u.data(), kTokens, k, n, r, 2.0f, 0.0f, 0,
                                              &step)) ||
            failed(state, SLIMTUNE_KERNEL_ADD,
                   call<SLIMTUNE_KERNEL_ADD>(*impl.backend, y.data(), y.data(), delta.data(),
                                             kTokens * n)))
          return false;
        continue;
      }
      if (impl.library(false, true, kTokens, n, k, 1.0f, x.data(), k, weight.data(), k, 0.0f,
                       y.data(), n) != SLIMTUNE_KERNEL_OK ||
          impl.library(false, true, kTokens, r, k, 1.0f, x.data(), k, a.data(), k, 0.0f, u.data(),
                       r) != SLIMTUNE_KERNEL_OK ||
          impl.library(false, true, kTokens, n, r, 2.0f, u.data(), r, b.data(), r, 0.0f,
                       delta.data(), n) != SLIMTUNE_KERNEL_OK) {
        state.SkipWithError("the GEMM library refused the product");
        return false;
      }
      add(y.data(), y.data(), delta.data(), kTokens * n);
    }
    return true;
  };
  for (auto [k, n] : projections)
    flops += 2.0 * kTokens * (n * k + r * k + n * r);
  if (!layer())
    return;
  for (auto _ : state) {
    if (!layer())
      return;
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP"] = benchmark::Counter(1e-9 * flops,
                                               benchmark::Counter::kIsIterationInvariantRate);
}

// Every backend (labelled by its name; the CPU's is the dispatch, cpu::gemm) and the two raw
// libraries.
std::vector<Implementation> implementations() {
  std::vector<Implementation> all;
  for (const Backend &backend : slimtune::kernels::backends())
    all.push_back({backend.name, nullptr, &backend});
  all.push_back({"openblas", gemmOpenBlas});
  all.push_back({"onednn", gemmOneDnn});
  return all;
}

// Registered at load time (benchmark_main runs them), grouped by shape so that the
// implementations of one shape print next to each other.
const bool kRegistered = [] {
  static const std::vector<Implementation> all = implementations();
  for (const Case &c : cases())
    for (const Implementation &impl : all)
      benchmark::RegisterBenchmark(("gemm/" + c.name + "/" + impl.label).c_str(), runGemm, impl, c)
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime() // the libraries run on both cores; CPU time of this thread undercounts
          ->Repetitions(5)
          ->ReportAggregatesOnly(true);
  for (const Implementation &impl : all)
    benchmark::RegisterBenchmark(("gemm/layer_forward_lora_all/" + impl.label).c_str(), runLayer,
                                 impl)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime()
        ->Repetitions(5)
        ->ReportAggregatesOnly(true);
  return true;
}();

} // namespace
