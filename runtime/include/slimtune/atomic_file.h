// Writing files so that a reader sees either the old file or the complete new one, never a
// torn one: write a temporary file beside the target, fsync it, rename it over the target,
// fsync the folder. A failure (full disk, unwritable folder) leaves the old file untouched.
#ifndef SLIMTUNE_ATOMIC_FILE_H
#define SLIMTUNE_ATOMIC_FILE_H

#include "slimtune/status.h"

#include <cstddef>
#include <string>
#include <vector>

namespace slimtune {

struct ByteChunk {
  const void *data;
  size_t size;
};

// Writes the concatenation of `chunks` to `path` atomically.
Status writeFileAtomically(const std::string &path, const std::vector<ByteChunk> &chunks);

// Creates folder `path` and its missing parents (mkdir -p).
Status makeFolders(const std::string &path);

} // namespace slimtune

#endif // SLIMTUNE_ATOMIC_FILE_H
