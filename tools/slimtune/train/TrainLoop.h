//===- TrainLoop.h - steps, evaluation, checkpoints, progress -----------------------------===//

#ifndef SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_TRAINLOOP_H
#define SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_TRAINLOOP_H

#include "MetricsLog.h"
#include "TrainSettings.h"

#include "slimtune/data.h"
#include "slimtune/session.h"

#include <string>

namespace slimtune::cli {

struct TrainRun {
  Session &train;
  Session *eval; // null without a validation split
  const PackedDataset &data;
  const TrainPlan &plan;
  const TrainSettings &settings;
  std::string runFolder;     // "" without --out: nothing is saved
  std::string adapterConfig; // adapter_config.json text, kept in every checkpoint
  std::string lastCheckpoint; // the newest good checkpoint (the resumed one, at first)
  std::string modelRewrites;  // passes that changed the model (slim-reversible{...}), or ""
};

// Runs steps from the session's step count to plan.steps. Returns the exit code: 0 when done,
// 130 when interrupted (after saving a checkpoint), 1 on errors (printed; the last good
// checkpoint stays as it was).
int runTrainingLoop(TrainRun &run, MetricsLog &log);

} // namespace slimtune::cli

#endif // SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_TRAINLOOP_H
