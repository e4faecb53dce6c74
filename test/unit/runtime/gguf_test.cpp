// The GGUF reader: files the writer produces read back exactly, and every structural rule is
// enforced with an error naming the file and the problem (one test per rule).
#include "slimtune/gguf.h"
#include "slimtune/gguf_writer.h"

#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace slimtune;
using slimtune::testing::TempDir;

namespace {
// Builds GGUF byte images field by field, valid or not.
class Image {
public:
  Image &raw(const std::string &s) { bytes_ += s; return *this; }
  template <typename T> Image &put(T v) {
    bytes_.append(reinterpret_cast<const char *>(&v), sizeof(T));
    return *this;
  }
  Image &u32(uint32_t v) { return put(v); }
  Image &u64(uint64_t v) { return put(v); }
  Image &str(const std::string &s) { return u64(s.size()).raw(s); }
  Image &header(uint64_t tensors, uint64_t kvs, uint32_t version = 3) {
    return raw("GGUF").u32(version).u64(tensors).u64(kvs);
  }
  Image &kvU32(const std::string &key, uint32_t v) { return str(key).u32(4).u32(v); }
  // A tensor info: name, dims (ggml order), type, offset.
  Image &tensor(const std::string &name, std::vector<uint64_t> dims, uint32_t type,
                uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(dims.size()));
    for (uint64_t d : dims)
      u64(d);
    return u32(type).u64(offset);
  }
  Image &padTo(size_t alignment) {
    bytes_.resize((bytes_.size() + alignment - 1) / alignment * alignment, '\0');
    return *this;
  }
  Image &zeros(size_t n) { bytes_.append(n, '\0'); return *this; }
  const std::string &bytes() const { return bytes_; }

private:
  std::string bytes_;
};

Expected<GgufContents> parse(const Image &image) {
  return parseGguf(reinterpret_cast<const uint8_t *>(image.bytes().data()),
                   image.bytes().size(), "model.gguf");
}

void expectError(const Image &image, const std::string &what) {
  auto result = parse(image);
  ASSERT_FALSE(result.isOk()) << "accepted";
  const std::string &message = result.status().message();
  EXPECT_EQ(message.rfind("model.gguf: ", 0), 0u) << message;
  EXPECT_NE(message.find(what), std::string::npos) << message;
}
} // namespace

TEST(Gguf, WriterOutputReadsBack) {
  TempDir dir;
  GgufWriter w;
  w.addString("general.architecture", "llama");
  w.addUint32("llama.block_count", 2);
  w.addFloat32("llama.rope.freq_base", 10000.0f);
  w.addBool("tokenizer.ggml.add_bos_token", true);
  w.addStringArray("tokenizer.ggml.tokens", {"a", "b", "\xc4\xa0the"});
  w.addInt32Array("tokenizer.ggml.token_type", {1, 1, 3});
  std::vector<float> values(64);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<float>(i) - 32.0f;
  std::vector<uint8_t> f32(values.size() * 4);
  std::memcpy(f32.data(), values.data(), f32.size());
  w.addTensor("a", GgmlType::F32, {2, 32}, f32);
  std::vector<uint8_t> q8(2 * 34);
  ASSERT_TRUE(quantizeFromF32(GgmlType::Q8_0, values.data(), 64, q8.data()).isOk());
  w.addTensor("b", GgmlType::Q8_0, {2, 32}, q8);
  ASSERT_TRUE(w.write(dir.path("m.gguf")).isOk());

  auto file = GgufFile::open(dir.path("m.gguf"));
  ASSERT_TRUE(file.isOk()) << file.status().message();
  EXPECT_EQ(file->contents().version, 3u);
  EXPECT_EQ(*file->getString("general.architecture"), "llama");
  EXPECT_EQ(*file->getInt("llama.block_count"), 2);
  EXPECT_EQ(*file->getReal("llama.rope.freq_base"), 10000.0);
  EXPECT_TRUE(file->value("tokenizer.ggml.add_bos_token")->boolean);
  const GgufValue *tokens = file->value("tokenizer.ggml.tokens");
  ASSERT_EQ(tokens->strings.size(), 3u);
  EXPECT_EQ(tokens->strings[2], "\xc4\xa0the");
  EXPECT_EQ(file->value("tokenizer.ggml.token_type")->count, 3u);
  const GgufTensorInfo *b = file->find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->shape, (std::vector<int64_t>{2, 32}));
  EXPECT_EQ(b->dims, (std::vector<int64_t>{32, 2}));
  EXPECT_EQ(b->offset % 32, 0u);
  std::vector<float> back(64);
  ASSERT_TRUE(dequantizeToF32(b->type, b->data, b->bytes, back.data(), 64).isOk());
  for (size_t i = 0; i < 64; ++i)
    EXPECT_NEAR(back[i], values[i], 32.0 / 127 / 2 + 1e-3) << i;
  EXPECT_EQ(std::memcmp(file->find("a")->data, values.data(), 256), 0);
}

