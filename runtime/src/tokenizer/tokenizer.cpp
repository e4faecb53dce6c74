// slimtune::Tokenizer: opening a model's tokenizer and running the parts in tokenizers' order
// (added tokens, pre-tokenizer, BPE), decoding, and the fingerprint token caches key on.
#include "slimtune/tokenizer.h"

#include "slimtune/gguf.h"
#include "slimtune/sha256.h"
#include "formats/json_input.h"
#include "support/utf8.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/tokenizer_parts.h"

#include <algorithm>
#include <unordered_map>

#include <sys/stat.h>

namespace slimtune {

struct Tokenizer::Impl {
  TokenizerParts parts;
  // id → the bytes it decodes to. A map: ids may leave gaps, and a file's largest id is no
  // promise of how many tokens it has.
  std::unordered_map<int32_t, std::string> bytesOf;
  int64_t vocabSize = 0;
  std::string fingerprint;
};

namespace {

std::string computeFingerprint(const TokenizerParts &p) {
  Sha256 digest;
  auto text = [&](std::string_view s) {
    uint64_t n = s.size();
    digest.update(&n, sizeof(n));
    digest.update(s.data(), s.size());
  };
  auto number = [&](int64_t x) { digest.update(&x, sizeof(x)); };
  text("slimtune tokenizer 1");
  text(p.preTokenizer.describe());
  const BpeOptions &o = p.bpe.options();
  number(o.ignoreMerges);
  number(o.fuseUnk);
  text(o.unkToken ? "unk " + *o.unkToken : "no unk");
  // The vocabulary by id (then text, for ids given twice), merges by rank, added tokens by id.
  std::vector<std::pair<int32_t, const std::string *>> vocab;
  vocab.reserve(p.bpe.vocab().size());
  for (const auto &[token, id] : p.bpe.vocab())
    vocab.push_back({id, &token});
  std::sort(vocab.begin(), vocab.end(),
            [](const auto &a, const auto &b) { return a.first != b.first ? a.first < b.first : *a.second < *b.second; });
  number(static_cast<int64_t>(vocab.size()));
  for (const auto &[id, token] : vocab) {
    number(id);
    text(*token);
  }
  auto merges = p.bpe.mergesByRank();
  number(static_cast<int64_t>(merges.size()));
  for (const auto &m : merges)
    digest.update(m.data(), sizeof(m));
  std::vector<const AddedToken *> added;
  for (const AddedToken &t : p.added.tokens())
    added.push_back(&t);
  std::sort(added.begin(), added.end(), [](auto *a, auto *b) { return a->id < b->id; });
  number(static_cast<int64_t>(added.size()));
  for (const AddedToken *t : added) {
    number(t->id);
    text(t->content);
    number(t->singleWord | t->lstrip << 1 | t->rstrip << 2 | t->normalized << 3);
  }
  return digest.hex();
}

// tokenizers' ByteLevel decoder: a token's alphabet characters become their bytes; a token
// with any other character stays as it is.
std::string decodedBytes(const std::string &token) {
  auto bytes = fromByteLevel(token);
  return bytes ? *bytes : token;
}

bool isDirectory(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string folderOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

std::optional<int32_t> tokenIdIn(const TokenizerParts &parts, std::string_view token) {
  for (const AddedToken &t : parts.added.tokens())
    if (t.content == token)
      return t.id;
  return parts.bpe.tokenId(token);
}

Tokenizer::Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer &&) noexcept = default;
Tokenizer &Tokenizer::operator=(Tokenizer &&) noexcept = default;
Tokenizer::Tokenizer(const Tokenizer &) = default;
Tokenizer &Tokenizer::operator=(const Tokenizer &) = default;

Tokenizer Tokenizer::fromParts(TokenizerParts parts) {
  Impl impl{std::move(parts), {}, 0, {}};
  impl.bytesOf.reserve(impl.parts.bpe.vocab().size());
  // A vocabulary id given to several strings decodes as the smallest of them (any choice is
  // as good; this one does not depend on hash order).
  for (const auto &[token, id] : impl.parts.bpe.vocab()) {
    std::string bytes = decodedBytes(token);
    auto [it, inserted] = impl.bytesOf.emplace(id, bytes);
    if (!inserted && bytes < it->second)
      it->second = std::move(bytes);
    impl.vocabSize = std::max<int64_t>(impl.vocabSize, int64_t(id) + 1);
  }
  for (const AddedToken &t : impl.parts.added.tokens()) { // added tokens take precedence
    impl.bytesOf[t.id] = decodedBytes(t.content);
    impl.vocabSize = std::max<int64_t>(impl.vocabSize, int64_t(t.id) + 1);
  }
  impl.fingerprint = computeFingerprint(impl.parts);
  return Tokenizer(std::make_shared<const Impl>(std::move(impl)));
}

Expected<Tokenizer> Tokenizer::fromHfJsonText(std::string_view json, const std::string &name) {
  SLIMTUNE_TRY(parts, parseHfTokenizerJson(json, name));
  return fromParts(std::move(parts));
}

Expected<Tokenizer> Tokenizer::fromHfJson(const std::string &tokenizerJsonPath) {
  SLIMTUNE_TRY(text, readSmallFile(tokenizerJsonPath));
  SLIMTUNE_TRY(parts, parseHfTokenizerJson(text, tokenizerJsonPath));
  if (Status s = readHfBosEos(folderOf(tokenizerJsonPath), parts); !s)
    return s;
  return fromParts(std::move(parts));
}

Expected<Tokenizer> Tokenizer::fromGguf(const GgufFile &file) {
  SLIMTUNE_TRY(parts, readGgufTokenizer(file));
  return fromParts(std::move(parts));
}

Expected<Tokenizer> Tokenizer::fromModel(const std::string &modelPath) {
  struct stat st;
  if (::stat(modelPath.c_str(), &st) != 0)
    return Status::error(modelPath + ": no such file or folder");
  std::string json;
  if (isDirectory(modelPath)) {
    std::string folder = modelPath;
    while (folder.size() > 1 && folder.back() == '/')
      folder.pop_back();
    json = folder + "/tokenizer.json";
  }
  else if (endsWith(modelPath, "/config.json") || modelPath == "config.json")
    json = folderOf(modelPath) + "/tokenizer.json";
  else if (endsWith(modelPath, ".json"))
    json = modelPath;
  if (json.empty()) { // anything else must be a GGUF file; its reader names a wrong magic
    SLIMTUNE_TRY(file, GgufFile::open(modelPath));
    return fromGguf(file);
  }
  if (::stat(json.c_str(), &st) != 0)
    return Status::error(folderOf(json) + ": no tokenizer.json; pass token ids with --tokens");
  return fromHfJson(json);
}

Expected<std::vector<int32_t>> Tokenizer::encode(std::string_view text) const {
  if (size_t bad = firstInvalidUtf8(text); bad != std::string_view::npos)
    return Status::error("invalid UTF-8 at byte " + std::to_string(bad));
  const TokenizerParts &p = impl_->parts;
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3);
  std::vector<TextSegment> segments;
  p.added.split(text, segments);
  // Matching buffers (PCRE2 match data, JIT stack) cost more to make than a short text takes
  // to encode; each thread keeps its own.
  thread_local PreTokenizerScratch scratch;
  std::vector<std::string_view> words;
  for (const TextSegment &segment : segments) {
    if (segment.id >= 0) {
      ids.push_back(segment.id);
      continue;
    }
    if (segment.text.empty())
      continue;
    words.clear();
    scratch.owned.clear();
    if (Status s = p.preTokenizer.split(segment.text, scratch, words); !s)
      return s;
    for (std::string_view word : words)
      p.bpe.encodeWord(word, ids);
  }
  scratch.owned.clear();
  return ids;
}

std::string Tokenizer::decode(const std::vector<int32_t> &ids) const {
  std::string out;
  for (int32_t id : ids)
    if (auto it = impl_->bytesOf.find(id); it != impl_->bytesOf.end())
      out += it->second;
  return out;
}

std::optional<int32_t> Tokenizer::bosId() const { return impl_->parts.bos; }
std::optional<int32_t> Tokenizer::eosId() const { return impl_->parts.eos; }
int64_t Tokenizer::vocabSize() const { return impl_->vocabSize; }
std::string Tokenizer::fingerprint() const { return impl_->fingerprint; }

std::optional<int32_t> Tokenizer::tokenId(std::string_view token) const {
  return tokenIdIn(impl_->parts, token);
}

} // namespace slimtune
