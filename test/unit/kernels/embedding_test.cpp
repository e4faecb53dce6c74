// Embedding lookups (embedding, position_embedding): references against hand-written rows,
// each backend's fast kernels against the references. They copy, so the comparison is exact.
#include "kernels/backend_test.h"
#include "kernels/cpu/embedding_reference.h"
#include "kernels/cpu/kernels.h"
#include "support/gradient_check.h"

#include <gtest/gtest.h>

#include <vector>

using namespace slimtune::cpu;
using namespace slimtune::testing;

TEST(EmbeddingReference, KnownRows) {
  // table [vocab 3, c 2]; ids repeat and come out of order.
  std::vector<double> table = {0, 1, 10, 11, 20, 21}, out(8);
  std::vector<int32_t> ids = {2, 0, 2, 1};
  reference::embedding(out.data(), table.data(), ids.data(), 4, 2, 3);
  EXPECT_EQ(out, (std::vector<double>{20, 21, 0, 1, 20, 21, 10, 11}));

  // b = 2, t = 2 of a table with 3 positions: rows 0, 1 for each sequence.
  std::vector<double> positions(8);
  reference::positionEmbedding(positions.data(), table.data(), 2, 2, 2);
  EXPECT_EQ(positions, (std::vector<double>{0, 1, 10, 11, 0, 1, 10, 11}));
}

class EmbeddingFast : public BackendTest {};
SLIMTUNE_INSTANTIATE_BACKENDS(EmbeddingFast);

TEST_P(EmbeddingFast, MatchesReference) {
  for (int64_t n : {1, 7, 33, 1000}) // 1000 x 77 runs on several threads
    for (int64_t c : {1, 13, 77}) {
      const int64_t vocab = 101;
      std::vector<float> table = randomVector(vocab * c, n * 100 + c);
      std::vector<int32_t> ids(n);
      for (int64_t i = 0; i < n; ++i)
        ids[i] = static_cast<int32_t>((i * 37 + 11) % vocab);
      ids[0] = vocab - 1; // the last row too
      std::vector<float> want(n * c), got(n * c, 99.0f);
      reference::embedding(want.data(), table.data(), ids.data(), n, c, vocab);
      run<SLIMTUNE_KERNEL_EMBEDDING>(got.data(), table.data(), ids.data(), n, c, vocab);
      EXPECT_EQ(got, want) << n << "x" << c;
    }
}

TEST_P(EmbeddingFast, PositionMatchesReference) {
  const int64_t maxPositions = 64;
  for (int64_t b : {1, 3, 16})
    for (int64_t t : {1, 5, 63})
      for (int64_t c : {1, 13, 77}) {
        std::vector<float> table = randomVector(maxPositions * c, b * 1000 + t * 10 + c);
        std::vector<float> want(b * t * c), got(b * t * c, 99.0f);
        reference::positionEmbedding(want.data(), table.data(), b, t, c);
        run<SLIMTUNE_KERNEL_POSITION_EMBEDDING>(got.data(), table.data(), b, t, c);
        EXPECT_EQ(got, want) << b << "x" << t << "x" << c;
      }
}
