// Which tokens begin and end a text in a Hugging Face folder. tokenizer.json does not say; the
// tokenizer's own tokenizer_config.json does (by content), and config.json does for the model
// (by id). The first one present wins.
#include "tokenizer/tokenizer_parts.h"

#include "formats/json_input.h"

#include <sys/stat.h>

namespace slimtune {
namespace {
using json = nlohmann::json;

bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// tokenizer_config.json's "bos_token": "<s>" or {"content": "<s>", ...}, or null.
Expected<std::optional<int32_t>> tokenByContent(const TokenizerParts &parts, const json &config,
                                                const std::string &file, const char *key) {
  if (!config.contains(key) || config[key].is_null())
    return std::optional<int32_t>();
  const json &v = config[key];
  const json *content = v.is_object() && v.contains("content") ? &v["content"] : &v;
  if (!content->is_string())
    return Status::error(file + ": " + key + " must be a string or {\"content\": ...}, got " +
                         v.dump());
  const std::string &text = content->get_ref<const std::string &>();
  auto id = tokenIdIn(parts, text);
  if (!id)
    return Status::error(file + ": " + key + " \"" + text + "\" is not a token of the tokenizer");
  return id;
}

} // namespace

Status readHfBosEos(const std::string &folder, TokenizerParts &parts) {
  std::string tokenizerConfig = folder + "/tokenizer_config.json";
  if (exists(tokenizerConfig)) {
    SLIMTUNE_TRY(config, readJsonFile(tokenizerConfig));
    if (!config.is_object())
      return Status::error(tokenizerConfig + ": must be a JSON object");
    SLIMTUNE_TRY(bos, tokenByContent(parts, config, tokenizerConfig, "bos_token"));
    SLIMTUNE_TRY(eos, tokenByContent(parts, config, tokenizerConfig, "eos_token"));
    parts.bos = bos;
    parts.eos = eos;
    if (bos || eos)
      return Status::ok();
  }
  std::string modelConfig = folder + "/config.json";
  if (exists(modelConfig)) {
    SLIMTUNE_TRY(config, readJsonFile(modelConfig));
    if (!config.is_object())
      return Status::error(modelConfig + ": must be a JSON object");
    JsonFields<> f(config, modelConfig);
    SLIMTUNE_TRY(bos, f.intOrIntList("bos_token_id"));
    SLIMTUNE_TRY(eos, f.intOrIntList("eos_token_id"));
    for (auto [ids, out] : {std::pair{&bos, &parts.bos}, std::pair{&eos, &parts.eos}})
      if (!ids->empty() && ids->front() <= INT32_MAX)
        *out = static_cast<int32_t>(ids->front());
  }
  return Status::ok();
}

} // namespace slimtune
