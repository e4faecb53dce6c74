// Learning-rate schedules the runtime computes for every step (a step's learning rate is an
// input): constant, and linear warmup then cosine decay, with their edge cases.
#include "slimtune/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>

using slimtune::LrSchedule;

namespace {
constexpr double kPi = 3.14159265358979323846;

LrSchedule cosine(float lr, int64_t warmup, int64_t total, float minLr) {
  LrSchedule s;
  s.cosine = true;
  s.lr = lr;
  s.warmupSteps = warmup;
  s.totalSteps = total;
  s.minLr = minLr;
  return s;
}
} // namespace

TEST(LrSchedule, ConstantIgnoresStep) {
  LrSchedule s;
  s.lr = 3e-4f;
  for (int64_t step : {int64_t{0}, int64_t{1}, int64_t{99}, int64_t{100000}, int64_t{1} << 40})
    EXPECT_EQ(s.at(step), 3e-4f);
}

// warmup 10, total 110: base (s+1)/10 for s < 10, cosine from base at s = 10 to minLr at
// s = 110 (its midpoint at s = 60), minLr after.
TEST(LrSchedule, WarmupThenCosineThenMinimum) {
  const float base = 1e-3f, minLr = 1e-5f;
  const LrSchedule s = cosine(base, 10, 110, minLr);
  EXPECT_FLOAT_EQ(s.at(0), 1e-4f);
  EXPECT_FLOAT_EQ(s.at(4), 5e-4f);
  EXPECT_FLOAT_EQ(s.at(9), 1e-3f);  // last warmup step: base
  EXPECT_FLOAT_EQ(s.at(10), 1e-3f); // cosine starts at base
  EXPECT_FLOAT_EQ(s.at(11), static_cast<float>(minLr + (base - minLr) * 0.5 * (1 + std::cos(kPi / 100))));
  EXPECT_FLOAT_EQ(s.at(60), (base + minLr) / 2);
  EXPECT_FLOAT_EQ(s.at(109), static_cast<float>(minLr + (base - minLr) * 0.5 * (1 + std::cos(kPi * 0.99))));
  EXPECT_FLOAT_EQ(s.at(110), minLr);
  EXPECT_FLOAT_EQ(s.at(111), minLr);
  EXPECT_FLOAT_EQ(s.at(5000), minLr);
  // Monotone: up through warmup, down through the cosine.
  for (int64_t step = 0; step < 110; ++step) {
    if (step < 9)
      EXPECT_LT(s.at(step), s.at(step + 1)) << step;
    else
      EXPECT_GE(s.at(step), s.at(step + 1)) << step;
  }
}

// No warmup: the cosine starts at step 0; warmup >= total: warmup, then minLr.
TEST(LrSchedule, DegenerateWarmups) {
  EXPECT_FLOAT_EQ(cosine(1e-3f, 0, 100, 0.0f).at(0), 1e-3f);
  EXPECT_FLOAT_EQ(cosine(1e-3f, 0, 100, 0.0f).at(50), 5e-4f);
  EXPECT_FLOAT_EQ(cosine(1e-3f, 0, 100, 0.0f).at(100), 0.0f);
  EXPECT_FLOAT_EQ(cosine(1e-3f, 10, 10, 1e-5f).at(4), 5e-4f);
  EXPECT_FLOAT_EQ(cosine(1e-3f, 10, 10, 1e-5f).at(10), 1e-5f);
}
