// GGUF v3 writer: header, metadata, tensor infos, then tensor data each padded to the
// 32-byte default alignment.
#include "slimtune/gguf_writer.h"

#include "slimtune/atomic_file.h"
#include "slimtune/gguf.h"

#include <cstring>

namespace slimtune {
namespace {
constexpr uint64_t kAlignment = 32;

template <typename T> void put(std::vector<uint8_t> &out, T value) {
  uint8_t bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

void putString(std::vector<uint8_t> &out, const std::string &s) {
  put<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

void putType(std::vector<uint8_t> &out, GgufValueType t) { put<uint32_t>(out, static_cast<uint32_t>(t)); }

uint64_t alignUp(uint64_t x) { return (x + kAlignment - 1) / kAlignment * kAlignment; }
} // namespace

void GgufWriter::addUint32(const std::string &key, uint32_t value) {
  putString(kv_, key);
  putType(kv_, GgufValueType::UINT32);
  put(kv_, value);
  ++kvCount_;
}

void GgufWriter::addInt32(const std::string &key, int32_t value) {
  putString(kv_, key);
  putType(kv_, GgufValueType::INT32);
  put(kv_, value);
  ++kvCount_;
}

void GgufWriter::addFloat32(const std::string &key, float value) {
  putString(kv_, key);
  putType(kv_, GgufValueType::FLOAT32);
  put(kv_, value);
  ++kvCount_;
}

void GgufWriter::addBool(const std::string &key, bool value) {
  putString(kv_, key);
  putType(kv_, GgufValueType::BOOL);
  put<uint8_t>(kv_, value ? 1 : 0);
  ++kvCount_;
}

void GgufWriter::addString(const std::string &key, const std::string &value) {
  putString(kv_, key);
  putType(kv_, GgufValueType::STRING);
  putString(kv_, value);
  ++kvCount_;
}

void GgufWriter::addStringArray(const std::string &key, const std::vector<std::string> &values) {
  putString(kv_, key);
  putType(kv_, GgufValueType::ARRAY);
  putType(kv_, GgufValueType::STRING);
  put<uint64_t>(kv_, values.size());
  for (const std::string &v : values)
    putString(kv_, v);
  ++kvCount_;
}

void GgufWriter::addInt32Array(const std::string &key, const std::vector<int32_t> &values) {
  putString(kv_, key);
  putType(kv_, GgufValueType::ARRAY);
  putType(kv_, GgufValueType::INT32);
  put<uint64_t>(kv_, values.size());
  for (int32_t v : values)
    put(kv_, v);
  ++kvCount_;
}

void GgufWriter::addTensor(const std::string &name, GgmlType type,
                           const std::vector<int64_t> &shape, std::vector<uint8_t> data) {
  tensors_.push_back({name, type, shape, std::move(data)});
}

Status GgufWriter::write(const std::string &path) const {
  std::vector<uint8_t> head;
  head.insert(head.end(), {'G', 'G', 'U', 'F'});
  put<uint32_t>(head, 3);
  put<uint64_t>(head, tensors_.size());
  put<uint64_t>(head, kvCount_);
  head.insert(head.end(), kv_.begin(), kv_.end());
  uint64_t offset = 0;
  for (const Tensor &t : tensors_) {
    putString(head, t.name);
    put<uint32_t>(head, static_cast<uint32_t>(t.shape.size()));
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) // ggml order: innermost first
      put<uint64_t>(head, static_cast<uint64_t>(*it));
    put<uint32_t>(head, static_cast<uint32_t>(t.type));
    put<uint64_t>(head, offset);
    offset = alignUp(offset + t.data.size());
  }
  head.resize(alignUp(head.size()), 0);
  static const uint8_t zeros[kAlignment] = {};
  std::vector<ByteChunk> chunks = {{head.data(), head.size()}};
  for (const Tensor &t : tensors_) {
    chunks.push_back({t.data.data(), t.data.size()});
    chunks.push_back({zeros, alignUp(t.data.size()) - t.data.size()});
  }
  return writeFileAtomically(path, chunks);
}

} // namespace slimtune
