// Training checkpoints: everything a run needs to continue exactly where it stopped, in one
// folder that is written atomically and verified before use.
//
//   adapter_model.safetensors  trainable parameters by their PEFT names (fp32)
//   optimizer.safetensors      optimizer state ("<param>.exp_avg", "<param>.exp_avg_sq", fp32)
//   trainer_state.json         {"format": "slimtune-checkpoint", "version": 1, "step": N,
//                               "base_model_sha256": "...", (the frozen weights trained on)
//                               "base_model_path": "...", (where they were read from)
//                               "trainer": {...the trainer's own fields...}}
//   adapter_config.json        the adapter configuration trained with (when given)
//   checksums.sha256           SHA-256 of each file above, as `sha256sum -c` reads it
//
// The folder is built under a temporary name (every file fsynced), then renamed into place,
// so a crash, a full disk or an interrupt never leaves a half-written checkpoint under the
// final name, and an older checkpoint is never touched.
#ifndef SLIMTUNE_CHECKPOINT_H
#define SLIMTUNE_CHECKPOINT_H

#include "slimtune/session.h"
#include "slimtune/status.h"

#include <string>
#include <utility>
#include <vector>

namespace slimtune {

struct CheckpointContents {
  int64_t step = 0;
  std::string trainerJson = "{}"; // a JSON object the trainer owns (data position, settings)
  std::string adapterConfig;      // adapter_config.json text; "" for none
  std::string baseModelSha256;    // Session::frozenFingerprint() when saved; "" if unknown
  std::string baseModelPath;      // where the base model was read from; "" if not known
};

// Writes the session's trainable parameters, optimizer state and step, with `contents`, to
// `folder` (replacing a checkpoint already there only once the new one is complete).
Status saveCheckpoint(const Session &session, const std::string &folder,
                      const CheckpointContents &contents);

// Checks every file against checksums.sha256 and reads trainer_state.json; errors name the
// folder or file and say what is wrong (missing, corrupt, not a checkpoint).
Expected<CheckpointContents> verifyCheckpoint(const std::string &folder);

// verifyCheckpoint, then puts the parameters, optimizer state and step into `session`. Every
// trainable parameter and state buffer of the session must be in the checkpoint with the
// same shape, and the checkpoint must hold nothing the session lacks. The session's base
// model must be bound first and be the one the checkpoint was trained on.
Expected<CheckpointContents> loadCheckpoint(Session &session, const std::string &folder);
// The same for the adapter parameters alone (a step without an optimizer: gradients
// measured at a trained adapter); the step count and optimizer state are left as they are.
Status loadCheckpointAdapters(Session &session, const std::string &folder);

// The checkpoints of a run folder (<out>/checkpoints/step-<N>), oldest first.
std::vector<std::string> listCheckpoints(const std::string &runFolder);
// The same with each one's step N.
std::vector<std::pair<int64_t, std::string>> listCheckpointSteps(const std::string &runFolder);
// Removes what saves killed midway left in a run folder (a process that no longer exists:
// its temporary step-N.partial.<pid> folders; a checkpoint it had set aside to replace is put
// back when nothing replaced it). Returns what it removed or restored, for the user to see.
std::vector<std::string> removeUnfinishedCheckpoints(const std::string &runFolder);
// Where a run folder keeps the checkpoint of step `step`.
std::string checkpointFolder(const std::string &runFolder, int64_t step);

} // namespace slimtune

#endif // SLIMTUNE_CHECKPOINT_H
