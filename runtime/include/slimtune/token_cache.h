// Tokenizing a text data file once: the documents' token ids are cached under a key of the
// file's bytes, the document separator and the tokenizer, and read back on the next run.
#ifndef SLIMTUNE_TOKEN_CACHE_H
#define SLIMTUNE_TOKEN_CACHE_H

#include "slimtune/data.h"
#include "slimtune/status.h"

#include <string>
#include <vector>

namespace slimtune {

class Tokenizer;

struct TokenizedText {
  TokenizedDocuments documents;
  bool fromCache = false;
  std::string cacheFile;
};

// Reads `path` (readTextDocuments), tokenizes every document, and caches the result in
// `cacheDir` (created when missing; "" disables the cache). A cache file that is unreadable or
// fails its checksum is ignored and rewritten; failing to write one is a warning, not an error.
Expected<TokenizedText> tokenizeTextFile(const std::string &path, const std::string &separator,
                                         const Tokenizer &tokenizer, const std::string &cacheDir,
                                         std::vector<std::string> &warnings);

} // namespace slimtune

#endif // SLIMTUNE_TOKEN_CACHE_H
