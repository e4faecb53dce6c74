// Hugging Face tokenizer.json → TokenizerParts. Fields are read as tokenizers' serde reads them
// (required where it requires them); every setting that would change the ids and that slimtune
// does not implement is refused by name, e.g.
// `tokenizer.json: model.type "Unigram" is not supported (byte-level BPE only)`.
#include "tokenizer/tokenizer_parts.h"

#include "formats/json_input.h"

#include <climits>
#include <map>

namespace slimtune {
namespace {
using json = nlohmann::json;

// A JSON value and where it is in the file ("model.merges[3]"), for messages.
struct Field {
  const json &value;
  std::string where;
  const std::string &file;

  Status error(const std::string &what) const {
    return Status::error(file + ": " + where + " " + what);
  }
  bool has(const char *key) const {
    return value.is_object() && value.contains(key) && !value[key].is_null();
  }
  std::string path(const char *key) const { return where.empty() ? key : where + "." + key; }
  Field at(const char *key) const { return {value[key], path(key), file}; }
  Field at(size_t i) const { return {value[i], where + "[" + std::to_string(i) + "]", file}; }

  Expected<bool> boolean(const char *key, std::optional<bool> fallback) const {
    if (!has(key)) {
      if (fallback)
        return *fallback;
      return Status::error(file + ": " + path(key) + " is missing");
    }
    if (!value[key].is_boolean())
      return at(key).error("must be true or false, got " + value[key].dump());
    return value[key].get<bool>();
  }
  Expected<std::string> string(const char *key) const {
    if (!has(key))
      return Status::error(file + ": " + path(key) + " is missing");
    if (!value[key].is_string())
      return at(key).error("must be a string, got " + value[key].dump());
    return value[key].get<std::string>();
  }
  // The "type" of a component, "" when absent.
  Expected<std::string> type() const {
    if (!value.is_object())
      return error("must be an object, got " + value.dump());
    if (!has("type"))
      return std::string();
    return string("type");
  }
};

std::string inQuotes(const std::string &s) { return "\"" + s + "\""; }

Expected<SplitBehavior> splitBehavior(const Field &f) {
  SLIMTUNE_TRY(name, f.string("behavior"));
  static const std::pair<const char *, SplitBehavior> names[] = {
      {"Removed", SplitBehavior::Removed},
      {"Isolated", SplitBehavior::Isolated},
      {"MergedWithPrevious", SplitBehavior::MergedWithPrevious},
      {"MergedWithNext", SplitBehavior::MergedWithNext},
      {"Contiguous", SplitBehavior::Contiguous}};
  for (const auto &[n, b] : names)
    if (name == n)
      return b;
  return f.at("behavior").error(inQuotes(name) + " is not a split behavior");
}

Status addPreTokenizer(const Field &f, std::vector<PreTokenizerStep> &steps) {
  SLIMTUNE_TRY(type, f.type());
  auto stepError = [&](const Status &s) { return f.error(s.message()); };
  if (type == "Sequence") {
    if (!f.has("pretokenizers") || !f.value["pretokenizers"].is_array())
      return f.error("must have a list \"pretokenizers\"");
    Field list = f.at("pretokenizers");
    for (size_t i = 0; i < list.value.size(); ++i)
      if (Status s = addPreTokenizer(list.at(i), steps); !s)
        return s;
    return Status::ok();
  }
  if (type == "ByteLevel") {
    SLIMTUNE_TRY(prefix, f.boolean("add_prefix_space", std::nullopt));
    SLIMTUNE_TRY(trim, f.boolean("trim_offsets", std::nullopt)); // offsets only
    (void)trim;
    SLIMTUNE_TRY(useRegex, f.boolean("use_regex", true));
    auto step = PreTokenizerStep::byteLevel(prefix, useRegex);
    if (!step)
      return stepError(step.status());
    steps.push_back(step.take());
    return Status::ok();
  }
  if (type == "Digits") {
    SLIMTUNE_TRY(individual, f.boolean("individual_digits", std::nullopt));
    auto step = PreTokenizerStep::digits(individual);
    if (!step)
      return stepError(step.status());
    steps.push_back(step.take());
    return Status::ok();
  }
  if (type == "Split") {
    if (!f.has("pattern") || !f.value["pattern"].is_object() || f.value["pattern"].size() != 1)
      return f.error("must have a \"pattern\" {\"Regex\": ...} or {\"String\": ...}");
    Field pattern = f.at("pattern");
    bool literal = pattern.value.contains("String");
    if (!literal && !pattern.value.contains("Regex"))
      return pattern.error("must be {\"Regex\": ...} or {\"String\": ...}, got " +
                           pattern.value.dump());
    SLIMTUNE_TRY(text, pattern.string(literal ? "String" : "Regex"));
    SLIMTUNE_TRY(behavior, splitBehavior(f));
    SLIMTUNE_TRY(invert, f.boolean("invert", std::nullopt));
    auto step = PreTokenizerStep::split(text, literal, behavior, invert);
    if (!step)
      return stepError(step.status());
    steps.push_back(step.take());
    return Status::ok();
  }
  return f.error(inQuotes(type) + " is not supported (byte-level BPE only: ByteLevel, Split, "
                                "Digits, Sequence)");
}

Status checkNormalizer(const Field &f) {
  if (f.value.is_null())
    return Status::ok();
  SLIMTUNE_TRY(type, f.type());
  // An empty Sequence normalizes nothing.
  if (type == "Sequence" && f.has("normalizers") && f.value["normalizers"].is_array() &&
      f.value["normalizers"].empty())
    return Status::ok();
  return f.error(inQuotes(type) + " is not supported (slimtune implements no normalizer)");
}

Status checkDecoder(const Field &f) {
  if (f.value.is_null())
    return Status::ok();
  SLIMTUNE_TRY(type, f.type());
  if (type != "ByteLevel")
    return f.error(inQuotes(type) + " is not supported (byte-level BPE only: ByteLevel)");
  return Status::ok();
}

// Settings of encode() that slimtune does not apply: truncation always changes the ids,
// padding does unless it pads batches to their longest member.
Status checkTruncationAndPadding(const Field &root) {
  if (root.has("truncation"))
    return root.at("truncation").error("is set; slimtune encodes whole texts (set it to null)");
  if (root.has("padding")) {
    Field padding = root.at("padding");
    if (!padding.value.is_object() || !padding.value.contains("strategy") ||
        padding.value["strategy"] != "BatchLongest")
      return padding.error("is set to pad to a fixed length; slimtune does not pad");
  }
  return Status::ok();
}

Expected<BpeModel::Vocab> readVocab(const Field &model) {
  if (!model.has("vocab") || !model.value["vocab"].is_object())
    return model.error("must have an object \"vocab\" (token → id)");
  BpeModel::Vocab vocab;
  vocab.reserve(model.value["vocab"].size());
  for (const auto &[token, id] : model.value["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX)
      return model.at("vocab").error("has token " + inQuotes(token) +
                                     " with id " + id.dump() + "; ids are integers 0 to 2^31-1");
    vocab.emplace(token, static_cast<int32_t>(id.get<int64_t>()));
  }
  return vocab;
}

Expected<std::vector<std::pair<std::string, std::string>>> readMerges(const Field &model) {
  std::vector<std::pair<std::string, std::string>> merges;
  if (!model.has("merges"))
    return merges;
  if (!model.value["merges"].is_array())
    return model.at("merges").error("must be a list");
  Field list = model.at("merges");
  merges.reserve(list.value.size());
  for (size_t i = 0; i < list.value.size(); ++i) {
    const json &m = list.value[i];
    if (m.is_string()) {
      // tokenizers' legacy form: exactly two parts around one space.
      const std::string &s = m.get_ref<const std::string &>();
      size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
        return list.at(i).error(inQuotes(s) + " is not two tokens separated by one space");
      merges.emplace_back(s.substr(0, space), s.substr(space + 1));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      return list.at(i).error("must be \"left right\" or [\"left\", \"right\"], got " + m.dump());
    }
  }
  return merges;
}

Expected<BpeModel> readModel(const Field &model) {
  SLIMTUNE_TRY(type, model.type());
  if (!type.empty() && type != "BPE")
    return model.at("type").error(inQuotes(type) + " is not supported (byte-level BPE only)");
  if (model.has("dropout")) {
    const json &d = model.value["dropout"];
    if (!d.is_number() || d.get<double>() != 0.0)
      return model.at("dropout").error(d.dump() + " is not supported (it makes encoding random)");
  }
  SLIMTUNE_TRY(byteFallback, model.boolean("byte_fallback", false));
  if (byteFallback)
    return model.at("byte_fallback").error("true is not supported (byte-level BPE needs no byte "
                                           "fallback)");
  for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (model.has(key)) {
      SLIMTUNE_TRY(value, model.string(key));
      if (!value.empty())
        return model.at(key).error(inQuotes(value) + " is not supported (byte-level BPE uses none)");
    }
  BpeOptions options;
  SLIMTUNE_TRY(ignoreMerges, model.boolean("ignore_merges", false));
  SLIMTUNE_TRY(fuseUnk, model.boolean("fuse_unk", false));
  options.ignoreMerges = ignoreMerges;
  options.fuseUnk = fuseUnk;
  if (model.has("unk_token")) {
    SLIMTUNE_TRY(unk, model.string("unk_token"));
    options.unkToken = unk;
  }
  SLIMTUNE_TRY(vocab, readVocab(model));
  SLIMTUNE_TRY(merges, readMerges(model));
  auto bpe = BpeModel::create(std::move(vocab), merges, options, UnknownMerge::Refuse);
  if (!bpe)
    return model.error(bpe.status().message());
  return bpe;
}

// added_tokens, with the ids tokenizers gives them: a token in the vocabulary takes its id
// there; any other one the next id after the vocabulary and the added tokens so far. (The "id"
// in the file is not used, as tokenizers does not use it.)
Expected<AddedTokens> readAddedTokens(const Field &root, const BpeModel &bpe) {
  std::vector<AddedToken> tokens;
  if (!root.has("added_tokens"))
    return AddedTokens::create({});
  if (!root.value["added_tokens"].is_array())
    return root.at("added_tokens").error("must be a list");
  Field list = root.at("added_tokens");
  std::map<std::string, size_t> byContent;
  int64_t vocabEntries = static_cast<int64_t>(bpe.vocab().size());
  int64_t maxAddedId = -1;
  for (size_t i = 0; i < list.value.size(); ++i) {
    Field f = list.at(i);
    if (!f.value.is_object())
      return f.error("must be an object, got " + f.value.dump());
    AddedToken t;
    SLIMTUNE_TRY(content, f.string("content"));
    t.content = content;
    SLIMTUNE_TRY(special, f.boolean("special", false));
    SLIMTUNE_TRY(singleWord, f.boolean("single_word", false));
    SLIMTUNE_TRY(lstrip, f.boolean("lstrip", false));
    SLIMTUNE_TRY(rstrip, f.boolean("rstrip", false));
    SLIMTUNE_TRY(normalized, f.boolean("normalized", true));
    t.special = special;
    t.singleWord = singleWord;
    t.lstrip = lstrip;
    t.rstrip = rstrip;
    t.normalized = normalized;
    if (t.content.empty())
      continue; // tokenizers ignores them
    if (auto it = byContent.find(t.content); it != byContent.end()) {
      const AddedToken &o = tokens[it->second];
      if (o.special == t.special && o.singleWord == t.singleWord && o.lstrip == t.lstrip &&
          o.rstrip == t.rstrip && o.normalized == t.normalized)
        continue; // an exact repeat, which tokenizers ignores
      return f.error("repeats " + inQuotes(t.content) + " with different settings");
    }
    if (auto id = bpe.tokenId(t.content))
      t.id = *id;
    else if (maxAddedId < 0)
      t.id = static_cast<int32_t>(vocabEntries);
    else
      t.id = static_cast<int32_t>(maxAddedId >= vocabEntries || vocabEntries == 0 ? maxAddedId + 1
                                                                                 : vocabEntries);
    if (t.id < 0 || t.id == INT32_MAX)
      return f.error("would get an id beyond 2^31-1");
    maxAddedId = std::max<int64_t>(maxAddedId, t.id);
    byContent[t.content] = tokens.size();
    tokens.push_back(std::move(t));
  }
  return AddedTokens::create(std::move(tokens));
}

} // namespace

Expected<TokenizerParts> parseHfTokenizerJson(std::string_view text, const std::string &name) {
  auto parsed = parseJsonStrict(text.data(), text.data() + text.size());
  if (!parsed)
    return Status::error(name + ": " + parsed.status().message());
  const json &root = *parsed;
  if (!root.is_object())
    return Status::error(name + ": must be a JSON object");
  Field top{root, "", name};
  auto field = [&](const char *key) { return Field{root[key], key, name}; };
  if (Status s = checkTruncationAndPadding(Field{root, "", name}); !s)
    return s;
  if (root.contains("normalizer"))
    if (Status s = checkNormalizer(field("normalizer")); !s)
      return s;
  if (root.contains("decoder"))
    if (Status s = checkDecoder(field("decoder")); !s)
      return s;
  if (!top.has("pre_tokenizer"))
    return Status::error(name + ": pre_tokenizer is missing; slimtune supports byte-level BPE "
                                "only (a ByteLevel pre-tokenizer)");
  std::vector<PreTokenizerStep> steps;
  if (Status s = addPreTokenizer(field("pre_tokenizer"), steps); !s)
    return s;
  auto preTokenizer = PreTokenizer::create(std::move(steps));
  if (!preTokenizer)
    return Status::error(name + ": " + preTokenizer.status().message());
  if (!top.has("model"))
    return Status::error(name + ": model is missing");
  SLIMTUNE_TRY(bpe, readModel(field("model")));
  SLIMTUNE_TRY(added, readAddedTokens(top, bpe));
  TokenizerParts parts{std::move(added), preTokenizer.take(), std::move(bpe), {}, {}};
  return parts;
}

} // namespace slimtune
