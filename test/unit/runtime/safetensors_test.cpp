// The safetensors reader against every rule of the format (one test per rule), the writer,
// and sharded checkpoints.
#include "slimtune/safetensors.h"

#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace slimtune;
using slimtune::testing::TempDir;

namespace {
// A safetensors image: 8-byte length, the header text, then `dataBytes` bytes of data.
std::string image(const std::string &header, size_t dataBytes, uint64_t lengthOverride = 0) {
  uint64_t n = lengthOverride ? lengthOverride : header.size();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>(n >> (8 * i));
  out += header;
  for (size_t i = 0; i < dataBytes; ++i)
    out += static_cast<char>(i);
  return out;
}

Expected<SafetensorsHeader> parse(const std::string &bytes) {
  return parseSafetensors(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(),
                          "model.safetensors");
}

// Expects parsing to fail with a message that names the file and contains `what`.
void expectError(const std::string &bytes, const std::string &what) {
  auto result = parse(bytes);
  ASSERT_FALSE(result.isOk()) << "accepted: " << bytes.substr(8);
  const std::string &message = result.status().message();
  EXPECT_EQ(message.rfind("model.safetensors: ", 0), 0u) << message;
  EXPECT_NE(message.find(what), std::string::npos) << message;
}

const char *kTwoTensors = R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
                          R"("b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]},)"
                          R"("__metadata__":{"format":"pt"}})";
} // namespace

TEST(Safetensors, ParsesAValidImage) {
  std::string bytes = image(kTwoTensors, 32);
  auto result = parse(bytes);
  ASSERT_TRUE(result.isOk()) << result.status().message();
  ASSERT_EQ(result->tensors.size(), 2u);
  const TensorView &a = result->tensors[0];
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.dtype, DType::F32);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.bytes, 24u);
  // Zero-copy: the view points into the image, right after the header.
  EXPECT_EQ(a.data, reinterpret_cast<const uint8_t *>(bytes.data()) + 8 + strlen(kTwoTensors));
  EXPECT_EQ(result->tensors[1].dtype, DType::BF16);
  EXPECT_EQ(result->metadata.at("format"), "pt");
}

TEST(Safetensors, AcceptsEmptyTensorsAndSpacePadding) {
  std::string header = R"({"e":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]},)"
                       R"("x":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}    )";
  auto result = parse(image(header, 8));
  ASSERT_TRUE(result.isOk()) << result.status().message();
  EXPECT_EQ(result->tensors.size(), 2u);
}

TEST(SafetensorsRules, FileShorterThanTheLength) { expectError("abc", "8-byte header length"); }

TEST(SafetensorsRules, HeaderLengthOverLimit) {
  expectError(image("{}", 0, 100'000'001), "exceeds the limit of 100000000 bytes");
}

TEST(SafetensorsRules, HeaderLengthPastEndOfFile) {
  expectError(image("{}", 0, 4000), "runs past the end of the file");
}

TEST(SafetensorsRules, InvalidJson) { expectError(image("{\"a\":", 0), "invalid JSON"); }

TEST(SafetensorsRules, InvalidUtf8) {
  expectError(image("{\"\xff\xfe\":{}}", 0), "invalid JSON");
}

TEST(SafetensorsRules, NotAnObject) { expectError(image("[1,2]", 0), "does not start with '{'"); }

TEST(SafetensorsRules, DuplicateNames) {
  expectError(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                    R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                    8),
              "duplicate key \"a\"");
}

TEST(SafetensorsRules, UnknownDtype) {
  expectError(image(R"({"a":{"dtype":"F4","shape":[1],"data_offsets":[0,1]}})", 1),
              "tensor \"a\": unknown dtype \"F4\"");
}

TEST(SafetensorsRules, NegativeDimension) {
  expectError(image(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4),
              "not a non-negative integer");
}

TEST(SafetensorsRules, OffsetsReversed) {
  expectError(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", 4),
              "begin <= end");
}

TEST(SafetensorsRules, ByteCountDoesNotMatchShape) {
  expectError(image(R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", 20),
              "hold 20 bytes, but shape [2, 3] of F32 needs 24");
}

TEST(SafetensorsRules, ShapeOverflow) {
  expectError(image(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", 4),
              "overflows");
}

TEST(SafetensorsRules, OffsetsOutOfFile) {
  expectError(image(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8),
              "ends at byte 16 of a 8-byte data section");
}

TEST(SafetensorsRules, Overlap) {
  expectError(image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                    12),
              "overlaps");
}

TEST(SafetensorsRules, Gap) {
  expectError(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                    R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                    12),
              "gap of 4 bytes before tensor \"b\"");
}

TEST(SafetensorsRules, TrailingBytes) {
  expectError(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 6),
              "but header and tensors end at");
}

TEST(SafetensorsRules, MissingField) {
  expectError(image(R"({"a":{"dtype":"F32","shape":[1]}})", 0), "missing \"data_offsets\"");
}

TEST(SafetensorsRules, MetadataMustBeStrings) {
  expectError(image(R"({"__metadata__":{"n":1}})", 0), "is not a string");
}

