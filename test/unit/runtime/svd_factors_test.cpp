// CE-LoRA's frozen factors: the pair is the best rank-r part (an exactly rank-r weight leaves
// a zero residual; rank r plus noise leaves the noise), the residual's norms are those of
// W − left·right, and the cache: a miss computes and writes, a hit reads the same factors, a
// corrupt file is computed again (and said so), an unwritable folder still gives the factors.
#include "step/svd_factors.h"

#include "support/gradient_check.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

using namespace slimtune;
using namespace slimtune::testing;

namespace {

// W [rows, cols] = a·b (rank r) + noise.
std::vector<float> lowRankPlusNoise(int64_t rows, int64_t cols, int64_t r, float noise, uint64_t seed) {
  std::vector<float> a = randomVector(rows * r, seed), b = randomVector(r * cols, seed + 1),
                     e = randomVector(rows * cols, seed + 2, noise), w(rows * cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t c = 0; c < cols; ++c) {
      double sum = e[i * cols + c];
      for (int64_t q = 0; q < r; ++q)
        sum += double(a[i * r + q]) * b[q * cols + c];
      w[i * cols + c] = static_cast<float>(sum);
    }
  return w;
}

// Row norms of W − left·right, in double.
std::vector<double> residualRowNorms(const std::vector<float> &w, const SvdFactors &f, int64_t rows,
                                     int64_t cols, int64_t r) {
  std::vector<double> norms(rows, 0.0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t c = 0; c < cols; ++c) {
      double v = w[i * cols + c];
      for (int64_t q = 0; q < r; ++q)
        v -= double(f.left[i * r + q]) * f.right[q * cols + c];
      norms[i] += v * v;
    }
  for (double &n : norms)
    n = std::sqrt(n);
  return norms;
}

TEST(SvdFactors, RankRPartAndResidualNorms) {
  const int64_t rows = 48, cols = 30, r = 4;
  for (float noise : {0.0f, 0.01f}) {
    std::vector<float> w = lowRankPlusNoise(rows, cols, r, noise, 3);
    auto f = svdFactors(w.data(), rows, cols, r, "");
    ASSERT_TRUE(f.isOk()) << f.status().message();
    ASSERT_EQ(f->left.size(), size_t(rows * r));
    ASSERT_EQ(f->right.size(), size_t(r * cols));
    std::vector<double> want = residualRowNorms(w, *f, rows, cols, r);
    double total = 0, columnTotal = 0;
    for (int64_t i = 0; i < rows; ++i) {
      EXPECT_NEAR(f->rowNorms[i], want[i], 1e-4 + 1e-3 * want[i]) << i;
      total += want[i] * want[i];
    }
    for (float c : f->columnNorms)
      columnTotal += double(c) * c;
    EXPECT_NEAR(std::sqrt(columnTotal), std::sqrt(total), 1e-4 + 1e-3 * std::sqrt(total));
    // What is left is the noise (|noise| ~ 0.01/sqrt(3) per element), or nothing.
    const double noiseNorm = noise / std::sqrt(3.0) * std::sqrt(double(rows * cols));
    EXPECT_LT(std::sqrt(total), noise == 0 ? 1e-3 : 1.1 * noiseNorm);
  }
}

TEST(SvdFactors, CacheMissHitAndCorruptFile) {
  TempDir dir;
  const std::string folder = dir.path("svd");
  const int64_t rows = 20, cols = 12, r = 3;
  std::vector<float> w = lowRankPlusNoise(rows, cols, r, 0.1f, 9);
  auto miss = svdFactors(w.data(), rows, cols, r, folder);
  ASSERT_TRUE(miss.isOk());
  EXPECT_FALSE(miss->fromCache);
  EXPECT_EQ(miss->cacheProblem, "");
  std::vector<std::filesystem::path> files;
  for (const auto &e : std::filesystem::directory_iterator(folder))
    files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);

  auto hit = svdFactors(w.data(), rows, cols, r, folder);
  ASSERT_TRUE(hit.isOk());
  EXPECT_TRUE(hit->fromCache);
  EXPECT_EQ(hit->left, miss->left);
  EXPECT_EQ(hit->right, miss->right);
  EXPECT_EQ(hit->rowNorms, miss->rowNorms);

  // Another rank or other values are other entries.
  auto otherRank = svdFactors(w.data(), rows, cols, r - 1, folder);
  ASSERT_TRUE(otherRank.isOk());
  EXPECT_FALSE(otherRank->fromCache);

  // A truncated file is not trusted: computed again, said so, and rewritten.
  std::filesystem::resize_file(files[0], 40);
  auto again = svdFactors(w.data(), rows, cols, r, folder);
  ASSERT_TRUE(again.isOk());
  EXPECT_FALSE(again->fromCache);
  EXPECT_NE(again->cacheProblem.find("computed again"), std::string::npos) << again->cacheProblem;
  EXPECT_EQ(again->left, miss->left);
  auto fixed = svdFactors(w.data(), rows, cols, r, folder);
  EXPECT_TRUE(fixed.isOk() && fixed->fromCache);

  // A folder that cannot be made: the factors still, and the reason.
  auto unwritable = svdFactors(w.data(), rows, cols, r, files[0].string() + "/below");
  ASSERT_TRUE(unwritable.isOk());
  EXPECT_NE(unwritable->cacheProblem.find("not cached"), std::string::npos) << unwritable->cacheProblem;
}

TEST(SvdFactors, RefusesARankWithNothingLeft) {
  std::vector<float> w(6 * 4, 1.0f);
  for (int64_t r : {0, 4, 5})
    EXPECT_FALSE(svdFactors(w.data(), 6, 4, r, "").isOk()) << r;
}

} // namespace
