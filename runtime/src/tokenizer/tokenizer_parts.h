// What a tokenizer is made of, as the readers (tokenizer.json, GGUF metadata) build it and
// slimtune::Tokenizer runs it: added tokens, pre-tokenizer steps, the BPE model.
#ifndef SLIMTUNE_TOKENIZER_TOKENIZER_PARTS_H
#define SLIMTUNE_TOKENIZER_TOKENIZER_PARTS_H

#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/pre_tokenizer.h"

#include <optional>
#include <string>

namespace slimtune {

class GgufFile;

struct TokenizerParts {
  AddedTokens added;
  PreTokenizer preTokenizer;
  BpeModel bpe;
  std::optional<int32_t> bos, eos;
};

// tokenizer.json text; `name` labels errors ("tokenizer.json: ...").
Expected<TokenizerParts> parseHfTokenizerJson(std::string_view text, const std::string &name);
// tokenizer.ggml.* metadata; errors name the file.
Expected<TokenizerParts> readGgufTokenizer(const GgufFile &file);
// bos/eos of a Hugging Face folder: tokenizer_config.json's bos_token / eos_token (strings or
// {"content": ...}), else config.json's bos_token_id / eos_token_id. Missing files are fine.
Status readHfBosEos(const std::string &folder, TokenizerParts &parts);

// The id of a token: added tokens first, then the vocabulary.
std::optional<int32_t> tokenIdIn(const TokenizerParts &parts, std::string_view token);

} // namespace slimtune

#endif // SLIMTUNE_TOKENIZER_TOKENIZER_PARTS_H
