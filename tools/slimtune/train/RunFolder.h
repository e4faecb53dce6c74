//===- RunFolder.h - the folder a training run works in -----------------------------------===//
//
// A run folder (--out) holds the compiled steps and checkpoints/step-N. These helpers make it,
// keep a second run out of it while one works there, and tidy up after a run that failed
// before it saved anything; without --out the run works in a temporary folder.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_RUNFOLDER_H
#define SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_RUNFOLDER_H

#include "slimtune/status.h"

#include <string>

namespace slimtune::cli {

// A folder for the compiled steps: the run folder, or a temporary one removed at the end.
struct WorkFolder {
  std::string path;
  bool temporary = false;
  ~WorkFolder();
};

// What a run that fails before its first checkpoint leaves in its run folder is removed
// again: the compiled steps, the lock, the empty checkpoints folder, and the run folder itself
// when this run created it and nothing else (a --log file, say) is in it. A run that saved a
// checkpoint, or resumed one, keeps everything.
struct RunFolderCleanup {
  std::string path;
  bool createdFolder = false;
  ~RunFolderCleanup();
};

// One run per run folder: a second `slimtune train` in the same folder (a resume started
// twice) would write and prune the same checkpoints. The lock is the process's: released at
// exit however it ends (kill -9 included), so a stale lock cannot block a resume.
class RunFolderLock {
public:
  ~RunFolderLock();
  Status acquire(const std::string &folder);

private:
  int fd_ = -1;
};

// Creates the run folder (and its checkpoints folder) and checks that it takes files, before
// any time is spent training.
Status prepareRunFolder(const std::string &path);

// The run folder a checkpoint belongs to (<run>/checkpoints/step-N), or "" for a checkpoint
// that is not in one.
std::string runFolderOf(const std::string &checkpoint);

} // namespace slimtune::cli

#endif // SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_RUNFOLDER_H
