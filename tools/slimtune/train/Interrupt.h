//===- Interrupt.h - Ctrl-C during training -----------------------------------------------===//
//
// The first SIGINT (or SIGTERM) asks the run to stop after the step in progress, save a
// checkpoint and exit; a second one ends the process at once, as usual.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_INTERRUPT_H
#define SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_INTERRUPT_H

namespace slimtune::cli {

class InterruptGuard {
public:
  InterruptGuard();  // installs the handlers
  ~InterruptGuard(); // restores the previous ones
  InterruptGuard(const InterruptGuard &) = delete;
  InterruptGuard &operator=(const InterruptGuard &) = delete;

  // The signal received (SIGINT or SIGTERM), or 0.
  static int requested();
};

} // namespace slimtune::cli

#endif // SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_INTERRUPT_H
