// GGUF tokenizer metadata → TokenizerParts: the Hugging Face tokenizer that llama.cpp's
// converter wrote down. tokenizer.ggml.pre names the pre-tokenizer; each supported name maps to
// the steps of the original tokenizer.json (llama.cpp keeps its own regex lists for them, in
// src/llama-vocab.cpp). Control tokens are special added tokens, user-defined ones plain added
// tokens, as the converter made them from the added tokens.
#include "tokenizer/tokenizer_parts.h"

#include "slimtune/gguf.h"
#include "support/utf8.h"

#include <cstdint>
#include <unordered_map>

namespace slimtune {
namespace {

// GGUF token types (llama.cpp's llama_token_type).
constexpr int64_t kControl = 3, kUserDefined = 4;

constexpr const char *kLlama3Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char *kQwen2Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

struct PreTokenizerRecipe {
  std::vector<PreTokenizerStep> steps;
  bool ignoreMerges = false;
};

Expected<PreTokenizerRecipe> recipeFor(const std::string &pre) {
  PreTokenizerRecipe r;
  auto add = [&](Expected<PreTokenizerStep> step) -> Status {
    if (!step)
      return step.status();
    r.steps.push_back(step.take());
    return Status::ok();
  };
  auto isolated = [](const char *pattern) {
    return PreTokenizerStep::split(pattern, false, SplitBehavior::Isolated, false);
  };
  Status s;
  if (pre == "gpt-2") {
    s = add(PreTokenizerStep::byteLevel(false, true));
  } else if (pre == "smollm" || pre == "starcoder" || pre == "refact") {
    // Sequence[Digits(individual_digits), ByteLevel]: llama.cpp's "\p{N}" then GPT-2's regex.
    if ((s = add(PreTokenizerStep::digits(true))))
      s = add(PreTokenizerStep::byteLevel(false, true));
  } else if (pre == "llama3" || pre == "llama-v3" || pre == "llama-bpe") {
    r.ignoreMerges = true;
    if ((s = add(isolated(kLlama3Pattern))))
      s = add(PreTokenizerStep::byteLevel(false, false));
  } else if (pre == "qwen2" || pre == "deepseek-r1-qwen") {
    if ((s = add(isolated(kQwen2Pattern))))
      s = add(PreTokenizerStep::byteLevel(false, false));
  } else if (pre == "default") {
    // llama.cpp's fallback, which no tokenizer.json describes: its four patterns one after
    // the other, each isolating its matches.
    for (const char *pattern : {"[\\p{P}\\$\\+<=>\\^~\\|]+", kGpt2Pattern, "\\p{N}+",
                                "[0-9][0-9][0-9]"})
      if (s)
        s = add(isolated(pattern));
    if (s)
      s = add(PreTokenizerStep::byteLevel(false, false));
  } else {
    return Status::error("tokenizer.ggml.pre \"" + pre +
                         "\" is not supported (slimtune knows default, gpt-2, smollm, starcoder, "
                         "refact, llama3, llama-bpe, qwen2)");
  }
  if (!s)
    return s;
  return r;
}

std::optional<int32_t> optionalTokenId(const GgufFile &file, const char *key, int64_t count) {
  auto id = file.getInt(key);
  if (!id || *id < 0 || *id >= count)
    return std::nullopt;
  return static_cast<int32_t>(*id);
}

} // namespace

Expected<TokenizerParts> readGgufTokenizer(const GgufFile &file) {
  const std::string &path = file.path();
  auto fail = [&](const std::string &what) { return Status::error(path + ": " + what); };
  if (!file.value("tokenizer.ggml.model"))
    return fail("has no tokenizer (no tokenizer.ggml.model); pass token ids with --tokens");
  SLIMTUNE_TRY(model, file.getString("tokenizer.ggml.model"));
  if (model != "gpt2") {
    std::string kind = model == "llama" ? " (SentencePiece)" : model == "bert" ? " (WordPiece)"
                       : model == "t5"  ? " (Unigram)"
                                        : "";
    return fail("tokenizer.ggml.model \"" + std::string(model) + "\"" + kind +
                " is not supported (byte-level BPE, \"gpt2\", only); pass token ids with --tokens");
  }
  if (!file.value("tokenizer.ggml.pre"))
    return fail("tokenizer.ggml.pre is missing, so the pre-tokenizer is unknown; pass token ids "
                "with --tokens");
  SLIMTUNE_TRY(pre, file.getString("tokenizer.ggml.pre"));
  auto recipe = recipeFor(std::string(pre));
  if (!recipe)
    return fail(recipe.status().message());

  SLIMTUNE_TRY(tokens, file.getStringArray("tokenizer.ggml.tokens"));
  int64_t count = static_cast<int64_t>(tokens.size());
  if (count == 0 || count > INT32_MAX)
    return fail("tokenizer.ggml.tokens holds " + std::to_string(count) + " tokens");
  std::vector<int64_t> types;
  if (file.value("tokenizer.ggml.token_type")) {
    SLIMTUNE_TRY(t, file.getIntArray("tokenizer.ggml.token_type"));
    if (static_cast<int64_t>(t.size()) != count)
      return fail("tokenizer.ggml.token_type has " + std::to_string(t.size()) +
                  " entries for " + std::to_string(count) + " tokens");
    types = std::move(t);
  }
  std::vector<std::pair<std::string, std::string>> merges;
  if (file.value("tokenizer.ggml.merges")) {
    SLIMTUNE_TRY(lines, file.getStringArray("tokenizer.ggml.merges"));
    merges.reserve(lines.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      // As llama.cpp splits them: at the first space after the first byte.
      size_t space = lines[i].size() > 1 ? lines[i].find(' ', 1) : std::string_view::npos;
      if (space == std::string_view::npos)
        return fail("tokenizer.ggml.merges[" + std::to_string(i) + "] \"" +
                    std::string(lines[i]) + "\" is not two tokens separated by a space");
      merges.emplace_back(lines[i].substr(0, space), lines[i].substr(space + 1));
    }
  }

  // The vocabulary; a string listed twice keeps its last id, as llama.cpp's map does.
  BpeModel::Vocab vocab;
  vocab.reserve(tokens.size());
  std::vector<AddedToken> added;
  for (int64_t id = 0; id < count; ++id) {
    std::string text(tokens[id]);
    vocab[text] = static_cast<int32_t>(id);
    int64_t type = types.empty() ? 1 : types[id];
    if ((type == kControl || type == kUserDefined) && !text.empty()) {
      if (firstInvalidUtf8(text) != std::string_view::npos)
        return fail("tokenizer.ggml.tokens[" + std::to_string(id) + "] is not valid UTF-8");
      AddedToken t;
      t.content = text;
      t.id = static_cast<int32_t>(id);
      t.special = type == kControl;
      t.normalized = type == kUserDefined;
      added.push_back(std::move(t));
    }
  }
  // A later token with the same text wins, as in the vocabulary.
  std::unordered_map<std::string, size_t> lastOf;
  for (size_t i = 0; i < added.size(); ++i)
    lastOf[added[i].content] = i;
  std::vector<AddedToken> distinct;
  for (size_t i = 0; i < added.size(); ++i)
    if (lastOf[added[i].content] == i)
      distinct.push_back(std::move(added[i]));

  BpeOptions options;
  options.ignoreMerges = recipe->ignoreMerges;
  // Merges naming strings outside the vocabulary are skipped (see UnknownMerge).
  auto bpe = BpeModel::create(std::move(vocab), merges, options, UnknownMerge::Skip);
  if (!bpe)
    return fail(bpe.status().message());
  auto preTokenizer = PreTokenizer::create(std::move(recipe->steps));
  if (!preTokenizer)
    return fail(preTokenizer.status().message());
  TokenizerParts parts{AddedTokens::create(std::move(distinct)), preTokenizer.take(), bpe.take(),
                       optionalTokenId(file, "tokenizer.ggml.bos_token_id", count),
                       optionalTokenId(file, "tokenizer.ggml.eos_token_id", count)};
  return parts;
}

} // namespace slimtune
