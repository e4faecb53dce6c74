//===- TrainSettings.h - what a training run was asked to do ------------------------------===//
//
// Every setting of `slimtune train` as text, exactly as given ("" when not given), so that a
// checkpoint can record them and a resumed run can be checked against them: settings that
// change the math must match the checkpoint's; the others may change.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_TRAINSETTINGS_H
#define SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_TRAINSETTINGS_H

#include "../Cli.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace slimtune::cli {

struct TrainSettings {
  // By option name (without the dashes): model, adapter, data, tokens, doc-separator, steps,
  // batch, seq, seed, val-fraction, eval-every, eval-batches, save-every, keep-checkpoints,
  // log, out, and the pipeline's: pipeline, passes, lr, schedule, warmup-steps,
  // weight-decay, max-grad-norm.
  std::map<std::string, std::string> values;

  const std::string &get(const std::string &key) const;
  PipelineSettings pipeline() const;

  nlohmann::json toJson() const;
  // Fills settings not given here from a checkpoint's; fails when a setting that changes the
  // math differs. Paths may differ (files move): the data and adapter are checked by content.
  Status resumeFrom(const nlohmann::json &saved, std::vector<std::string> &warnings);
};

// The numbers a run uses, validated, with defaults applied.
struct TrainPlan {
  int64_t steps = 0, batch = 0, seq = 0;
  uint64_t seed = 0;
  double valFraction = 0.05;
  int64_t evalEvery = 0;   // 0: only at the end
  int64_t evalBatches = 8; // 0: the whole validation split
  int64_t saveEvery = 0;   // 0: only at the end
  int64_t keepCheckpoints = 3;
};
Expected<TrainPlan> planTraining(const TrainSettings &settings);

} // namespace slimtune::cli

#endif // SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_TRAINSETTINGS_H
