// Pre-tokenization: how a text segment is cut into the words BPE sees, as tokenizers'
// Split, Digits, ByteLevel and Sequence pre-tokenizers do it. Pieces stay raw UTF-8 bytes;
// the byte-level alphabet is applied by the BPE model.
#ifndef SLIMTUNE_TOKENIZER_PRE_TOKENIZER_H
#define SLIMTUNE_TOKENIZER_PRE_TOKENIZER_H

#include "tokenizer/tokenizer_regex.h"

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace slimtune {

// What a Split does with the pieces its pattern matches (tokenizers' SplitDelimiterBehavior).
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

struct PreTokenizerStep {
  enum class Kind { Split, Digits, ByteLevel };
  Kind kind = Kind::Split;
  std::string pattern;  // Split: the pattern as written
  bool literal = false; // Split: {"String": ...} rather than {"Regex": ...}
  SplitBehavior behavior = SplitBehavior::Isolated;
  bool invert = false;
  bool individualDigits = false; // Digits
  bool addPrefixSpace = false;   // ByteLevel
  bool useRegex = true;          // ByteLevel: split with GPT-2's pattern
  std::shared_ptr<const TokenizerRegex> regex;

  static Expected<PreTokenizerStep> split(const std::string &pattern, bool literal,
                                          SplitBehavior behavior, bool invert);
  static Expected<PreTokenizerStep> digits(bool individualDigits);
  static Expected<PreTokenizerStep> byteLevel(bool addPrefixSpace, bool useRegex);
};

// Buffers reused across the pieces of one encode() call.
struct PreTokenizerScratch {
  RegexScratch regex;
  std::vector<RegexMatch> matches;
  std::vector<std::string_view> next;
  std::deque<std::string> owned; // pieces made by adding a prefix space
};

class PreTokenizer {
public:
  // The steps in order. Exactly one ByteLevel step, and it comes last: slimtune implements
  // byte-level BPE only, and a step after ByteLevel would see the byte-level alphabet.
  // Errors say what is wrong without a file name; readers add theirs.
  static Expected<PreTokenizer> create(std::vector<PreTokenizerStep> steps);

  // Appends the words of `segment` to `words` (views into `segment` or `scratch.owned`).
  Status split(std::string_view segment, PreTokenizerScratch &scratch,
               std::vector<std::string_view> &words) const;

  // Everything that affects split(), as text, for the tokenizer's fingerprint.
  std::string describe() const;

  const std::vector<PreTokenizerStep> &steps() const { return steps_; }

private:
  std::vector<PreTokenizerStep> steps_;
};

// The pattern tokenizers' ByteLevel pre-tokenizer splits with (GPT-2's).
extern const char *const kGpt2Pattern;

} // namespace slimtune

#endif // SLIMTUNE_TOKENIZER_PRE_TOKENIZER_H
