// Strict JSON input for the format readers (the templates live in the header).
#include "formats/json_input.h"

#include "slimtune/mapped_file.h"

namespace slimtune {

Expected<std::string> readSmallFile(const std::string &path, size_t limit) {
  auto file = MappedFile::open(path);
  if (!file)
    return file.status();
  if ((*file)->size() > limit)
    return Status::error(path + ": file is larger than " + std::to_string(limit) + " bytes");
  return std::string(reinterpret_cast<const char *>((*file)->data()), (*file)->size());
}

} // namespace slimtune
