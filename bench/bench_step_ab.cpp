// Step time of several compiled pipelines of the same model, measured side by side: every
// round runs one step of each artifact in a shuffled order, so drift and noise of a shared
// machine fall on all of them alike. Reports each artifact's median step time and the median
// over rounds of its time divided by the first artifact's in the same round.
//
// Usage: bench-step-ab MODEL ROUNDS A.so B.so [C.so ...]
//   (scripts/bench_pipelines.sh compiles the artifacts; the sessions share the frozen
//   weights, the adapters and the arena: they never run at the same time.)
#include "side_by_side.h"
#include "slimtune/session.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

using namespace slimtune;
using bench::median;

namespace {
int fail(const Status &s) {
  std::fprintf(stderr, "bench-step-ab: error: %s\n", s.message().c_str());
  return 1;
}
} // namespace

int main(int argc, char **argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: bench-step-ab MODEL ROUNDS A.so B.so [C.so ...]\n");
    return 1;
  }
  auto model = ModelSource::open(argv[1]);
  if (!model)
    return fail(model.status());
  const int rounds = std::atoi(argv[2]);
  std::vector<std::unique_ptr<Session>> sessions;
  // Every session shares the first one's weights, adapters and (when large enough) arena.
  for (int i = 3; i < argc; ++i) {
    auto opened = Session::open(argv[i], sessions.empty() ? nullptr : sessions.front().get());
    if (!opened)
      return fail(opened.status());
    sessions.push_back(opened.take());
    if (sessions.size() == 1) {
      if (Status s = sessions[0]->bindModel(**model); !s)
        return fail(s);
      if (Status s = sessions[0]->initAdapters(LoraInit::KaimingUniform, 1); !s)
        return fail(s);
    } else if (!sessions.back()->allBound("frozen")) {
      // Frozen weights of its own (CE-LoRA's SVD factors, derived from the model's).
      if (Status s = sessions.back()->bindModel(**model); !s)
        return fail(s);
    }
    if (sessions.size() > 1 && !sessions.back()->allBound("trainable")) {
      // Parameters of its own (MEFT's bottleneck adapters): initialized with the same seed,
      // which gives the shared ones the values they already have.
      if (Status s = sessions.back()->initAdapters(LoraInit::KaimingUniform, 1); !s)
        return fail(s);
    }
  }
  const int64_t n = sessions[0]->batchSize() * sessions[0]->sequenceLength();
  std::mt19937 random(2);
  std::vector<int32_t> tokens(n), targets(n);
  for (int64_t i = 0; i < n; ++i) {
    tokens[i] = static_cast<int32_t>(random() % 1000);
    targets[i] = static_cast<int32_t>(random() % 1000);
  }
  std::vector<size_t> order(sessions.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::vector<std::vector<double>> seconds(sessions.size()), ratios(sessions.size());
  for (int r = -1; r < rounds; ++r) { // round -1 warms up every artifact
    std::shuffle(order.begin(), order.end(), random);
    std::vector<double> t(sessions.size());
    for (size_t i : order) {
      auto start = std::chrono::steady_clock::now();
      auto step = sessions[i]->runStep(tokens.data(), targets.data());
      if (!step)
        return fail(step.status());
      t[i] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    if (r < 0)
      continue;
    for (size_t i = 0; i < sessions.size(); ++i) {
      seconds[i].push_back(t[i]);
      ratios[i].push_back(t[i] / t[0]);
    }
  }
  for (size_t i = 0; i < sessions.size(); ++i)
    std::printf("%s: median step %.3f s over %d rounds; against %s: x%.3f (median of per-round "
                "ratios)\n",
                argv[3 + i], median(seconds[i]), rounds, argv[3], median(ratios[i]));
  return 0;
}
