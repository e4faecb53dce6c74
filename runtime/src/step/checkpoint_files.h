// The text files of a checkpoint folder (slimtune/checkpoint.h), parsed apart from the folder
// so that unit tests and the fuzzer reach them without writing files. Internal to the runtime.
#ifndef SLIMTUNE_STEP_CHECKPOINT_FILES_H
#define SLIMTUNE_STEP_CHECKPOINT_FILES_H

#include "slimtune/checkpoint.h"
#include "slimtune/status.h"

#include <map>
#include <string>
#include <string_view>

namespace slimtune {

// checksums.sha256 as `sha256sum` writes it: one "<64 characters>  <file>" line per file of
// the folder (no '/' in the name). Returns file → digest. It must list the parameters, the
// optimizer state and trainer_state.json. `path` labels errors: "<path>: malformed line ...".
Expected<std::map<std::string, std::string>> parseCheckpointChecksums(std::string_view text,
                                                                      const std::string &path);

// trainer_state.json: {"format": "slimtune-checkpoint", "version": 1, "step": N >= 0,
// "trainer": {...}}. Returns the step and the trainer's object (adapterConfig stays empty).
// `path` labels errors.
Expected<CheckpointContents> parseTrainerState(std::string_view text, const std::string &path);

} // namespace slimtune

#endif // SLIMTUNE_STEP_CHECKPOINT_FILES_H
