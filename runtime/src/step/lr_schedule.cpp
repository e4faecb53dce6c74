// Learning-rate schedules (slimtune/lr_schedule.h).
#include "slimtune/lr_schedule.h"

#include <cmath>

namespace slimtune {

float LrSchedule::at(int64_t s) const {
  const double base = lr, low = minLr;
  if (!cosine)
    return lr;
  if (s < warmupSteps)
    return static_cast<float>(base * static_cast<double>(s + 1) / static_cast<double>(warmupSteps));
  if (s >= totalSteps)
    return minLr;
  constexpr double kPi = 3.14159265358979323846;
  const double progress =
      static_cast<double>(s - warmupSteps) / static_cast<double>(totalSteps - warmupSteps);
  return static_cast<float>(low + (base - low) * 0.5 * (1.0 + std::cos(kPi * progress)));
}

} // namespace slimtune
