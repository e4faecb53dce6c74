// Small tokenizer.json files for the tokenizer tests: a byte-level vocabulary where byte b has
// id b, extra tokens from id 256 on, and whatever pre-tokenizer, merges and added tokens a test
// needs. Expected ids in the tests come from Hugging Face `tokenizers` 0.23 on the same files.
#ifndef SLIMTUNE_TEST_TOKENIZER_JSON_H
#define SLIMTUNE_TEST_TOKENIZER_JSON_H

#include "slimtune/tokenizer.h"
#include "tokenizer/byte_level.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace slimtune::testing {

inline nlohmann::json byteLevelPreTokenizer(bool addPrefixSpace = false, bool useRegex = true) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", addPrefixSpace}, {"trim_offsets", true},
          {"use_regex", useRegex}};
}

inline nlohmann::json addedToken(const std::string &content, bool special = true,
                                 bool normalized = false) {
  return {{"id", 0},          {"content", content},         {"single_word", false},
          {"lstrip", false},  {"rstrip", false},            {"normalized", normalized},
          {"special", special}};
}

struct TokenizerJson {
  nlohmann::json preTokenizer = byteLevelPreTokenizer();
  std::vector<std::string> extra;  // byte-level spellings, ids 256, 257, ...
  nlohmann::json merges = nlohmann::json::array();
  nlohmann::json added = nlohmann::json::array();

  nlohmann::json json() const {
    nlohmann::json vocab = nlohmann::json::object();
    for (unsigned b = 0; b < 256; ++b)
      vocab[byteLevelChar(static_cast<uint8_t>(b))] = b;
    for (size_t i = 0; i < extra.size(); ++i)
      vocab[extra[i]] = 256 + i;
    return {{"version", "1.0"},
            {"truncation", nullptr},
            {"padding", nullptr},
            {"added_tokens", added},
            {"normalizer", nullptr},
            {"pre_tokenizer", preTokenizer},
            {"post_processor", nullptr},
            {"decoder", byteLevelPreTokenizer()},
            {"model",
             {{"type", "BPE"},
              {"dropout", nullptr},
              {"unk_token", nullptr},
              {"continuing_subword_prefix", nullptr},
              {"end_of_word_suffix", nullptr},
              {"fuse_unk", false},
              {"byte_fallback", false},
              {"ignore_merges", false},
              {"vocab", vocab},
              {"merges", merges}}}};
  }
  std::string text() const { return json().dump(); }
  Tokenizer tokenizer() const {
    auto t = Tokenizer::fromHfJsonText(text(), "tokenizer.json");
    if (!t)
      throw std::runtime_error(t.status().message());
    return t.take();
  }
};

inline std::vector<int32_t> encode(const Tokenizer &t, const std::string &text) {
  auto ids = t.encode(text);
  if (!ids)
    throw std::runtime_error(ids.status().message());
  return ids.take();
}

} // namespace slimtune::testing

#endif // SLIMTUNE_TEST_TOKENIZER_JSON_H
