// SHA-256 digests (OpenSSL) as lowercase hex, the form `sha256sum` prints: checkpoint
// checksums a user can verify by hand, and content keys of caches.
#ifndef SLIMTUNE_SHA256_H
#define SLIMTUNE_SHA256_H

#include "slimtune/status.h"

#include <cstddef>
#include <memory>
#include <string>

namespace slimtune {

std::string sha256Hex(const void *data, size_t size);

// Incremental hashing of several pieces, e.g. a text and the settings that shaped its tokens.
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(Sha256 &&) noexcept;
  Sha256 &operator=(Sha256 &&) noexcept;
  Sha256 &update(const void *data, size_t size);
  Sha256 &update(const std::string &text) { return update(text.data(), text.size()); }
  std::string hex(); // finishes the digest

private:
  struct State;
  std::unique_ptr<State> state_;
};

// The digest of a whole file; errors name the file.
Expected<std::string> sha256OfFile(const std::string &path);

} // namespace slimtune

#endif // SLIMTUNE_SHA256_H
