// Token files: raw little-endian uint32 ids.
#include "slimtune/data.h"

#include "slimtune/mapped_file.h"

#include <cstring>

namespace slimtune {

Expected<std::vector<int32_t>> readTokenFile(const std::string &path) {
  SLIMTUNE_TRY(file, MappedFile::open(path));
  size_t size = file->size();
  if (size == 0)
    return Status::error(path + ": the token file is empty");
  if (size % 4 != 0)
    return Status::error(path + ": " + std::to_string(size) +
                         " bytes is not a whole number of uint32 token ids");
  std::vector<int32_t> tokens(size / 4);
  for (size_t i = 0; i < tokens.size(); ++i) {
    uint32_t id;
    std::memcpy(&id, file->data() + 4 * i, 4);
    if (id > static_cast<uint32_t>(INT32_MAX))
      return Status::error(path + ": token " + std::to_string(i) + " has id " +
                           std::to_string(id) + ", beyond any vocabulary");
    tokens[i] = static_cast<int32_t>(id);
  }
  return tokens;
}

} // namespace slimtune
