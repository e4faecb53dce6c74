// The byte-level BPE model: a vocabulary of byte-level strings, merge ranks, and the merge loop
// of tokenizers' BPE (lowest rank first, leftmost among equals), with a cache of merged words.
#ifndef SLIMTUNE_TOKENIZER_BPE_H
#define SLIMTUNE_TOKENIZER_BPE_H

#include "slimtune/status.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace slimtune {

struct BpeOptions {
  // A word that is itself in the vocabulary becomes that token without merging.
  bool ignoreMerges = false;
  // Characters outside the vocabulary become this token (one per character, or one per run
  // with fuseUnk); without it they are dropped, as tokenizers does.
  std::optional<std::string> unkToken;
  bool fuseUnk = false;
};

// What to do with a merge whose parts or result are not in the vocabulary: refuse the file
// (tokenizers refuses such a tokenizer.json) or skip the merge (GGUF files of small test models
// carry such merges; llama.cpp loads them).
enum class UnknownMerge { Refuse, Skip };

class BpeModel {
public:
  using Vocab = std::unordered_map<std::string, int32_t>;
  // `merges` in rank order as (left, right) token strings; a pair listed twice keeps its last
  // rank, as tokenizers' map does. Errors name the merge ("merge 12 (\"a bc\"): ...").
  static Expected<BpeModel> create(Vocab vocab,
                                   const std::vector<std::pair<std::string, std::string>> &merges,
                                   const BpeOptions &options, UnknownMerge unknownMerge);

  // Appends the ids of one word (raw UTF-8 bytes, mapped to the byte-level alphabet here).
  void encodeWord(std::string_view word, std::vector<int32_t> &ids) const;

  std::optional<int32_t> tokenId(std::string_view token) const;
  const Vocab &vocab() const { return *vocab_; }
  // Merges as (left id, right id, result id), in rank order.
  std::vector<std::array<int32_t, 3>> mergesByRank() const;
  const BpeOptions &options() const { return options_; }

private:
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  static uint64_t pairKey(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  void mergeWord(std::string_view word, std::vector<int32_t> &ids) const;

  std::shared_ptr<const Vocab> vocab_;
  std::unordered_map<uint64_t, Merge> merges_;
  std::array<int32_t, 256> byteIds_{}; // id of each byte's alphabet character, or -1
  BpeOptions options_;
  int32_t unkId_ = -1;
  struct Cache;
  std::shared_ptr<Cache> cache_; // merged words; shared by copies, guarded by a mutex
};

} // namespace slimtune

#endif // SLIMTUNE_TOKENIZER_BPE_H
