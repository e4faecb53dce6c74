// The token cache: "SLIMTOK1", document count, token count (uint64 each), the documents' end
// offsets (uint64), the ids (uint32), then the SHA-256 of everything before it (32 bytes).
#include "slimtune/token_cache.h"

#include "slimtune/atomic_file.h"
#include "slimtune/mapped_file.h"
#include "slimtune/sha256.h"
#include "slimtune/tokenizer.h"

#include <cerrno>
#include <cstring>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace slimtune {
namespace {

constexpr char kMagic[8] = {'S', 'L', 'I', 'M', 'T', 'O', 'K', '1'};
constexpr size_t kDigestBytes = 32;

std::vector<uint8_t> digestBytes(const std::string &hex) {
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return out;
}

// The cached documents, or nothing when the file is absent, truncated or corrupt.
std::optional<TokenizedDocuments> readCache(const std::string &file) {
  auto mapped = MappedFile::open(file);
  if (!mapped)
    return std::nullopt;
  const uint8_t *p = (*mapped)->data();
  size_t size = (*mapped)->size();
  if (size < sizeof kMagic + 16 + kDigestBytes || std::memcmp(p, kMagic, sizeof kMagic) != 0)
    return std::nullopt;
  uint64_t documents, tokens;
  std::memcpy(&documents, p + 8, 8);
  std::memcpy(&tokens, p + 16, 8);
  size_t body = 24;
  if (documents > size / 8 || tokens > size / 4 ||
      body + documents * 8 + tokens * 4 + kDigestBytes != size)
    return std::nullopt;
  size_t payload = size - kDigestBytes;
  if (digestBytes(sha256Hex(p, payload)) != std::vector<uint8_t>(p + payload, p + size))
    return std::nullopt;
  TokenizedDocuments out;
  out.ends.resize(documents);
  out.tokens.resize(tokens);
  std::memcpy(out.ends.data(), p + body, documents * 8);
  std::memcpy(out.tokens.data(), p + body + documents * 8, tokens * 4);
  for (size_t i = 0; i < documents; ++i)
    if (out.ends[i] > tokens || (i > 0 && out.ends[i] < out.ends[i - 1]))
      return std::nullopt;
  return out;
}

Status writeCache(const std::string &file, const TokenizedDocuments &d) {
  uint64_t counts[2] = {d.ends.size(), d.tokens.size()};
  Sha256 digest;
  digest.update(kMagic, sizeof kMagic).update(counts, sizeof counts);
  digest.update(d.ends.data(), d.ends.size() * 8).update(d.tokens.data(), d.tokens.size() * 4);
  std::vector<uint8_t> tail = digestBytes(digest.hex());
  return writeFileAtomically(file, {{kMagic, sizeof kMagic},
                                    {counts, sizeof counts},
                                    {d.ends.data(), d.ends.size() * 8},
                                    {d.tokens.data(), d.tokens.size() * 4},
                                    {tail.data(), tail.size()}});
}

} // namespace

Expected<TokenizedText> tokenizeTextFile(const std::string &path, const std::string &separator,
                                         const Tokenizer &tokenizer, const std::string &cacheDir,
                                         std::vector<std::string> &warnings) {
  TokenizedText out;
  std::string key;
  if (!cacheDir.empty()) {
    SLIMTUNE_TRY(file, MappedFile::open(path));
    Sha256 digest;
    digest.update(file->data(), file->size());
    // Lengths first, so that no two (separator, tokenizer) pairs hash the same text.
    std::string fingerprint = tokenizer.fingerprint();
    digest.update("separator " + std::to_string(separator.size()) + " " + separator);
    digest.update(" tokenizer " + std::to_string(fingerprint.size()) + " " + fingerprint);
    key = digest.hex();
    out.cacheFile = cacheDir + "/" + key + ".tokens";
    if (auto cached = readCache(out.cacheFile)) {
      out.documents = std::move(*cached);
      out.fromCache = true;
      return out;
    }
    if (::access(out.cacheFile.c_str(), F_OK) == 0)
      warnings.push_back(out.cacheFile + ": damaged (size or checksum); tokenizing again");
  }
  SLIMTUNE_TRY(documents, readTextDocuments(path, separator));
  // Documents are independent: tokenize them on every core, then join them in order.
  std::vector<Expected<std::vector<int32_t>>> pieces(documents.size(), Status::ok());
  const int64_t count = static_cast<int64_t>(documents.size());
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < count; ++i)
    pieces[i] = tokenizer.encode(documents[i]);
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (!pieces[i])
      return Status::error(path + ": document " + std::to_string(i + 1) + ": " +
                           pieces[i].status().message());
    out.documents.tokens.insert(out.documents.tokens.end(), pieces[i]->begin(), pieces[i]->end());
    out.documents.ends.push_back(out.documents.tokens.size());
  }
  if (!cacheDir.empty()) {
    Status written = makeFolders(cacheDir);
    if (written)
      written = writeCache(out.cacheFile, out.documents);
    if (!written)
      warnings.push_back("cannot cache the tokens: " + written.message());
  }
  return out;
}

} // namespace slimtune
