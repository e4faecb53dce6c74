// A model's own tokenizer, for training on text: byte-level BPE read from a Hugging Face
// tokenizer.json or from a GGUF file's tokenizer.ggml.* metadata. encode() gives the ids Hugging
// Face `tokenizers` gives for encode(text, add_special_tokens=False): the same added-token
// matching, pre-tokenizer steps and merges.
//
// Supported: normalizer null; pre-tokenizers ByteLevel, Split, Digits and Sequence of them
// (ByteLevel last); model BPE (ignore_merges, unk_token, fuse_unk); added tokens with
// single_word / lstrip / rstrip / normalized; decoder ByteLevel. GGUF: tokenizer.ggml.model
// "gpt2" with the pre-tokenizers llama.cpp names default, gpt-2, smollm, starcoder, refact,
// llama3 (llama-bpe, llama-v3), qwen2 (deepseek-r1-qwen). Anything else is refused by name.
#ifndef SLIMTUNE_TOKENIZER_H
#define SLIMTUNE_TOKENIZER_H

#include "slimtune/status.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slimtune {

class GgufFile;
struct TokenizerParts;

class Tokenizer {
public:
  // A Hugging Face folder (its tokenizer.json), a tokenizer.json or config.json path, or a
  // GGUF file.
  static Expected<Tokenizer> fromModel(const std::string &modelPath);
  // bos/eos come from tokenizer_config.json beside the file (bos_token, eos_token), else from
  // config.json there (bos_token_id, eos_token_id: the first when a list).
  static Expected<Tokenizer> fromHfJson(const std::string &tokenizerJsonPath);
  // tokenizer.json contents already in memory (no bos/eos); `name` labels errors.
  static Expected<Tokenizer> fromHfJsonText(std::string_view json, const std::string &name);
  static Expected<Tokenizer> fromGguf(const GgufFile &file);

  // Text → ids. Added tokens in the text become their ids. Invalid UTF-8 is an error naming
  // the byte offset ("invalid UTF-8 at byte 17"). Safe to call from several threads.
  Expected<std::vector<int32_t>> encode(std::string_view text) const;
  // Ids → bytes: decode(encode(x)) == x. Unlike tokenizers' decode, nothing is skipped or
  // replaced: the bytes of a partial UTF-8 sequence come out as they are (so that pieces can
  // be concatenated); ids outside the vocabulary are skipped.
  std::string decode(const std::vector<int32_t> &ids) const;

  std::optional<int32_t> bosId() const;
  std::optional<int32_t> eosId() const;
  // One more than the largest id the tokenizer knows (vocabulary and added tokens).
  int64_t vocabSize() const;
  // The id of a token (added tokens first, then the vocabulary, in its byte-level spelling).
  std::optional<int32_t> tokenId(std::string_view token) const;
  // A SHA-256 (hex) of everything that affects encode(): pre-tokenizer steps, vocabulary,
  // merges, added tokens and their matching flags, BPE options. Equal for a GGUF file and the
  // tokenizer.json it was converted from when they tokenize alike.
  std::string fingerprint() const;

  ~Tokenizer();
  Tokenizer(Tokenizer &&) noexcept;
  Tokenizer &operator=(Tokenizer &&) noexcept;
  Tokenizer(const Tokenizer &);
  Tokenizer &operator=(const Tokenizer &);

private:
  struct Impl;
  explicit Tokenizer(std::shared_ptr<const Impl> impl);
  static Tokenizer fromParts(TokenizerParts parts);
  std::shared_ptr<const Impl> impl_;
};

} // namespace slimtune

#endif // SLIMTUNE_TOKENIZER_H
