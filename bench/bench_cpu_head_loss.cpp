// The language-model head and its loss on the CPU, fused and chunked (linear_cross_entropy)
// against the unfused kernels the step runs without slim-fuse-head-loss (linear into the whole
// logits, cross_entropy with the gradient in place, linear back to dx), side by side in one
// run, at SmolLM2-135M's head (batch 4 x 256 tokens, 576 -> 49152), fp32 and bf16 weights, for
// several chunk sizes: rounds run every variant once each; medians of the per-round ratios to
// the unfused time are printed.
//
// Usage: bench-cpu-head-loss [ROUNDS]   (default 5; unset OPENBLAS_CORETYPE first)
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


int main(int argc, char **argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  const int64_t n = 1024, in = 576, vocab = 49152;
  const std::vector<int64_t> chunks = {64, 128, 256, 512, 1024};
  std::vector<float> x(n * in), w(vocab * in), dx(n * in), logits(n * vocab);
  std::vector<uint16_t> w16(w.size());
  std::vector<int32_t> targets(n);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>((i * 2654435761u) % 1000) / 500.0f - 1.0f;
  for (size_t i = 0; i < w.size(); ++i) {
    w16[i] = common::f32ToBf16Bits(static_cast<float>((i * 40503u) % 997) / 9970.0f - 0.05f);
    w[i] = common::bf16BitsToF32(w16[i]);
  }
  for (int64_t i = 0; i < n; ++i)
    targets[i] = static_cast<int32_t>((i * 7919) % vocab);
  for (int32_t bf16 : {0, 1}) {
    const void *weight = bf16 ? static_cast<const void *>(w16.data()) : w.data();
    std::vector<float> unfusedWork(bf16 ? slimtune_cpu_linear_bf16_work(n, vocab, in) : 1);
    float loss;
    auto unfused = [&] {
      auto *r16 = reinterpret_cast<uint16_t *>(unfusedWork.data());
      if (bf16) {
        (void)cpu::linearBf16(logits.data(), x.data(), w16.data(), nullptr, r16, n, in, vocab, 0);
        cpu::crossEntropy(&loss, logits.data(), logits.data(), targets.data(), n, vocab, -100);
        (void)cpu::linearBf16(dx.data(), logits.data(), w16.data(), nullptr, r16, n, vocab, in, 1);
      } else {
        (void)cpu::linear(logits.data(), x.data(), w.data(), nullptr, n, in, vocab, 0);
        cpu::crossEntropy(&loss, logits.data(), logits.data(), targets.data(), n, vocab, -100);
        (void)cpu::linear(dx.data(), logits.data(), w.data(), nullptr, n, vocab, in, 1);
      }
    };
    std::vector<std::vector<float>> works;
    for (int64_t c : chunks)
      works.emplace_back(slimtune_cpu_linear_cross_entropy_work(n, in, vocab, c, bf16));
    std::vector<double> base;
    std::vector<std::vector<double>> times(chunks.size()), ratios(chunks.size());
    for (int r = 0; r < rounds + 1; ++r) {
      const double u = timed(unfused);
      std::vector<double> t(chunks.size());
      for (size_t c = 0; c < chunks.size(); ++c)
        t[c] = timed([&] {
          (void)cpu::linearCrossEntropy(&loss, dx.data(), x.data(), weight, targets.data(),
                                        works[c].data(), n, in, vocab, chunks[c], 0, bf16, -100);
        });
      if (r == 0)
        continue; // warm-up
      base.push_back(u);
      for (size_t c = 0; c < chunks.size(); ++c) {
        times[c].push_back(t[c]);
        ratios[c].push_back(t[c] / u);
      }
    }
    std::printf("%s weight: unfused %.1f ms (logits %lld bytes)\n", bf16 ? "bf16" : "fp32",
                median(base) * 1e3, static_cast<long long>(n * vocab * 4));
    for (size_t c = 0; c < chunks.size(); ++c)
      std::printf("  chunk %5lld rows: %7.1f ms  x%.3f  workspace %lld bytes\n",
                  static_cast<long long>(chunks[c]), median(times[c]) * 1e3, median(ratios[c]),
                  static_cast<long long>(works[c].size() * 4));
  }
  return 0;
}
