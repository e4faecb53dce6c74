// A read-only memory mapping of a whole file: model files are read zero-copy from it.
#ifndef SLIMTUNE_MAPPED_FILE_H
#define SLIMTUNE_MAPPED_FILE_H

#include "slimtune/status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace slimtune {

class MappedFile {
public:
  // Maps `path` read-only. Errors name the file ("<path>: cannot open: No such file ...").
  static Expected<std::shared_ptr<const MappedFile>> open(const std::string &path);
  ~MappedFile();
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  const uint8_t *data() const { return data_; }
  size_t size() const { return size_; }
  const std::string &path() const { return path_; }

private:
  MappedFile(std::string path, const uint8_t *data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const uint8_t *data_;
  size_t size_;
};

} // namespace slimtune

#endif // SLIMTUNE_MAPPED_FILE_H
