// The progress bar and the plain step lines.
#include "slimtune/progress.h"
#include "slimtune/sha256.h"

#include <gtest/gtest.h>

#include <limits>

namespace slimtune {
namespace {

int columns(const std::string &text) {
  int n = 0;
  for (unsigned char c : text)
    n += (c & 0xC0) != 0x80;
  return n;
}

ProgressState sample() {
  ProgressState s;
  s.step = 12;
  s.totalSteps = 200;
  s.loss = 2.34567;
  s.valLoss = 2.401;
  s.gradNorm = 0.5;
  s.lr = 2e-4;
  s.tokensPerSecond = 231.4;
  s.secondsLeft = 192;
  s.memoryBytes = 2028307968;
  return s;
}

TEST(Progress, Durations) {
  EXPECT_EQ(formatDuration(42), "42s");
  EXPECT_EQ(formatDuration(192), "3m12s");
  EXPECT_EQ(formatDuration(3720), "1h02m");
  EXPECT_EQ(formatDuration(NAN), "--");
}

TEST(Progress, Bytes) {
  EXPECT_EQ(formatBytes(512), "512 B");
  EXPECT_EQ(formatBytes(1536), "1.50 KiB");
  EXPECT_EQ(formatBytes(2028307968), "1.89 GiB");
}

TEST(Progress, StepLineFollowsTheContract) {
  EXPECT_EQ(formatStepLine(sample()),
            "step 12/200  loss 2.3457  grad_norm 0.5000  lr 0.0002  231 tok/s");
}

// A diverging run's numbers stay readable: significant digits past a million, and NaN as is.
TEST(Progress, StepLineShortensHugeNumbers) {
  ProgressState s = sample();
  s.loss = 4.976923e37f;
  s.gradNorm = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(formatStepLine(s), "step 12/200  loss 4.977e+37  grad_norm nan  lr 0.0002  231 tok/s");
}

TEST(Progress, BarShowsEverythingWhenWide) {
  std::string line = formatProgressBar(sample(), 120, false);
  EXPECT_EQ(line, " 12/200 [#.............................]   6% | loss 2.3457 | val 2.4010 | "
                  "231 tok/s | ETA 3m12s | 1.89 GiB");
  EXPECT_LE(columns(line), 120);
}

TEST(Progress, BarDropsFieldsToFit) {
  for (int width : {100, 80, 60, 40}) {
    std::string line = formatProgressBar(sample(), width, true);
    EXPECT_LE(columns(line), width) << line;
    EXPECT_NE(line.find("loss"), std::string::npos) << "the loss is the last field to go: " << line;
  }
  EXPECT_LE(columns(formatProgressBar(sample(), 30, true)), 30);
  std::string narrow = formatProgressBar(sample(), 60, false);
  EXPECT_EQ(narrow.find("GiB"), std::string::npos) << narrow;
}

TEST(Progress, UnicodeBarUsesEighths) {
  ProgressState s = sample();
  s.step = 100;
  std::string line = formatProgressBar(s, 120, true);
  EXPECT_NE(line.find("███████████████"), std::string::npos) << line;
  s.step = 200;
  EXPECT_NE(formatProgressBar(s, 120, true).find("100%"), std::string::npos);
}

TEST(Sha256, KnownDigests) {
  EXPECT_EQ(sha256Hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 pieces;
  pieces.update("a", 1).update(std::string("bc"));
  EXPECT_EQ(pieces.hex(), sha256Hex("abc", 3));
}

} // namespace
} // namespace slimtune
