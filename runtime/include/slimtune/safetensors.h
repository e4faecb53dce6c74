// safetensors: reader (zero-copy over an mmap, every rule of the format checked), sharded
// checkpoints (model.safetensors.index.json), and an atomic writer.
#ifndef SLIMTUNE_SAFETENSORS_H
#define SLIMTUNE_SAFETENSORS_H

#include "slimtune/mapped_file.h"
#include "slimtune/status.h"
#include "slimtune/tensor_view.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace slimtune {

// The parsed header of a safetensors byte image: tensors (sorted by offset, data pointing
// into the image) and __metadata__.
struct SafetensorsHeader {
  std::vector<TensorView> tensors;
  std::map<std::string, std::string> metadata;
  uint64_t headerBytes = 0; // 8 + N
};

// Checks every rule of the format; `name` is the file name used in error messages.
// Never reads outside [data, data + size).
Expected<SafetensorsHeader> parseSafetensors(const uint8_t *data, size_t size,
                                             const std::string &name);

class SafetensorsFile {
public:
  static Expected<SafetensorsFile> open(const std::string &path);

  const std::vector<TensorView> &tensors() const { return header_.tensors; }
  const std::map<std::string, std::string> &metadata() const { return header_.metadata; }
  const TensorView *find(std::string_view name) const;
  const std::string &path() const { return file_->path(); }
  uint64_t fileBytes() const { return file_->size(); }
  uint64_t headerBytes() const { return header_.headerBytes; }

private:
  std::shared_ptr<const MappedFile> file_;
  SafetensorsHeader header_;
  std::unordered_map<std::string, size_t> index_;
};

// A checkpoint of one or more safetensors files: a single file, or the shards listed by a
// model.safetensors.index.json.
class SafetensorsCheckpoint {
public:
  // `path` is a .safetensors file or an index .json.
  static Expected<SafetensorsCheckpoint> open(const std::string &path);

  // All tensors, shard by shard.
  std::vector<const TensorView *> tensors() const;
  const TensorView *find(std::string_view name) const;
  const std::vector<SafetensorsFile> &files() const { return files_; }

private:
  std::vector<SafetensorsFile> files_;
  std::unordered_map<std::string, const TensorView *> index_;
};

// One tensor to write.
struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const void *data;
  uint64_t bytes;
};

// Writes a safetensors file atomically: a temporary file beside `path`, fsync, rename.
// The header is padded with spaces to a multiple of 8 bytes, as the reference writer does.
Status writeSafetensors(const std::string &path, const std::vector<TensorToWrite> &tensors,
                        const std::map<std::string, std::string> &metadata = {});

} // namespace slimtune

#endif // SLIMTUNE_SAFETENSORS_H
