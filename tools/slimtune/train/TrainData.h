//===- TrainData.h - the sequences a run trains and validates on --------------------------===//

#ifndef SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_TRAINDATA_H
#define SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_TRAINDATA_H

#include "TrainSettings.h"

#include "slimtune/data.h"
#include "slimtune/model.h"

namespace slimtune::cli {

// --data TEXTFILE (tokenized with the model's tokenizer, through the token cache) or --tokens
// IDS.u32, packed into the run's sequences. Appends to `report` the lines saying what it read
// (printed once the steps compile, so a compile error stays the only output).
Expected<PackedDataset> loadTrainingData(const TrainSettings &settings, const TrainPlan &plan,
                                         const ModelSource &model, std::string &report);

} // namespace slimtune::cli

#endif // SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_TRAINDATA_H
