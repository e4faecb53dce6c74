// The CPU's linear kernel on frozen weights stored narrower than fp32 against the fp32 one, side
// by side in one run: `linear_bf16` (x rounded to bf16, then oneDNN's bf16 matmul, or where the
// CPU has none W widened to fp32 a panel at a time for fp32 GEMMs; both are timed where the
// bf16 matmul exists) against `linear` (one fp32 GEMM) on the same values, at the projection shapes of
// SmolLM2-135M (batch 4 x 256 tokens) and one LLaMA-7B shape (512 tokens). Rounds alternate
// the two kernels; the median of the per-round ratios is printed (1.00: as fast as fp32).
//
// Usage: bench-cpu-frozen-linear [ROUNDS]   (default 9; unset OPENBLAS_CORETYPE first)
#include "side_by_side.h"
#include "kernels/common/bf16.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/workspace.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace slimtune;
using bench::median;
using bench::timed;

namespace {

struct Shape {
  const char *model, *layer;
  int64_t n, in, out;
  int32_t layout;
};

const Shape kShapes[] = {
    {"SmolLM2-135M", "q/o_proj", 1024, 576, 576, 0},
    {"SmolLM2-135M", "gate/up", 1024, 576, 1536, 0},
    {"SmolLM2-135M", "down", 1024, 1536, 576, 0},
    {"SmolLM2-135M", "down dx", 1024, 576, 1536, 1},
    {"LLaMA-7B", "gate/up", 512, 4096, 11008, 0},
};

} // namespace

int main(int argc, char **argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 9;
  const bool bf16Matmul = cpu::setBf16Gemm(true);
  std::printf("bf16 matmul on this CPU: %s\n", bf16Matmul ? "yes" : "no (widened path only)");
  std::printf("%-14s %-9s %6s %6s %6s  %8s %8s %8s  %s\n", "model", "layer", "n", "in", "out",
              "fp32 ms", "bf16 ms", "wide ms", "bf16/fp32 wide/fp32 (medians of rounds)");
  for (const Shape &s : kShapes) {
    std::vector<float> x(s.n * s.in), w(s.in * s.out), y(s.n * s.out);
    std::vector<uint16_t> w16(w.size());
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    for (size_t i = 0; i < w.size(); ++i) {
      w16[i] = common::f32ToBf16Bits(static_cast<float>((i * 40503u) % 997) / 997.0f - 0.5f);
      w[i] = common::bf16BitsToF32(w16[i]);
    }
    std::vector<float> work(slimtune_cpu_linear_bf16_work(s.n, s.in, s.out));
    auto *work16 = reinterpret_cast<uint16_t *>(work.data());
    std::vector<double> fp32, bf16, wide, ratio, wideRatio;
    auto bf16Call = [&](bool matmul) {
      cpu::setBf16Gemm(matmul);
      return timed([&] {
        (void)cpu::linearBf16(y.data(), x.data(), w16.data(), nullptr, work16, s.n, s.in, s.out,
                              s.layout);
      });
    };
    for (int r = 0; r < rounds + 1; ++r) {
      const double a = timed([&] {
        (void)cpu::linear(y.data(), x.data(), w.data(), nullptr, s.n, s.in, s.out, s.layout);
      });
      const double b = bf16Matmul ? bf16Call(true) : 0.0;
      const double c = bf16Call(false);
      if (r == 0)
        continue; // warm-up: first touches, the GEMM library's first call
      fp32.push_back(a);
      bf16.push_back(b);
      wide.push_back(c);
      ratio.push_back(b / a);
      wideRatio.push_back(c / a);
    }
    std::printf("%-14s %-9s %6lld %6lld %6lld  %8.2f %8.2f %8.2f  x%.3f x%.3f\n", s.model,
                s.layer, static_cast<long long>(s.n), static_cast<long long>(s.in),
                static_cast<long long>(s.out), median(fp32) * 1e3, median(bf16) * 1e3,
                median(wide) * 1e3, median(ratio), median(wideRatio));
  }
  return 0;
}
