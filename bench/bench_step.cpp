// A whole training step at a real model's shape (scripts/bench_step.sh: SmolLM2-135M, batch 4,
// seq 256, LoRA r=16 on every linear layer): step time, tokens/s, and achieved FLOP/s of the
// step's matrix products as a fraction of the GEMM peak measured in the same run (cpu::gemm
// at the model's own projection shapes).
//
// Memory: the runtime's planned bytes and measured high-water mark, and the process's own
// view, its anonymous resident memory (/proc/self/status RssAnon: heap and mmap'd buffers,
// not the model file's mapped pages) grown from before the step's artifact is loaded to
// after a few steps, against the plan.
//
// Usage: bench-step ARTIFACT [MODEL] [Google Benchmark flags]
//   Without MODEL the frozen weights are random: speed does not depend on their values.
#include "kernels/cpu/gemm.h"
#include "slimtune/session.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <random>
#include <vector>

using namespace slimtune;

namespace {
std::unique_ptr<Session> session;
std::vector<int32_t> tokens, targets;
double gemmPeak = 0; // FLOP/s, measured by BM_GemmPeak before BM_Step runs

void BM_GemmPeak(benchmark::State &state) {
  int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  std::vector<float> a(m * k, 0.5f), b(k * n, 0.25f), c(m * n);
  for (auto _ : state) {
    if (cpu::gemm(false, true, m, n, k, 1.0f, a.data(), k, b.data(), k, 0.0f, c.data(), n) !=
        SLIMTUNE_KERNEL_OK) {
      state.SkipWithError("the GEMM library refused the product");
      return;
    }
    benchmark::DoNotOptimize(c.data());
  }
  double flops = 2.0 * m * n * k;
  state.counters["FLOP/s"] = benchmark::Counter(flops * state.iterations(), benchmark::Counter::kIsRate);
}

void BM_Step(benchmark::State &state) {
  for (auto _ : state) {
    auto r = session->runStep(tokens.data(), targets.data());
    if (!r) {
      state.SkipWithError(r.status().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(r->loss);
  }
  double steps = static_cast<double>(state.iterations());
  state.counters["tokens/s"] = benchmark::Counter(
      steps * session->batchSize() * session->sequenceLength(), benchmark::Counter::kIsRate);
  state.counters["FLOP/s"] = benchmark::Counter(steps * session->matmulFlops(), benchmark::Counter::kIsRate);
}

// A field of /proc/self/status in bytes ("RssAnon", "VmHWM"), -1 when unavailable.
int64_t procStatusBytes(const char *field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.compare(0, std::strlen(field), field) == 0 && line[std::strlen(field)] == ':')
      return std::stoll(line.substr(std::strlen(field) + 1)) * 1024; // "RssAnon:  1234 kB"
  return -1;
}

// The GEMM peak: the best median rate among the step's projection shapes (or the best run,
// without repetitions), remembered and used to express the step's rate as a fraction.
class PeakReporter : public benchmark::ConsoleReporter {
public:
  PeakReporter() : ConsoleReporter(OO_Tabular) {}
  void ReportRuns(const std::vector<Run> &runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run &run : runs) {
      bool representative = run.run_type == Run::RT_Iteration || run.aggregate_name == "median";
      if (!representative || !run.counters.count("FLOP/s"))
        continue;
      double rate = run.counters.at("FLOP/s");
      if (run.run_name.function_name == "BM_GemmPeak")
        gemmPeak = std::max(gemmPeak, rate);
      else if (run.run_name.function_name == "BM_Step" && gemmPeak > 0)
        std::printf("step: %.1f GFLOP/s = %.1f%% of the GEMM peak (%.1f GFLOP/s) measured in this run\n",
                    rate / 1e9, 100.0 * rate / gemmPeak, gemmPeak / 1e9);
    }
  }
};
} // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench-step ARTIFACT [MODEL] [benchmark flags]\n");
    return 1;
  }
  // The model is opened first: its reader's own memory is not the step's.
  std::unique_ptr<ModelSource> model;
  if (argc > 2) {
    auto source = ModelSource::open(argv[2]);
    if (!source) {
      std::fprintf(stderr, "bench-step: error: %s\n", source.status().message().c_str());
      return 1;
    }
    model = source.take();
  }
  const int64_t anonBefore = procStatusBytes("RssAnon");
  auto opened = Session::open(argv[1]);
  if (!opened) {
    std::fprintf(stderr, "bench-step: error: %s\n", opened.status().message().c_str());
    return 1;
  }
  session = opened.take();
  if (model) {
    Status s = session->bindModel(*model);
    if (!s) {
      std::fprintf(stderr, "bench-step: error: %s\n", s.message().c_str());
      return 1;
    }
  } else {
    std::mt19937 random(1);
    std::uniform_real_distribution<float> weight(-0.05f, 0.05f);
    for (const StepBufferInfo &b : session->buffers())
      if (b.role == "frozen") {
        std::vector<float> values(b.bytes / 4);
        for (float &v : values)
          v = weight(random);
        (void)session->bindTensor(b.name, values.data(), values.size());
      }
  }
  (void)session->initAdapters(LoraInit::KaimingUniform, 1);
  int64_t n = session->batchSize() * session->sequenceLength();
  std::mt19937 random(2);
  tokens.resize(n);
  targets.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    tokens[i] = static_cast<int32_t>(random() % 1000);
    targets[i] = static_cast<int32_t>(random() % 1000);
  }
  // The process's memory after a few steps (before the GEMM benchmarks allocate their own).
  for (int i = 0; i < 3; ++i)
    (void)session->runStep(tokens.data(), targets.data());
  const int64_t anonGrowth = procStatusBytes("RssAnon") - anonBefore;
  // SmolLM2's projections at batch 4 x seq 256 tokens: q/o, gate/up, down, LM head.
  for (auto shape : std::vector<std::vector<int64_t>>{{1024, 576, 576}, {1024, 576, 1536},
                                                      {1024, 1536, 576}, {1024, 576, 49152}})
    benchmark::RegisterBenchmark("BM_GemmPeak", BM_GemmPeak)->Args(shape)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_Step", BM_Step)->Unit(benchmark::kMillisecond)->UseRealTime();
  PeakReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::printf("planned memory: %lld bytes, measured peak: %lld bytes\n",
              static_cast<long long>(session->plannedBytes()),
              static_cast<long long>(session->peakBytes()));
  if (anonBefore >= 0)
    std::printf("process anonymous RSS growth over 3 steps: %lld bytes = %.2f%% of the plan\n",
                static_cast<long long>(anonGrowth), 100.0 * anonGrowth / session->plannedBytes());
  return 0;
}
