// Tokenizers from GGUF metadata (tokenizer.ggml.*) and from model folders: the same tokenizer
// written as GGUF and as tokenizer.json encodes alike and has the same fingerprint; unsupported
// GGUF tokenizers are refused by name.
#include "slimtune/gguf.h"
#include "slimtune/gguf_writer.h"
#include "support/temp_dir.h"
#include "support/tokenizer_json.h"

#include <gtest/gtest.h>

using namespace slimtune;
using namespace slimtune::testing;
using Ids = std::vector<int32_t>;

namespace {
const std::vector<std::string> kSpecials = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
const std::vector<std::string> kMerged = {"\xc4\xa0t", "he", "\xc4\xa0the", "12"};

// A SmolLM2-like vocabulary: three control tokens, the 256 byte characters, merged tokens.
std::vector<std::string> vocabulary() {
  std::vector<std::string> tokens = kSpecials;
  for (unsigned b = 0; b < 256; ++b)
    tokens.push_back(byteLevelChar(static_cast<uint8_t>(b)));
  tokens.insert(tokens.end(), kMerged.begin(), kMerged.end());
  return tokens;
}
const std::vector<std::string> kMerges = {"\xc4\xa0 t", "h e", "\xc4\xa0t he", "1 2"};

GgufWriter smollmLike(const std::string &pre = "smollm",
                      const std::vector<std::string> &merges = kMerges) {
  GgufWriter w;
  std::vector<std::string> tokens = vocabulary();
  std::vector<int32_t> types(tokens.size(), 1);
  types[0] = types[1] = types[2] = 3;
  w.addString("tokenizer.ggml.model", "gpt2");
  w.addString("tokenizer.ggml.pre", pre);
  w.addStringArray("tokenizer.ggml.tokens", tokens);
  w.addInt32Array("tokenizer.ggml.token_type", types);
  w.addStringArray("tokenizer.ggml.merges", merges);
  w.addUint32("tokenizer.ggml.bos_token_id", 1);
  w.addUint32("tokenizer.ggml.eos_token_id", 2);
  return w;
}

// The tokenizer.json llama.cpp's converter would have started from.
std::string smollmLikeJson() {
  nlohmann::json vocab = nlohmann::json::object();
  std::vector<std::string> tokens = vocabulary();
  for (size_t i = 0; i < tokens.size(); ++i)
    vocab[tokens[i]] = i;
  nlohmann::json added = nlohmann::json::array();
  for (const std::string &s : kSpecials)
    added.push_back(addedToken(s));
  nlohmann::json json = TokenizerJson{}.json();
  json["added_tokens"] = added;
  json["pre_tokenizer"] = {{"type", "Sequence"},
                           {"pretokenizers",
                            {{{"type", "Digits"}, {"individual_digits", true}},
                             byteLevelPreTokenizer()}}};
  json["model"]["vocab"] = vocab;
  json["model"]["merges"] = kMerges;
  return json.dump();
}

Expected<Tokenizer> fromWriter(const TempDir &dir, const GgufWriter &w) {
  std::string path = dir.path("model.gguf");
  if (Status s = w.write(path); !s)
    return s;
  SLIMTUNE_TRY(file, GgufFile::open(path));
  return Tokenizer::fromGguf(file);
}

std::string ggufError(const GgufWriter &w) {
  TempDir dir;
  auto t = fromWriter(dir, w);
  EXPECT_FALSE(t.isOk());
  std::string message = t.isOk() ? "" : t.status().message();
  // Errors start with the file's path; keep its name only.
  size_t at = message.find("model.gguf: ");
  return at == std::string::npos ? message : message.substr(at);
}
} // namespace

TEST(TokenizerGguf, EncodesLikeTheTokenizerJsonItCameFrom) {
  TempDir dir;
  auto gguf = fromWriter(dir, smollmLike());
  ASSERT_TRUE(gguf.isOk()) << gguf.status().message();
  auto json = Tokenizer::fromHfJsonText(smollmLikeJson(), "tokenizer.json");
  ASSERT_TRUE(json.isOk()) << json.status().message();
  // "<|im_start|>" is a control token; digits are split one by one, so "12" never merges.
  std::string text = "<|im_start|>the 12 then<|im_end|>\n";
  Ids ids = encode(*gguf, text);
  EXPECT_EQ(ids, (Ids{1, 3 + 't', 260, 3 + ' ', 3 + '1', 3 + '2', 261, 3 + 'n', 2, 3 + '\n'}));
  EXPECT_EQ(encode(*json, text), ids);
  EXPECT_EQ(gguf->fingerprint(), json->fingerprint());
  EXPECT_EQ(gguf->decode(ids), text);
  EXPECT_EQ(gguf->bosId(), 1);
  EXPECT_EQ(gguf->eosId(), 2);
  EXPECT_EQ(gguf->vocabSize(), 263);
}

TEST(TokenizerGguf, PreTokenizerNamesChangeTheSplit) {
  TempDir dir;
  auto gpt2 = fromWriter(dir, smollmLike("gpt-2"));
  ASSERT_TRUE(gpt2.isOk()) << gpt2.status().message();
  EXPECT_EQ(encode(*gpt2, "12"), Ids{262}); // digits stay together
  for (const char *pre : {"default", "starcoder", "refact", "llama-bpe", "llama3", "qwen2"}) {
    auto t = fromWriter(dir, smollmLike(pre));
    ASSERT_TRUE(t.isOk()) << pre << ": " << t.status().message();
    EXPECT_EQ(t->decode(encode(*t, "I'LL pay 1234.56!\n")), "I'LL pay 1234.56!\n") << pre;
  }
}

