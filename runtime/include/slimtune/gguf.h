// GGUF (versions 2 and 3) reader: metadata, tensor infos and zero-copy tensor data over an
// mmap, with every structural rule ggml's own loader enforces checked before use.
#ifndef SLIMTUNE_GGUF_H
#define SLIMTUNE_GGUF_H

#include "slimtune/ggml_types.h"
#include "slimtune/mapped_file.h"
#include "slimtune/status.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace slimtune {

enum class GgufValueType : uint32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};

// One metadata value. Scalars are widened into `integer` / `real` / `boolean` / `string`;
// arrays keep their element type, count and, for numbers, a view of the raw little-endian
// elements; string arrays are views into the file.
struct GgufValue {
  GgufValueType type = GgufValueType::UINT8;
  int64_t integer = 0;       // all integer types (UINT64 above INT64_MAX is rejected)
  double real = 0;           // FLOAT32, FLOAT64
  bool boolean = false;
  std::string_view string;
  GgufValueType elementType = GgufValueType::UINT8; // arrays
  uint64_t count = 0;                               // arrays
  const uint8_t *elements = nullptr;                // numeric arrays
  std::vector<std::string_view> strings;            // string arrays
};

struct GgufTensorInfo {
  std::string name;
  GgmlType type;
  std::vector<int64_t> dims;  // ggml order: dims[0] varies fastest
  std::vector<int64_t> shape; // row-major order (dims reversed)
  uint64_t offset = 0;        // from the start of the data section
  uint64_t bytes = 0;
  const uint8_t *data = nullptr;
  uint64_t numel() const;
};

struct GgufContents {
  uint32_t version = 0;
  uint32_t alignment = 32;
  std::map<std::string, GgufValue, std::less<>> metadata;
  std::vector<GgufTensorInfo> tensors;
  uint64_t dataOffset = 0; // where the data section starts in the file
};

// Parses a GGUF byte image; `name` labels errors. Never reads outside [data, data + size).
Expected<GgufContents> parseGguf(const uint8_t *data, size_t size, const std::string &name);

class GgufFile {
public:
  static Expected<GgufFile> open(const std::string &path);

  const GgufContents &contents() const { return contents_; }
  const std::vector<GgufTensorInfo> &tensors() const { return contents_.tensors; }
  const GgufTensorInfo *find(std::string_view name) const;
  const GgufValue *value(std::string_view key) const;
  const std::string &path() const { return file_->path(); }
  uint64_t fileBytes() const { return file_->size(); }

  // Typed metadata lookups; errors name the file and key (missing key or wrong type).
  Expected<int64_t> getInt(std::string_view key) const;
  Expected<double> getReal(std::string_view key) const;
  Expected<std::string_view> getString(std::string_view key) const;
  // Arrays (tokenizer vocabularies): the strings are views into the mapped file; integer
  // arrays of any integer element type are widened.
  Expected<std::vector<std::string_view>> getStringArray(std::string_view key) const;
  Expected<std::vector<int64_t>> getIntArray(std::string_view key) const;

private:
  std::shared_ptr<const MappedFile> file_;
  GgufContents contents_;
  std::map<std::string, size_t, std::less<>> index_;
};

std::string_view ggufValueTypeName(GgufValueType type);

} // namespace slimtune

#endif // SLIMTUNE_GGUF_H
