//===- TrainSettings.cpp - settings of a run, defaults, resume checks ----------------------===//

#include "TrainSettings.h"

#include "compiler/Pipelines.h"

#include "llvm/ADT/StringRef.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace slimtune::cli {
namespace {

// Settings that shape the computation: a resumed run must use the same ones to continue the
// same run. (--steps may grow; the data and the adapter are compared by content.)
const std::set<std::string> kMustMatch = {"doc-separator", "batch",         "seq",
                                          "seed",          "val-fraction",  "pipeline",
                                          "passes",        "lr",            "schedule",
                                          "warmup-steps",  "weight-decay",  "max-grad-norm",
                                          "pass-pipeline", "random-weights", "precision"};

// What a setting not given means: the pipeline's and the plan's own defaults, as text.
const std::map<std::string, std::string> &defaults() {
  static const std::map<std::string, std::string> table = [] {
    const TrainingPipelineOptions pipeline;
    const TrainPlan plan;
    return std::map<std::string, std::string>{
        {"lr", number(pipeline.lr)},
        {"weight-decay", number(pipeline.weightDecay)},
        {"max-grad-norm", number(pipeline.maxGradNorm)},
        {"schedule", pipeline.schedule},
        {"warmup-steps", std::to_string(pipeline.warmupSteps)},
        {"seed", std::to_string(plan.seed)},
        {"val-fraction", number(plan.valFraction)},
        {"pipeline", CompileOptions().pipeline}};
  }();
  return table;
}

// The value a setting takes effect with, in one spelling, so that settings are compared by
// what they do: a number as the number it parses to ("0.010" and "0.01" are one learning
// rate), and a setting not given as its default (giving the default explicitly changes
// nothing).
std::string effective(const std::string &key, const std::string &given) {
  std::string value = given;
  if (value.empty())
    if (auto it = defaults().find(key); it != defaults().end())
      value = it->second;
  double parsed;
  if (!value.empty() && !llvm::StringRef(value).getAsDouble(parsed)) {
    char text[40];
    std::snprintf(text, sizeof text, "%.17g", parsed);
    return text;
  }
  return value;
}

Expected<int64_t> nonNegative(const std::string &name, const std::string &text, int64_t fallback) {
  if (text.empty())
    return fallback;
  int64_t value = 0;
  if (llvm::StringRef(text).getAsInteger(10, value) || value < 0)
    return Status::error("--" + name + " must be a non-negative integer, got '" + text + "'");
  return value;
}

} // namespace

const std::string &TrainSettings::get(const std::string &key) const {
  static const std::string empty;
  auto it = values.find(key);
  return it == values.end() ? empty : it->second;
}

PipelineSettings TrainSettings::pipeline() const {
  return {get("pipeline"),     get("passes"),       get("pass-pipeline"),
          get("lr"),           get("schedule"),     get("warmup-steps"),
          get("weight-decay"), get("max-grad-norm")};
}

nlohmann::json TrainSettings::toJson() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto &[key, value] : values)
    if (!value.empty() && key != "resume")
      out[key] = value;
  return out;
}

Status TrainSettings::resumeFrom(const nlohmann::json &saved, std::vector<std::string> &warnings) {
  if (!saved.is_object())
    return Status::error("the checkpoint records no settings");
  for (const auto &[key, value] : saved.items())
    if (!value.is_string())
      return Status::error("the checkpoint's setting \"" + key + "\" is not text");
  auto savedValue = [&](const std::string &key) {
    return saved.contains(key) ? saved[key].get<std::string>() : std::string();
  };
  // Settings that change the math: what is given now must take the value the run had
  // (given then or not: a default given explicitly is the same setting).
  for (const std::string &key : kMustMatch) {
    const std::string now = get(key), before = savedValue(key);
    if (now.empty() || effective(key, now) == effective(key, before))
      continue;
    auto fallback = defaults().find(key);
    std::string was = !before.empty()                 ? before
                      : fallback != defaults().end() ? fallback->second + " (the default)"
                                                      : "(not set)";
    return Status::error("--" + key + " " + now + " differs from the checkpoint's " + was +
                         "; a resumed run must keep it (start a new run to change it)");
  }
  const std::string schedule = get("schedule").empty() ? savedValue("schedule") : get("schedule");
  if (!get("steps").empty() && effective("steps", get("steps")) != effective("steps", savedValue("steps")) &&
      effective("schedule", schedule) == "cosine")
    warnings.push_back("--steps " + get("steps") + " differs from the checkpoint's " +
                       savedValue("steps") + ": the cosine schedule now decays over " +
                       get("steps") + " steps");
  // Everything the checkpoint recorded and not given now is taken from it.
  for (const auto &[key, value] : saved.items())
    if (std::string &now = values[key]; now.empty())
      now = value.get<std::string>();
  return Status::ok();
}

Expected<TrainPlan> planTraining(const TrainSettings &s) {
  TrainPlan plan;
  SLIMTUNE_TRY(steps, positiveInteger("steps", s.get("steps")));
  SLIMTUNE_TRY(batch, positiveInteger("batch", s.get("batch")));
  SLIMTUNE_TRY(seq, positiveInteger("seq", s.get("seq")));
  plan.steps = steps;
  plan.batch = batch;
  plan.seq = seq;
  if (!s.get("seed").empty() && llvm::StringRef(s.get("seed")).getAsInteger(10, plan.seed))
    return Status::error("--seed must be a non-negative integer, got '" + s.get("seed") + "'");
  if (!s.get("val-fraction").empty()) {
    double f;
    if (llvm::StringRef(s.get("val-fraction")).getAsDouble(f) || !(f >= 0 && f < 1))
      return Status::error("--val-fraction must be a number in [0, 1), got '" +
                           s.get("val-fraction") + "'");
    plan.valFraction = f;
  }
  SLIMTUNE_TRY(evalEvery, nonNegative("eval-every", s.get("eval-every"), 0));
  SLIMTUNE_TRY(evalBatches, nonNegative("eval-batches", s.get("eval-batches"), 8));
  SLIMTUNE_TRY(saveEvery, nonNegative("save-every", s.get("save-every"), 0));
  SLIMTUNE_TRY(keep, nonNegative("keep-checkpoints", s.get("keep-checkpoints"), 3));
  if (keep == 0)
    return Status::error("--keep-checkpoints must be at least 1");
  plan.evalEvery = evalEvery;
  plan.evalBatches = evalBatches;
  plan.saveEvery = saveEvery;
  plan.keepCheckpoints = keep;
  return plan;
}

} // namespace slimtune::cli
