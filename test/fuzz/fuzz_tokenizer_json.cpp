// libFuzzer target: tokenizer.json parsing and, for accepted tokenizers, encoding a fixed text
// (added tokens, pre-tokenizer steps, BPE merges) and decoding it back. Every id encode()
// gives must be below vocabSize().
#include "slimtune/tokenizer.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto tokenizer = slimtune::Tokenizer::fromHfJsonText(
      std::string_view(reinterpret_cast<const char *>(data), size), "tokenizer.json");
  if (!tokenizer)
    return 0;
  // Words, digits, contractions, runs of spaces, a special token, multi-byte characters.
  static constexpr std::string_view kText =
      "Hello, world! It's 2024:  don't\n\n\tcaf\xc3\xa9 <|endoftext|>x \xf0\x9f\x98\x80 <s></s>";
  auto ids = tokenizer->encode(kText);
  if (!ids)
    return 0; // a pattern past PCRE2's backtracking limits
  for (int32_t id : *ids)
    if (id < 0 || id >= tokenizer->vocabSize())
      std::abort();
  volatile size_t sink = tokenizer->decode(*ids).size() + tokenizer->fingerprint().size();
  (void)sink;
  return 0;
}
