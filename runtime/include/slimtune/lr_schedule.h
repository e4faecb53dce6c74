// Learning-rate schedules, computed by the runtime at every step: a compiled step takes its
// learning rate as an input, so a trainer may give its own, or follow the schedule the step
// was compiled with (its manifest's "lr_schedule").
#ifndef SLIMTUNE_LR_SCHEDULE_H
#define SLIMTUNE_LR_SCHEDULE_H

#include <cstdint>

namespace slimtune {

struct LrSchedule {
  bool cosine = false;
  // fp32, as the rate itself is: the schedule's numbers are the fp32 values of the options.
  float lr = 2e-4f;
  int64_t warmupSteps = 0; // cosine only
  int64_t totalSteps = 0;  // cosine only: where the rate reaches minLr
  float minLr = 0.0f;      // cosine only

  // The rate at step s (0 at the first step). constant: lr. cosine: lr (s + 1) / warmup while
  // s < warmup, then a cosine from lr (at s = warmup) to minLr (at s = total), minLr after.
  // Computed in double and rounded once.
  float at(int64_t s) const;
};

} // namespace slimtune

#endif // SLIMTUNE_LR_SCHEDULE_H