TEST(SafetensorsRules, TooDeeplyNested) {
  std::string deep = "{\"__metadata__\":" + std::string(100, '[') + std::string(100, ']') + "}";
  expectError(image(deep, 0), "nested deeper");
}

TEST(SafetensorsFiles, WriterRoundTripsAndPadsTheHeader) {
  TempDir dir;
  std::vector<float> a = {1, 2, 3, 4, 5, 6};
  std::vector<uint16_t> b = {0x3f80, 0x4000};
  std::string path = dir.path("out.safetensors");
  ASSERT_TRUE(writeSafetensors(path,
                               {{"w", DType::F32, {2, 3}, a.data(), a.size() * 4},
                                {"v", DType::BF16, {2}, b.data(), b.size() * 2}},
                               {{"format", "pt"}})
                  .isOk());
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.isOk()) << file.status().message();
  EXPECT_EQ((file->headerBytes() - 8) % 8, 0u);
  const TensorView *w = file->find("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(std::memcmp(w->data, a.data(), 24), 0);
  EXPECT_EQ(file->metadata().at("format"), "pt");
  EXPECT_EQ(file->find("missing"), nullptr);
}

TEST(SafetensorsFiles, WriterRejectsMismatchedBytes) {
  TempDir dir;
  float x = 0;
  Status s = writeSafetensors(dir.path("bad.safetensors"), {{"x", DType::F32, {2}, &x, 4}});
  EXPECT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("does not match shape [2]"), std::string::npos) << s.message();
}

TEST(SafetensorsFiles, MissingFileNamesThePath) {
  auto file = SafetensorsFile::open("/nonexistent/model.safetensors");
  ASSERT_FALSE(file.isOk());
  EXPECT_EQ(file.status().message(),
            "/nonexistent/model.safetensors: cannot open: No such file or directory");
}

TEST(SafetensorsFiles, EmptyFile) {
  TempDir dir;
  auto file = SafetensorsFile::open(dir.write("empty.safetensors", ""));
  ASSERT_FALSE(file.isOk());
  EXPECT_NE(file.status().message().find("file is 0 bytes"), std::string::npos);
}

TEST(SafetensorsShards, IndexJoinsShards) {
  TempDir dir;
  float one = 1, two = 2;
  ASSERT_TRUE(writeSafetensors(dir.path("a.safetensors"), {{"x", DType::F32, {1}, &one, 4}}).isOk());
  ASSERT_TRUE(writeSafetensors(dir.path("b.safetensors"), {{"y", DType::F32, {1}, &two, 4}}).isOk());
  std::string index = dir.write(
      "model.safetensors.index.json",
      R"({"metadata":{"total_size":8},"weight_map":{"x":"a.safetensors","y":"b.safetensors"}})");
  auto checkpoint = SafetensorsCheckpoint::open(index);
  ASSERT_TRUE(checkpoint.isOk()) << checkpoint.status().message();
  EXPECT_EQ(checkpoint->tensors().size(), 2u);
  ASSERT_NE(checkpoint->find("y"), nullptr);
  EXPECT_EQ(checkpoint->files().size(), 2u);
}

TEST(SafetensorsShards, TensorMissingFromItsShard) {
  TempDir dir;
  float one = 1;
  ASSERT_TRUE(writeSafetensors(dir.path("a.safetensors"), {{"x", DType::F32, {1}, &one, 4}}).isOk());
  std::string index = dir.write("i.json", R"({"weight_map":{"x":"a.safetensors","z":"a.safetensors"}})");
  auto checkpoint = SafetensorsCheckpoint::open(index);
  ASSERT_FALSE(checkpoint.isOk());
  EXPECT_NE(checkpoint.status().message().find("tensor \"z\" is listed for a.safetensors but not found"),
            std::string::npos)
      << checkpoint.status().message();
}

TEST(SafetensorsShards, ShardOutsideTheFolderIsRefused) {
  TempDir dir;
  std::string index = dir.write("i.json", R"({"weight_map":{"x":"../etc/passwd"}})");
  auto checkpoint = SafetensorsCheckpoint::open(index);
  ASSERT_FALSE(checkpoint.isOk());
  EXPECT_NE(checkpoint.status().message().find("not a file in the index's folder"), std::string::npos);
}

TEST(SafetensorsShards, TensorInTwoShards) {
  TempDir dir;
  float one = 1;
  ASSERT_TRUE(writeSafetensors(dir.path("a.safetensors"), {{"x", DType::F32, {1}, &one, 4}}).isOk());
  ASSERT_TRUE(writeSafetensors(dir.path("b.safetensors"), {{"x", DType::F32, {1}, &one, 4}}).isOk());
  std::string index = dir.write("i.json", R"({"weight_map":{"x":"a.safetensors","y":"b.safetensors"}})");
  auto checkpoint = SafetensorsCheckpoint::open(index);
  ASSERT_FALSE(checkpoint.isOk());
  EXPECT_NE(checkpoint.status().message().find("is also in another shard"), std::string::npos);
}