TEST(Gguf, TypedLookupErrorsNameTheKey) {
  TempDir dir;
  GgufWriter w;
  w.addString("general.architecture", "llama");
  ASSERT_TRUE(w.write(dir.path("m.gguf")).isOk());
  auto file = GgufFile::open(dir.path("m.gguf"));
  ASSERT_TRUE(file.isOk());
  auto missing = file->getInt("llama.block_count");
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find("\"llama.block_count\" is missing"), std::string::npos);
  auto wrong = file->getInt("general.architecture");
  ASSERT_FALSE(wrong.isOk());
  EXPECT_NE(wrong.status().message().find("is a STRING, not an integer"), std::string::npos);
}

TEST(GgufRules, Magic) { expectError(Image().raw("GGML").u32(3).u64(0).u64(0), "no \"GGUF\" magic"); }
TEST(GgufRules, Version1) { expectError(Image().header(0, 0, 1), "GGUF version 1 is not supported"); }
TEST(GgufRules, FutureVersion) { expectError(Image().header(0, 0, 4), "GGUF version 4"); }
TEST(GgufRules, BigEndian) { expectError(Image().header(0, 0, 0x03000000), "big-endian"); }
TEST(GgufRules, TruncatedHeader) { expectError(Image().raw("GGUF").u32(3).u32(0), "file ends inside"); }

TEST(GgufRules, CountsBeyondTheFile) {
  expectError(Image().header(0, 1ull << 40), "more than the file can hold");
  expectError(Image().header(1ull << 40, 0), "more than the file can hold");
}

TEST(GgufRules, StringLongerThanTheFile) {
  expectError(Image().header(0, 1).u64(1ull << 20).raw("key").zeros(16), "claims 1048576 bytes");
}

TEST(GgufRules, EmptyKey) { expectError(Image().header(0, 1).kvU32("", 1), "empty key"); }

TEST(GgufRules, DuplicateKey) {
  expectError(Image().header(0, 2).kvU32("a", 1).kvU32("a", 2), "duplicate metadata key \"a\"");
}

TEST(GgufRules, UnknownValueType) {
  expectError(Image().header(0, 1).str("a").u32(13).u32(0), "unknown type 13");
}

TEST(GgufRules, NestedArray) {
  expectError(Image().header(0, 1).str("a").u32(9).u32(9).u64(0), "array of arrays");
}

TEST(GgufRules, ArrayLongerThanTheFile) {
  expectError(Image().header(0, 1).str("a").u32(9).u32(4).u64(1ull << 40).zeros(16),
              "claims 1099511627776 elements");
  expectError(Image().header(0, 1).str("a").u32(9).u32(8).u64(1ull << 40).zeros(16),
              "more than the file can hold");
}

TEST(GgufRules, BoolOutOfRange) {
  expectError(Image().header(0, 1).str("a").u32(7).put<uint8_t>(2).zeros(16), "BOOL of value 2");
}

TEST(GgufRules, AlignmentNotAPowerOfTwo) {
  expectError(Image().header(0, 1).kvU32("general.alignment", 48).zeros(16), "power of two");
  expectError(Image().header(0, 1).str("general.alignment").u32(10).u64(32).zeros(16),
              "UINT32 power of two");
}

TEST(GgufRules, TensorNameTooLong) {
  expectError(Image().header(1, 0).tensor(std::string(64, 'x'), {32}, 0, 0).zeros(160),
              "longer than 63 bytes");
}

TEST(GgufRules, DimensionCount) {
  expectError(Image().header(1, 0).tensor("t", {}, 0, 0).zeros(64), "has 0 dimensions");
  expectError(Image().header(1, 0).tensor("t", {1, 1, 1, 1, 1}, 0, 0).zeros(64), "has 5 dimensions");
}

