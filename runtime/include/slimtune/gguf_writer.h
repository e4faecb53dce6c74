// Writes GGUF v3 files the way ggml's writer lays them out (aligned, in-order tensor data).
// Used for test fixtures; the reader accepts exactly this layout.
#ifndef SLIMTUNE_GGUF_WRITER_H
#define SLIMTUNE_GGUF_WRITER_H

#include "slimtune/ggml_types.h"
#include "slimtune/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace slimtune {

class GgufWriter {
public:
  void addUint32(const std::string &key, uint32_t value);
  void addInt32(const std::string &key, int32_t value);
  void addFloat32(const std::string &key, float value);
  void addBool(const std::string &key, bool value);
  void addString(const std::string &key, const std::string &value);
  void addStringArray(const std::string &key, const std::vector<std::string> &values);
  void addInt32Array(const std::string &key, const std::vector<int32_t> &values);
  // `shape` is row-major (outermost first); `data` holds the encoded blocks.
  void addTensor(const std::string &name, GgmlType type, const std::vector<int64_t> &shape,
                 std::vector<uint8_t> data);
  // Writes atomically (temporary file, fsync, rename).
  Status write(const std::string &path) const;

private:
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> shape;
    std::vector<uint8_t> data;
  };
  std::vector<uint8_t> kv_;
  uint64_t kvCount_ = 0;
  std::vector<Tensor> tensors_;
};

} // namespace slimtune

#endif // SLIMTUNE_GGUF_WRITER_H
