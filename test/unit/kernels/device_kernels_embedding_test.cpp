// Device kernels (device_kernel_test.h), embeddings and copies, exact: embedding,
// position_embedding, embedding_bf16, copy_columns, fill_zero.
#include "kernels/device_buffers.h"
#include "kernels/device_kernel_test.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace slimtune::testing {
namespace {

//===-- Embeddings and copies (exact) -----------------------------------------------------===//

TEST_P(DeviceKernels, Embedding) {
  Rng rng(1);
  struct Shape {
    int64_t n, c, vocab;
  };
  for (Shape s : {Shape{1, 1, 1}, Shape{37, 64, 50}, Shape{300, 777, 1000}}) {
    const std::string l =
        label<SLIMTUNE_KERNEL_EMBEDDING>(cat("n ", s.n, " c ", s.c, " vocab ", s.vocab));
    std::vector<float> table = rng.uniform(s.vocab * s.c);
    std::vector<int32_t> ids = rng.ints(s.n, 0, static_cast<int32_t>(s.vocab));
    DeviceBuffers d(device());
    float *out = d.filled(s.n * s.c, -7.0f);
    const float *dTable = d.upload(table);
    const int32_t *dIds = d.upload(ids);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_EMBEDDING>(l, out, dTable, dIds, s.n, s.c, s.vocab);
    std::vector<float> ref(s.n * s.c);
    onHost<SLIMTUNE_KERNEL_EMBEDDING>(l, ref.data(), table.data(), ids.data(), s.n, s.c, s.vocab);
    expectClose(l, "out", d.download(out, ref.size()), ref, {}, 0.0);
  }
}

TEST_P(DeviceKernels, PositionEmbedding) {
  Rng rng(2);
  struct Shape {
    int64_t b, t, c;
  };
  for (Shape s : {Shape{1, 1, 1}, Shape{2, 33, 64}, Shape{3, 100, 777}}) {
    const std::string l =
        label<SLIMTUNE_KERNEL_POSITION_EMBEDDING>(cat("b ", s.b, " t ", s.t, " c ", s.c));
    std::vector<float> table = rng.uniform(s.t * s.c);
    DeviceBuffers d(device());
    float *out = d.filled(s.b * s.t * s.c, -7.0f);
    const float *dTable = d.upload(table);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_POSITION_EMBEDDING>(l, out, dTable, s.b, s.t, s.c);
    std::vector<float> ref(s.b * s.t * s.c);
    onHost<SLIMTUNE_KERNEL_POSITION_EMBEDDING>(l, ref.data(), table.data(), s.b, s.t, s.c);
    expectClose(l, "out", d.download(out, ref.size()), ref, {}, 0.0);
  }
}

// A bf16 table widened exactly: random rows, and one row of the values a conversion could get
// wrong (signed zeros, subnormals, the largest finite value, infinities, NaNs).
TEST_P(DeviceKernels, EmbeddingBf16) {
  Rng rng(40);
  struct Shape {
    int64_t n, c, vocab;
  };
  const std::vector<uint16_t> specials = {0x0000, 0x8000, 0x0001, 0x807f, 0x7f7f, 0xff7f,
                                          0x7f80, 0xff80, 0x7fc0, 0xffc1, 0x3f80, 0x0080};
  for (Shape s : {Shape{1, 1, 1}, Shape{37, 64, 50}, Shape{300, 777, 1000}}) {
    const std::string l =
        label<SLIMTUNE_KERNEL_EMBEDDING_BF16>(cat("n ", s.n, " c ", s.c, " vocab ", s.vocab));
    std::vector<uint16_t> table = toBf16(rng.uniform(s.vocab * s.c, -3.0f, 3.0f));
    for (size_t j = 0; j < specials.size() && j < table.size(); ++j)
      table[j] = specials[j]; // row 0
    std::vector<int32_t> ids = rng.ints(s.n, 0, static_cast<int32_t>(s.vocab));
    ids[0] = 0;
    DeviceBuffers d(device());
    float *out = d.filled(s.n * s.c, -7.0f);
    const uint16_t *dTable = d.upload(table);
    const int32_t *dIds = d.upload(ids);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_EMBEDDING_BF16>(l, out, dTable, dIds, s.n, s.c, s.vocab);
    std::vector<float> ref(s.n * s.c);
    onHost<SLIMTUNE_KERNEL_EMBEDDING_BF16>(l, ref.data(), table.data(), ids.data(), s.n, s.c,
                                           s.vocab);
    expectClose(l, "out", d.download(out, ref.size()), ref, {}, 0.0); // bitwise, NaNs included
  }
}

TEST_P(DeviceKernels, CopyColumns) {
  Rng rng(3);
  struct Shape {
    int64_t rows, srcCols, dstCols, srcOffset, dstOffset, width;
  };
  for (Shape s : {Shape{1, 1, 1, 0, 0, 1}, Shape{5, 10, 3, 7, 2, 1},
                  Shape{300, 777, 1000, 13, 200, 500}, Shape{257, 64, 192, 0, 128, 64}}) {
    const std::string l = label<SLIMTUNE_KERNEL_COPY_COLUMNS>(
        cat("rows ", s.rows, " src ", s.srcCols, "@", s.srcOffset, " dst ", s.dstCols, "@",
            s.dstOffset, " width ", s.width));
    std::vector<float> src = rng.uniform(s.rows * s.srcCols);
    std::vector<float> ref = rng.uniform(s.rows * s.dstCols); // columns outside stay as they are
    DeviceBuffers d(device());
    float *dst = d.upload(ref);
    const float *dSrc = d.upload(src);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_COPY_COLUMNS>(l, dst, dSrc, s.rows, s.srcCols, s.dstCols, s.srcOffset,
                                           s.dstOffset, s.width);
    onHost<SLIMTUNE_KERNEL_COPY_COLUMNS>(l, ref.data(), src.data(), s.rows, s.srcCols, s.dstCols,
                                         s.srcOffset, s.dstOffset, s.width);
    expectClose(l, "dst", d.download(dst, ref.size()), ref, {}, 0.0);
  }
}

// fill_zero zeroes exactly `bytes` bytes: the bytes after them keep their value.
TEST_P(DeviceKernels, FillZero) {
  for (int64_t bytes :
       {int64_t{1}, int64_t{7}, int64_t{1001}, int64_t{4096 + 3}, int64_t{1 << 20} + 5}) {
    const std::string l = label<SLIMTUNE_KERNEL_FILL_ZERO>(cat("bytes ", bytes));
    std::vector<uint8_t> ref(bytes + 67, 0xA5);
    DeviceBuffers d(device());
    uint8_t *y = d.upload(ref);
    ASSERT_TRUE(d.ok());
    onDevice<SLIMTUNE_KERNEL_FILL_ZERO>(l, y, bytes);
    onHost<SLIMTUNE_KERNEL_FILL_ZERO>(l, ref.data(), bytes);
    expectEqualBytes(l, "y", d.download(y, ref.size()), ref);
  }
}

} // namespace
} // namespace slimtune::testing
