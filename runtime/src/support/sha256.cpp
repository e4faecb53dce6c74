// SHA-256 through OpenSSL's EVP interface.
#include "slimtune/sha256.h"

#include "slimtune/mapped_file.h"

#include <openssl/evp.h>

namespace slimtune {

struct Sha256::State {
  EVP_MD_CTX *context = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(context); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  EVP_DigestInit_ex(state_->context, EVP_sha256(), nullptr);
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256 &&) noexcept = default;
Sha256 &Sha256::operator=(Sha256 &&) noexcept = default;

Sha256 &Sha256::update(const void *data, size_t size) {
  EVP_DigestUpdate(state_->context, data, size);
  return *this;
}

std::string Sha256::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(state_->context, digest, &length);
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += digits[digest[i] >> 4];
    out += digits[digest[i] & 15];
  }
  return out;
}

std::string sha256Hex(const void *data, size_t size) { return Sha256().update(data, size).hex(); }

Expected<std::string> sha256OfFile(const std::string &path) {
  SLIMTUNE_TRY(file, MappedFile::open(path));
  return sha256Hex(file->data(), file->size());
}

} // namespace slimtune
