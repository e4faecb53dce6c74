// Added tokens (special and not): strings matched in the raw text before pre-tokenization,
// each becoming its own id, as tokenizers' AddedVocabulary does it.
#ifndef SLIMTUNE_TOKENIZER_ADDED_TOKENS_H
#define SLIMTUNE_TOKENIZER_ADDED_TOKENS_H

#include "slimtune/status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace slimtune {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;
  bool singleWord = false; // only where no word character touches it on either side
  bool lstrip = false;     // takes the whitespace before it
  bool rstrip = false;     // takes the whitespace after it
  bool normalized = true;  // matched in a second pass, after the non-normalized ones
};

// A piece of the text: an added token's id, or text for the pre-tokenizer (id -1).
struct TextSegment {
  std::string_view text;
  int32_t id = -1;
};

class AddedTokens {
public:
  // Tokens with their final ids and non-empty, distinct contents.
  static AddedTokens create(std::vector<AddedToken> tokens);

  // Splits `text`: first on the tokens that are not normalized, then the remaining text on
  // the normalized ones (slimtune has no normalizer, so both passes see the same text). At each
  // position the longest token wins; the leftmost match is taken first.
  void split(std::string_view text, std::vector<TextSegment> &segments) const;

  const std::vector<AddedToken> &tokens() const { return tokens_; }
  bool empty() const { return tokens_.empty(); }

private:
  // A byte trie of one pass's token contents.
  struct Trie {
    struct Node {
      std::vector<std::pair<unsigned char, int32_t>> children; // sorted by byte
      int32_t token = -1;                                       // index into tokens_
    };
    std::vector<Node> nodes{Node{}};
    bool firstBytes[256] = {};
    void insert(const std::string &content, int32_t token);
    // The longest token starting at `pos`: (token index, length), or token -1.
    std::pair<int32_t, size_t> longestAt(std::string_view text, size_t pos) const;
  };
  void splitPass(const Trie &trie, std::string_view text, std::vector<TextSegment> &out) const;

  std::vector<AddedToken> tokens_;
  Trie raw_, normalized_;
};

} // namespace slimtune

#endif // SLIMTUNE_TOKENIZER_ADDED_TOKENS_H
