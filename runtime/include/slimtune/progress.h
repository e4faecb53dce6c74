// What a training run shows while it runs: a one-line progress bar for terminals, and plain
// log lines (the command-line contract's "step N/T  loss X ...") for everything else. Pure
// formatting, so that it can be tested and reused by trainers that embed the runtime.
#ifndef SLIMTUNE_PROGRESS_H
#define SLIMTUNE_PROGRESS_H

#include <cmath>
#include <cstdint>
#include <string>

namespace slimtune {

struct ProgressState {
  int64_t step = 0, totalSteps = 0; // steps done (this one included), and the run's total
  double loss = NAN;
  double valLoss = NAN; // the latest validation loss; NaN before the first
  double gradNorm = NAN, lr = NAN;
  double tokensPerSecond = 0;
  double secondsLeft = NAN; // NaN while unknown
  int64_t memoryBytes = 0;
};

// "1h02m", "3m05s", "42s", "--" for unknown.
std::string formatDuration(double seconds);
// "512 B", "1.5 KiB", "2.03 GiB".
std::string formatBytes(int64_t bytes);
// "step 12/200  loss 2.3456  grad_norm 0.8123  lr 0.0002  231 tok/s": one line per step when
// the output is not a terminal.
std::string formatStepLine(const ProgressState &state);
// " 12/200 [███▌      ]  6% | loss 2.346 | val 2.401 | 231 tok/s | ETA 3m12s | 2.03 GiB",
// at most `width` columns (fields are dropped from the right to fit). `unicode` chooses block
// characters for the bar, otherwise '#' and '.'.
std::string formatProgressBar(const ProgressState &state, int width, bool unicode);

} // namespace slimtune

#endif // SLIMTUNE_PROGRESS_H