TEST(GgufRules, UnknownAndRemovedTypes) {
  expectError(Image().header(1, 0).tensor("t", {32}, 99, 0).zeros(64), "unknown ggml type 99");
  expectError(Image().header(1, 0).tensor("t", {32}, 4, 0).zeros(64), "unknown ggml type 4");
}

TEST(GgufRules, RowNotAWholeNumberOfBlocks) {
  expectError(Image().header(1, 0).tensor("t", {48}, 8, 0).zeros(128),
              "rows of 48 elements, not a multiple of Q8_0's block of 32");
}

TEST(GgufRules, SizeOverflow) {
  expectError(Image().header(1, 0).tensor("t", {1ull << 32, 1ull << 32, 16}, 0, 0).zeros(64),
              "overflows");
}

TEST(GgufRules, DuplicateTensorName) {
  expectError(Image().header(2, 0).tensor("t", {8}, 0, 0).tensor("t", {8}, 0, 32).padTo(32).zeros(64),
              "duplicate tensor name \"t\"");
}

TEST(GgufRules, OffsetNotWhereGgmlPutsIt) {
  expectError(Image().header(2, 0).tensor("a", {8}, 0, 0).tensor("b", {8}, 0, 40).padTo(32).zeros(96),
              "tensor \"b\" is at offset 40 of the data section; ggml's layout puts it at 32");
}

TEST(GgufRules, TensorPastTheEnd) {
  expectError(Image().header(1, 0).tensor("a", {64}, 0, 0).padTo(32).zeros(100),
              "tensor \"a\" (256 bytes) runs past the end of the file");
}

TEST(GgufRules, ValidMinimalImage) {
  auto result = parse(Image().header(1, 1).kvU32("general.alignment", 64).tensor("a", {8}, 0, 0)
                          .padTo(64).zeros(32));
  ASSERT_TRUE(result.isOk()) << result.status().message();
  EXPECT_EQ(result->alignment, 64u);
  EXPECT_EQ(result->dataOffset % 64, 0u);
}

// Each quantizer/dequantizer pair reproduces smooth data within the format's precision.
class QuantRoundTrip : public ::testing::TestWithParam<std::pair<GgmlType, double>> {};

TEST_P(QuantRoundTrip, RelativeErrorWithinBound) {
  auto [type, bound] = GetParam();
  auto info = *ggmlTypeInfo(static_cast<uint32_t>(type));
  size_t n = 1024;
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i)
    x[i] = std::sin(0.37f * i) * (1.0f + 0.5f * std::cos(0.011f * i));
  std::vector<uint8_t> encoded(n / info.blockSize * info.typeSize);
  ASSERT_TRUE(quantizeFromF32(type, x.data(), n, encoded.data()).isOk());
  std::vector<float> y(n);
  ASSERT_TRUE(dequantizeToF32(type, encoded.data(), encoded.size(), y.data(), n).isOk());
  double err = 0, norm = 0;
  for (size_t i = 0; i < n; ++i) {
    err += (x[i] - y[i]) * (x[i] - y[i]);
    norm += x[i] * x[i];
  }
  EXPECT_LT(std::sqrt(err / norm), bound) << info.name;
}

INSTANTIATE_TEST_SUITE_P(Formats, QuantRoundTrip,
                         ::testing::Values(std::pair{GgmlType::F16, 1e-3},
                                           std::pair{GgmlType::BF16, 5e-3},
                                           std::pair{GgmlType::Q8_0, 1e-2},
                                           std::pair{GgmlType::Q6_K, 4e-2},
                                           std::pair{GgmlType::Q4_0, 0.12},
                                           std::pair{GgmlType::Q4_1, 0.1},
                                           std::pair{GgmlType::Q4_K, 0.12}));

TEST(GgmlTypes, UnsupportedDequantizationIsAnError) {
  uint8_t block[74] = {};
  float out[256];
  Status s = dequantizeToF32(GgmlType::IQ2_XS, block, sizeof(block), out, 256);
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.message(), "ggml type IQ2_XS is not supported");
  EXPECT_FALSE(dequantizeToF32(GgmlType::Q8_0, block, 33, out, 32).isOk());
}
