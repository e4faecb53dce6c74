// GGUF reader. Every count and length read from the file is checked against the bytes left
// before anything is allocated, so a malformed file gives an error, never a huge allocation or
// an out-of-bounds read. Structural rules follow ggml's loader (gguf.cpp): magic and version,
// unique non-empty keys, no nested arrays, a power-of-two general.alignment, tensor names
// under 64 bytes and unique, 1 to 4 dimensions, rows a whole number of blocks, and tensors laid
// out in order at exactly the aligned offsets ggml's writer produces.
#include "slimtune/gguf.h"

#include "slimtune/checked_math.h"

#include <cstring>
#include <set>

namespace slimtune {
namespace {

constexpr uint64_t kMaxStringBytes = 1ull << 30;
constexpr size_t kMaxNameBytes = 63; // ggml's GGML_MAX_NAME is 64 with the terminating NUL
constexpr uint32_t kMaxDims = 4;

// Little-endian reads from a bounded byte range; every read checks what is left.
class Cursor {
public:
  Cursor(const uint8_t *data, size_t size) : data_(data), size_(size) {}
  size_t position() const { return pos_; }
  size_t left() const { return size_ - pos_; }

  template <typename T> Status read(T &out, const char *what) {
    if (left() < sizeof(T))
      return Status::error(std::string("file ends inside ") + what + " at byte " +
                           std::to_string(pos_));
    std::memcpy(&out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::ok();
  }

  Status readString(std::string_view &out, const char *what) {
    uint64_t length;
    if (Status s = read(length, what); !s)
      return s;
    if (length > kMaxStringBytes || length > left())
      return Status::error(std::string(what) + " at byte " + std::to_string(pos_ - 8) +
                           " claims " + std::to_string(length) + " bytes, but " +
                           std::to_string(left()) + " are left");
    out = std::string_view(reinterpret_cast<const char *>(data_ + pos_), length);
    pos_ += length;
    return Status::ok();
  }

  const uint8_t *here() const { return data_ + pos_; }
  void skip(size_t n) { pos_ += n; }

private:
  const uint8_t *data_;
  size_t size_;
  size_t pos_ = 0;
};

size_t scalarSize(GgufValueType type) {
  switch (type) {
  case GgufValueType::UINT8:
  case GgufValueType::INT8:
  case GgufValueType::BOOL:
    return 1;
  case GgufValueType::UINT16:
  case GgufValueType::INT16:
    return 2;
  case GgufValueType::UINT32:
  case GgufValueType::INT32:
  case GgufValueType::FLOAT32:
    return 4;
  case GgufValueType::UINT64:
  case GgufValueType::INT64:
  case GgufValueType::FLOAT64:
    return 8;
  default:
    return 0; // STRING, ARRAY
  }
}

bool validValueType(uint32_t t) { return t <= static_cast<uint32_t>(GgufValueType::FLOAT64); }

Status readScalar(Cursor &c, GgufValueType type, GgufValue &v, const char *what) {
  Status s;
  switch (type) {
  case GgufValueType::UINT8: { uint8_t x; s = c.read(x, what); v.integer = x; break; }
  case GgufValueType::INT8: { int8_t x; s = c.read(x, what); v.integer = x; break; }
  case GgufValueType::UINT16: { uint16_t x; s = c.read(x, what); v.integer = x; break; }
  case GgufValueType::INT16: { int16_t x; s = c.read(x, what); v.integer = x; break; }
  case GgufValueType::UINT32: { uint32_t x; s = c.read(x, what); v.integer = x; break; }
  case GgufValueType::INT32: { int32_t x; s = c.read(x, what); v.integer = x; break; }
  case GgufValueType::INT64: { int64_t x; s = c.read(x, what); v.integer = x; break; }
  case GgufValueType::UINT64: {
    uint64_t x;
    s = c.read(x, what);
    if (s && x > static_cast<uint64_t>(INT64_MAX))
      return Status::error(std::string(what) + " is a UINT64 above 2^63");
    v.integer = static_cast<int64_t>(x);
    break;
  }
  case GgufValueType::FLOAT32: { float x; s = c.read(x, what); v.real = x; break; }
  case GgufValueType::FLOAT64: { double x; s = c.read(x, what); v.real = x; break; }
  case GgufValueType::BOOL: {
    uint8_t x;
    s = c.read(x, what);
    if (s && x > 1)
      return Status::error(std::string(what) + " is a BOOL of value " + std::to_string(x));
    v.boolean = x != 0;
    break;
  }
  case GgufValueType::STRING:
    return c.readString(v.string, what);
  case GgufValueType::ARRAY:
    return Status::error("arrays of arrays are not supported");
  }
  return s;
}

Status readValue(Cursor &c, GgufValue &v, const std::string &key) {
  std::string what = "value of \"" + key + "\"";
  uint32_t type;
  if (Status s = c.read(type, what.c_str()); !s)
    return s;
  if (!validValueType(type))
    return Status::error(what + " has unknown type " + std::to_string(type));
  v.type = static_cast<GgufValueType>(type);
  if (v.type != GgufValueType::ARRAY)
    return readScalar(c, v.type, v, what.c_str());

  uint32_t elementType;
  if (Status s = c.read(elementType, what.c_str()); !s)
    return s;
  if (!validValueType(elementType))
    return Status::error(what + " is an array of unknown type " + std::to_string(elementType));
  v.elementType = static_cast<GgufValueType>(elementType);
  if (v.elementType == GgufValueType::ARRAY)
    return Status::error(what + " is an array of arrays, which ggml does not allow");
  if (Status s = c.read(v.count, what.c_str()); !s)
    return s;
  if (v.elementType == GgufValueType::STRING) {
    // Each string takes at least its 8-byte length: bound the count before reserving.
    if (v.count > c.left() / 8)
      return Status::error(what + " claims " + std::to_string(v.count) +
                           " strings, more than the file can hold");
    v.strings.reserve(v.count);
    for (uint64_t i = 0; i < v.count; ++i) {
      std::string_view str;
      if (Status s = c.readString(str, what.c_str()); !s)
        return s;
      v.strings.push_back(str);
    }
    return Status::ok();
  }
  size_t size = scalarSize(v.elementType);
  auto bytes = checkedMul(v.count, size);
  if (!bytes || *bytes > c.left())
    return Status::error(what + " claims " + std::to_string(v.count) + " elements of " +
                         std::to_string(size) + " bytes, more than the " +
                         std::to_string(c.left()) + " bytes left");
  if (v.elementType == GgufValueType::BOOL)
    for (uint64_t i = 0; i < v.count; ++i)
      if (c.here()[i] > 1)
        return Status::error(what + " holds a BOOL of value " + std::to_string(c.here()[i]));
  v.elements = c.here();
  c.skip(*bytes);
  return Status::ok();
}

Status readTensorInfo(Cursor &c, GgufTensorInfo &t) {
  std::string_view name;
  if (Status s = c.readString(name, "a tensor name"); !s)
    return s;
  if (name.empty() || name.size() > kMaxNameBytes)
    return Status::error("tensor name \"" + std::string(name) + "\" is empty or longer than " +
                         std::to_string(kMaxNameBytes) + " bytes");
  t.name = std::string(name);
  std::string what = "tensor \"" + t.name + "\"";
  uint32_t nDims;
  if (Status s = c.read(nDims, what.c_str()); !s)
    return s;
  if (nDims == 0 || nDims > kMaxDims)
    return Status::error(what + " has " + std::to_string(nDims) +
                         " dimensions; ggml allows 1 to 4");
  for (uint32_t i = 0; i < nDims; ++i) {
    uint64_t d;
    if (Status s = c.read(d, what.c_str()); !s)
      return s;
    if (d > static_cast<uint64_t>(INT64_MAX))
      return Status::error(what + " has dimension " + std::to_string(d) + " beyond 2^63");
    t.dims.push_back(static_cast<int64_t>(d));
  }
  t.shape.assign(t.dims.rbegin(), t.dims.rend());
  uint32_t type;
  if (Status s = c.read(type, what.c_str()); !s)
    return s;
  auto info = ggmlTypeInfo(type);
  if (!info)
    return Status::error(what + " has unknown ggml type " + std::to_string(type));
  t.type = static_cast<GgmlType>(type);
  if (t.dims[0] % info->blockSize != 0)
    return Status::error(what + " has rows of " + std::to_string(t.dims[0]) +
                         " elements, not a multiple of " + std::string(info->name) +
                         "'s block of " + std::to_string(info->blockSize));
  auto elements = checkedProduct(t.dims);
  auto bytes = elements ? checkedMul(*elements / info->blockSize, info->typeSize) : std::nullopt;
  if (!bytes || *elements > static_cast<uint64_t>(INT64_MAX))
    return Status::error(what + " has a shape whose size overflows");
  t.bytes = *bytes;
  return c.read(t.offset, what.c_str());
}

uint64_t alignUp(uint64_t x, uint64_t alignment) { return (x + alignment - 1) / alignment * alignment; }

} // namespace

uint64_t GgufTensorInfo::numel() const {
  uint64_t n = 1;
  for (int64_t d : dims)
    n *= static_cast<uint64_t>(d);
  return n;
}

std::string_view ggufValueTypeName(GgufValueType type) {
  static constexpr std::string_view names[] = {"UINT8", "INT8", "UINT16", "INT16", "UINT32",
                                               "INT32", "FLOAT32", "BOOL", "STRING", "ARRAY",
                                               "UINT64", "INT64", "FLOAT64"};
  auto i = static_cast<uint32_t>(type);
  return i < std::size(names) ? names[i] : "?";
}

Expected<GgufContents> parseGguf(const uint8_t *data, size_t size, const std::string &name) {
  auto fail = [&](const std::string &what) { return Status::error(name + ": " + what); };
  Cursor c(data, size);
  if (size < 4 || std::memcmp(data, "GGUF", 4) != 0)
    return fail("not a GGUF file (no \"GGUF\" magic at the start)");
  c.skip(4);
  GgufContents result;
  if (Status s = c.read(result.version, "the header"); !s)
    return fail(s.message());
  if ((result.version & 0xffff) == 0)
    return fail("big-endian GGUF files are not supported");
  if (result.version < 2 || result.version > 3)
    return fail("GGUF version " + std::to_string(result.version) +
                " is not supported (versions 2 and 3 are)");
  uint64_t tensorCount, kvCount;
  if (Status s = c.read(tensorCount, "the header"); !s)
    return fail(s.message());
  if (Status s = c.read(kvCount, "the header"); !s)
    return fail(s.message());
  // A key-value pair takes at least 8 + 1 + 4 + 1 bytes and a tensor info 8 + 1 + 4 + 8 + 4 + 8.
  if (kvCount > c.left() / 14 || tensorCount > c.left() / 33)
    return fail("header claims " + std::to_string(kvCount) + " metadata entries and " +
                std::to_string(tensorCount) + " tensors, more than the file can hold");

  for (uint64_t i = 0; i < kvCount; ++i) {
    std::string_view key;
    if (Status s = c.readString(key, "a metadata key"); !s)
      return fail(s.message());
    if (key.empty())
      return fail("metadata entry " + std::to_string(i) + " has an empty key");
    GgufValue value;
    if (Status s = readValue(c, value, std::string(key)); !s)
      return fail(s.message());
    if (!result.metadata.emplace(std::string(key), std::move(value)).second)
      return fail("duplicate metadata key \"" + std::string(key) + "\"");
  }

  if (auto it = result.metadata.find("general.alignment"); it != result.metadata.end()) {
    const GgufValue &v = it->second;
    if (v.type != GgufValueType::UINT32 || v.integer == 0 || (v.integer & (v.integer - 1)) != 0)
      return fail("general.alignment must be a UINT32 power of two");
    result.alignment = static_cast<uint32_t>(v.integer);
  }

  std::set<std::string> names;
  result.tensors.reserve(tensorCount);
  for (uint64_t i = 0; i < tensorCount; ++i) {
    GgufTensorInfo t;
    if (Status s = readTensorInfo(c, t); !s)
      return fail(s.message());
    if (!names.insert(t.name).second)
      return fail("duplicate tensor name \"" + t.name + "\"");
    result.tensors.push_back(std::move(t));
  }

  result.dataOffset = alignUp(c.position(), result.alignment);
  uint64_t expected = 0;
  for (GgufTensorInfo &t : result.tensors) {
    if (t.offset != expected)
      return fail("tensor \"" + t.name + "\" is at offset " + std::to_string(t.offset) +
                  " of the data section; ggml's layout puts it at " + std::to_string(expected));
    auto end = checkedAdd(result.dataOffset, t.offset);
    end = end ? checkedAdd(*end, t.bytes) : std::nullopt;
    if (!end || *end > size)
      return fail("tensor \"" + t.name + "\" (" + std::to_string(t.bytes) +
                  " bytes) runs past the end of the file (" + std::to_string(size) + " bytes)");
    t.data = data + result.dataOffset + t.offset;
    expected = alignUp(t.offset + t.bytes, result.alignment);
  }
  return result;
}

//===-- Files ---------------------------------------------------------------------===//

Expected<GgufFile> GgufFile::open(const std::string &path) {
  auto file = MappedFile::open(path);
  if (!file)
    return file.status();
  auto contents = parseGguf((*file)->data(), (*file)->size(), path);
  if (!contents)
    return contents.status();
  GgufFile result;
  result.file_ = file.take();
  result.contents_ = contents.take();
  for (size_t i = 0; i < result.contents_.tensors.size(); ++i)
    result.index_[result.contents_.tensors[i].name] = i;
  return result;
}

const GgufTensorInfo *GgufFile::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &contents_.tensors[it->second];
}

const GgufValue *GgufFile::value(std::string_view key) const {
  auto it = contents_.metadata.find(key);
  return it == contents_.metadata.end() ? nullptr : &it->second;
}

namespace {
bool isIntegerType(GgufValueType t) {
  return t != GgufValueType::FLOAT32 && t != GgufValueType::FLOAT64 &&
         t != GgufValueType::BOOL && t != GgufValueType::STRING && t != GgufValueType::ARRAY;
}
} // namespace

Expected<int64_t> GgufFile::getInt(std::string_view key) const {
  const GgufValue *v = value(key);
  if (!v)
    return Status::error(path() + ": metadata key \"" + std::string(key) + "\" is missing");
  if (!isIntegerType(v->type))
    return Status::error(path() + ": metadata key \"" + std::string(key) + "\" is a " +
                         std::string(ggufValueTypeName(v->type)) + ", not an integer");
  return v->integer;
}

Expected<double> GgufFile::getReal(std::string_view key) const {
  const GgufValue *v = value(key);
  if (!v)
    return Status::error(path() + ": metadata key \"" + std::string(key) + "\" is missing");
  if (v->type == GgufValueType::FLOAT32 || v->type == GgufValueType::FLOAT64)
    return v->real;
  if (isIntegerType(v->type))
    return static_cast<double>(v->integer);
  return Status::error(path() + ": metadata key \"" + std::string(key) + "\" is a " +
                       std::string(ggufValueTypeName(v->type)) + ", not a number");
}

Expected<std::string_view> GgufFile::getString(std::string_view key) const {
  const GgufValue *v = value(key);
  if (!v)
    return Status::error(path() + ": metadata key \"" + std::string(key) + "\" is missing");
  if (v->type != GgufValueType::STRING)
    return Status::error(path() + ": metadata key \"" + std::string(key) + "\" is a " +
                         std::string(ggufValueTypeName(v->type)) + ", not a string");
  return v->string;
}

namespace {
// The array under `key`, or an error naming the file and key when missing or not an array of
// elements `isElement` accepts (`what` says which, for the message).
Expected<const GgufValue *> arrayValue(const GgufFile &file, std::string_view key,
                                       bool (*isElement)(GgufValueType), const char *what) {
  const GgufValue *v = file.value(key);
  if (!v)
    return Status::error(file.path() + ": metadata key \"" + std::string(key) + "\" is missing");
  if (v->type != GgufValueType::ARRAY || !isElement(v->elementType))
    return Status::error(file.path() + ": metadata key \"" + std::string(key) + "\" is " +
                         (v->type == GgufValueType::ARRAY
                              ? "an array of " + std::string(ggufValueTypeName(v->elementType))
                              : "a " + std::string(ggufValueTypeName(v->type))) +
                         ", not " + what);
  return v;
}

int64_t readIntElement(GgufValueType type, const uint8_t *p) {
  switch (type) {
  case GgufValueType::UINT8: return *p;
  case GgufValueType::INT8: { int8_t x; std::memcpy(&x, p, 1); return x; }
  case GgufValueType::UINT16: { uint16_t x; std::memcpy(&x, p, 2); return x; }
  case GgufValueType::INT16: { int16_t x; std::memcpy(&x, p, 2); return x; }
  case GgufValueType::UINT32: { uint32_t x; std::memcpy(&x, p, 4); return x; }
  case GgufValueType::INT32: { int32_t x; std::memcpy(&x, p, 4); return x; }
  case GgufValueType::UINT64: { uint64_t x; std::memcpy(&x, p, 8); return static_cast<int64_t>(x); }
  default: { int64_t x; std::memcpy(&x, p, 8); return x; }
  }
}
} // namespace

Expected<std::vector<std::string_view>> GgufFile::getStringArray(std::string_view key) const {
  auto isString = [](GgufValueType t) { return t == GgufValueType::STRING; };
  SLIMTUNE_TRY(v, arrayValue(*this, key, isString, "an array of strings"));
  return v->strings;
}

Expected<std::vector<int64_t>> GgufFile::getIntArray(std::string_view key) const {
  SLIMTUNE_TRY(v, arrayValue(*this, key, isIntegerType, "an array of integers"));
  size_t size = scalarSize(v->elementType);
  std::vector<int64_t> values(v->count);
  for (uint64_t i = 0; i < v->count; ++i) {
    values[i] = readIntElement(v->elementType, v->elements + i * size);
    if (v->elementType == GgufValueType::UINT64 && values[i] < 0)
      return Status::error(path() + ": metadata key \"" + std::string(key) + "\" holds a UINT64 above 2^63");
  }
  return values;
}

} // namespace slimtune