TEST(TokenizerGguf, MergesOutsideTheVocabularyAreSkipped) {
  // The project's fixture GGUF files carry such merges (llama.cpp loads them).
  TempDir dir;
  auto t = fromWriter(dir, smollmLike("smollm", {"x y", "\xc4\xa0 t"}));
  ASSERT_TRUE(t.isOk()) << t.status().message();
  EXPECT_EQ(encode(*t, " t"), Ids{259});
}

TEST(TokenizerGguf, Refusals) {
  GgufWriter none;
  none.addString("general.architecture", "llama");
  EXPECT_EQ(ggufError(none), "model.gguf: has no tokenizer (no tokenizer.ggml.model); pass token "
                             "ids with --tokens");
  GgufWriter spm;
  spm.addString("tokenizer.ggml.model", "llama");
  EXPECT_EQ(ggufError(spm), "model.gguf: tokenizer.ggml.model \"llama\" (SentencePiece) is not "
                            "supported (byte-level BPE, \"gpt2\", only); pass token ids with "
                            "--tokens");
  EXPECT_EQ(ggufError(smollmLike("tekken")),
            "model.gguf: tokenizer.ggml.pre \"tekken\" is not supported (slimtune knows default, "
            "gpt-2, smollm, starcoder, refact, llama3, llama-bpe, qwen2)");
  GgufWriter noPre;
  noPre.addString("tokenizer.ggml.model", "gpt2");
  EXPECT_EQ(ggufError(noPre), "model.gguf: tokenizer.ggml.pre is missing, so the pre-tokenizer is "
                              "unknown; pass token ids with --tokens");
}

TEST(TokenizerGguf, MalformedTokenizerMetadata) {
  auto base = [] {
    GgufWriter w;
    w.addString("tokenizer.ggml.model", "gpt2");
    w.addString("tokenizer.ggml.pre", "gpt-2");
    return w;
  };
  GgufWriter scalarTokens = base();
  scalarTokens.addString("tokenizer.ggml.tokens", "a");
  EXPECT_EQ(ggufError(scalarTokens), "model.gguf: metadata key \"tokenizer.ggml.tokens\" is a "
                                     "STRING, not an array of strings");
  GgufWriter shortTypes = base();
  shortTypes.addStringArray("tokenizer.ggml.tokens", {"a", "b", "c"});
  shortTypes.addInt32Array("tokenizer.ggml.token_type", {1, 1});
  EXPECT_EQ(ggufError(shortTypes),
            "model.gguf: tokenizer.ggml.token_type has 2 entries for 3 tokens");
  GgufWriter badMerge = base();
  badMerge.addStringArray("tokenizer.ggml.tokens", {"a", "b", "ab"});
  badMerge.addStringArray("tokenizer.ggml.merges", {"ab"});
  EXPECT_EQ(ggufError(badMerge), "model.gguf: tokenizer.ggml.merges[0] \"ab\" is not two tokens "
                                 "separated by a space");
  GgufWriter badControl = base();
  badControl.addStringArray("tokenizer.ggml.tokens", {"a", "\xff"});
  badControl.addInt32Array("tokenizer.ggml.token_type", {1, 3});
  EXPECT_EQ(ggufError(badControl), "model.gguf: tokenizer.ggml.tokens[1] is not valid UTF-8");
}

TEST(TokenizerGguf, FixtureModelsLoad) {
  auto t = Tokenizer::fromModel(std::string(SLIMTUNE_FIXTURES_DIR) + "/llama-tiny.f32.gguf");
  ASSERT_TRUE(t.isOk()) << t.status().message();
  EXPECT_EQ(t->eosId(), 2);
  for (int32_t id : encode(*t, "Hello, world! 123"))
    EXPECT_LT(id, t->vocabSize());
}

TEST(TokenizerFromModel, HuggingFaceFolders) {
  TempDir dir;
  dir.write("tokenizer.json", smollmLikeJson());
  // Without tokenizer_config.json, config.json gives the ids (the first of a list).
  dir.write("config.json", R"({"bos_token_id": 1, "eos_token_id": [2, 0]})");
  auto byConfig = Tokenizer::fromModel(dir.path(""));
  ASSERT_TRUE(byConfig.isOk()) << byConfig.status().message();
  EXPECT_EQ(byConfig->bosId(), 1);
  EXPECT_EQ(byConfig->eosId(), 2);
  dir.write("tokenizer_config.json",
            R"({"bos_token": {"content": "<|im_start|>"}, "eos_token": "<|endoftext|>"})");
  for (const std::string &path : {dir.path(""), dir.path("config.json"), dir.path("tokenizer.json")}) {
    auto t = Tokenizer::fromModel(path);
    ASSERT_TRUE(t.isOk()) << t.status().message();
    EXPECT_EQ(t->bosId(), 1);
    EXPECT_EQ(t->eosId(), 0);
  }
  dir.write("tokenizer_config.json", R"({"eos_token": "<nope>"})");
  auto bad = Tokenizer::fromModel(dir.path(""));
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(), dir.path("tokenizer_config.json") +
                                        ": eos_token \"<nope>\" is not a token of the tokenizer");
}

TEST(TokenizerFromModel, FolderWithoutTokenizer) {
  TempDir dir;
  dir.write("config.json", "{}");
  auto t = Tokenizer::fromModel(dir.path("config.json"));
  ASSERT_FALSE(t.isOk());
  EXPECT_EQ(t.status().message(),
            dir.path("").substr(0, dir.path("").size() - 1) +
                ": no tokenizer.json; pass token ids with --tokens");
}
