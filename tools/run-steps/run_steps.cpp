// Runs a compiled training step for N steps on its own target and reports each step's loss,
// gradient norm and time, the planned bytes and the device's measured peak, as JSON. Runtime
// only (no compiler, no LLVM): it runs where artifacts compiled elsewhere are carried, such as
// a GPU machine (scripts/gpu_check.sh), and side by side for the CPU and GPU loss curves and
// the GPU benchmark (bench/gpu_table.py reads its output).
//
// Usage: slimtune-run-steps ARTIFACT MODEL TOKENS.u32 STEPS [--random-weights SEED]
//          [--warmup W] [--seed S] [--json OUT.json] [--label KEY=VALUE]...
//   MODEL: a Hugging Face folder, a GGUF file, or with --random-weights a config.json.
//   TOKENS: little-endian u32 ids, consumed in order as batch x (seq + 1) windows (inputs and
//   next-token targets), wrapping around; the adapters start as PEFT initializes them (seed S).
//   Step times are wall-clock around runStep, which waits for the device; the median leaves
//   out the first W (default 3) steps.
#include "slimtune/data.h"
#include "slimtune/model.h"
#include "slimtune/session.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

using namespace slimtune;

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "slimtune-run-steps: error: %s\n", message.c_str());
  return 1;
}

std::string quoted(const std::string &s) {
  std::string out = "\"";
  for (char c : s)
    out += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

std::string number(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 5)
    return fail("usage: slimtune-run-steps ARTIFACT MODEL TOKENS.u32 STEPS [--random-weights SEED] "
                "[--warmup W] [--seed S] [--json OUT.json] [--label KEY=VALUE]...");
  const std::string artifact = argv[1], modelPath = argv[2], tokensPath = argv[3];
  const long steps = std::strtol(argv[4], nullptr, 10);
  long warmup = 3;
  unsigned long long adapterSeed = 0;
  long long randomSeed = -1;
  std::string jsonPath;
  std::map<std::string, std::string> labels;
  for (int i = 5; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc)
      return fail(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--random-weights")
      randomSeed = std::strtoll(value.c_str(), nullptr, 10);
    else if (flag == "--warmup")
      warmup = std::strtol(value.c_str(), nullptr, 10);
    else if (flag == "--seed")
      adapterSeed = std::strtoull(value.c_str(), nullptr, 10);
    else if (flag == "--json")
      jsonPath = value;
    else if (flag == "--label" && value.find('=') != std::string::npos)
      labels[value.substr(0, value.find('='))] = value.substr(value.find('=') + 1);
    else
      return fail("unknown argument " + flag);
  }
  if (steps <= 0 || warmup < 0)
    return fail("STEPS must be positive and --warmup not negative");

  auto session = Session::open(artifact);
  if (!session)
    return fail(session.status().message());
  Session &s = **session;
  auto model = randomSeed >= 0 ? ModelSource::openRandom(modelPath, static_cast<uint64_t>(randomSeed))
                               : ModelSource::open(modelPath);
  if (!model)
    return fail(model.status().message());
  if (Status st = s.bindModel(**model); !st)
    return fail(st.message());
  model->reset();
  if (Status st = s.initAdapters(LoraInit::KaimingUniform, adapterSeed); !st)
    return fail(st.message());
  auto tokens = readTokenFile(tokensPath);
  if (!tokens)
    return fail(tokens.status().message());
  const int64_t batch = s.batchSize(), seq = s.sequenceLength();
  const int64_t window = seq + 1;
  if (static_cast<int64_t>(tokens->size()) < window)
    return fail(tokensPath + ": fewer than seq + 1 = " + std::to_string(window) + " tokens");
  const int64_t windows = static_cast<int64_t>(tokens->size()) / window;

  std::vector<int32_t> inputs(batch * seq), targets(batch * seq);
  std::vector<double> seconds;
  std::vector<StepResult> results;
  int64_t next = 0;
  for (long step = 0; step < steps; ++step) {
    for (int64_t r = 0; r < batch; ++r, next = (next + 1) % windows)
      for (int64_t t = 0; t < seq; ++t) {
        inputs[r * seq + t] = (*tokens)[next * window + t];
        targets[r * seq + t] = (*tokens)[next * window + t + 1];
      }
    const auto start = std::chrono::steady_clock::now();
    auto result = s.runStep(inputs.data(), targets.data());
    const auto stop = std::chrono::steady_clock::now();
    if (!result)
      return fail("step " + std::to_string(step + 1) + ": " + result.status().message());
    seconds.push_back(std::chrono::duration<double>(stop - start).count());
    results.push_back(*result);
    std::fprintf(stderr, "step %ld loss %.6f grad_norm %.6f %.3f ms\n", step + 1, result->loss,
                 result->gradNorm, seconds.back() * 1e3);
  }
  std::vector<double> timed(seconds.begin() + std::min<long>(warmup, steps - 1), seconds.end());
  std::sort(timed.begin(), timed.end());
  const double median = timed.size() % 2 ? timed[timed.size() / 2]
                                         : (timed[timed.size() / 2 - 1] + timed[timed.size() / 2]) / 2;

  std::string json = "{\"system\": \"slimtune\", \"artifact\": " + quoted(artifact) +
                     ", \"batch\": " + std::to_string(batch) + ", \"seq\": " + std::to_string(seq) +
                     ", \"steps\": " + std::to_string(steps) + ", \"warmup\": " + std::to_string(warmup) +
                     ", \"median_step_seconds\": " + number(median) +
                     ", \"planned_bytes\": " + std::to_string(s.plannedBytes()) +
                     ", \"peak_bytes\": " + std::to_string(s.peakBytes());
  for (const auto &[key, value] : labels)
    json += ", " + quoted(key) + ": " + quoted(value);
  std::string losses, norms, times;
  for (size_t i = 0; i < results.size(); ++i) {
    losses += (i ? ", " : "") + number(results[i].loss);
    norms += (i ? ", " : "") + number(results[i].gradNorm);
    times += (i ? ", " : "") + number(seconds[i]);
  }
  json += ", \"losses\": [" + losses + "], \"grad_norms\": [" + norms + "], \"step_seconds\": [" +
          times + "]}\n";
  if (jsonPath.empty()) {
    std::cout << json;
  } else {
    std::ofstream out(jsonPath);
    out << json;
    if (!out)
      return fail("cannot write " + jsonPath);
  }
  return 0;
}
