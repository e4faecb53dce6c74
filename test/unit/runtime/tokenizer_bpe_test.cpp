// BPE merging on small hand-made vocabularies (byte b has id b; extra tokens from 256 on), with
// the ids Hugging Face `tokenizers` 0.23 gives for the same tokenizer.json.
#include "support/tokenizer_json.h"

#include <gtest/gtest.h>

using namespace slimtune;
using namespace slimtune::testing;
using Ids = std::vector<int32_t>;

namespace {
TokenizerJson abc(std::vector<std::string> merges) {
  TokenizerJson j;
  j.extra = {"ab", "abc", "bc", "aa"}; // 256, 257, 258, 259
  j.merges = merges;
  return j;
}
} // namespace

TEST(TokenizerBpe, WithoutMergesEveryByteIsItsToken) {
  Tokenizer t = abc({}).tokenizer();
  EXPECT_EQ(encode(t, "abc"), (Ids{97, 98, 99}));
  EXPECT_EQ(encode(t, "\xc3\xa9 \n"), (Ids{195, 169, 32, 10})); // 'é' is two bytes
  EXPECT_EQ(encode(t, ""), Ids{});
}

TEST(TokenizerBpe, LowestRankMergesFirst) {
  EXPECT_EQ(encode(abc({"a b", "ab c"}).tokenizer(), "abc"), Ids{257});
  // "b c" outranks "a b": "a" + "bc", and no merge joins those.
  EXPECT_EQ(encode(abc({"b c", "a b", "ab c"}).tokenizer(), "abc"), (Ids{97, 258}));
}

TEST(TokenizerBpe, EqualRanksMergeLeftmostFirst) {
  EXPECT_EQ(encode(abc({"a a"}).tokenizer(), "aaaaa"), (Ids{259, 259, 97}));
}

TEST(TokenizerBpe, APairListedTwiceKeepsItsLastRank) {
  EXPECT_EQ(encode(abc({"b c", "a b", "b c"}).tokenizer(), "abc"), (Ids{256, 99}));
}

TEST(TokenizerBpe, MergesMayBePairs) {
  TokenizerJson j = abc({});
  j.merges = nlohmann::json::array({nlohmann::json::array({"a", "b"})});
  EXPECT_EQ(encode(j.tokenizer(), "ab"), Ids{256});
}

TEST(TokenizerBpe, IgnoreMergesTakesWholeWordsFromTheVocabulary) {
  TokenizerJson j = abc({});
  nlohmann::json json = j.json();
  json["model"]["ignore_merges"] = true;
  auto t = Tokenizer::fromHfJsonText(json.dump(), "tokenizer.json");
  ASSERT_TRUE(t.isOk()) << t.status().message();
  // " abc" is not a token, so the second word falls apart into bytes.
  EXPECT_EQ(encode(*t, "abc abc"), (Ids{257, 32, 97, 98, 99}));
}

TEST(TokenizerBpe, UnknownCharactersBecomeUnkOrVanish) {
  // A vocabulary without 'c': tokenizers drops it, or uses unk_token (fused or not).
  nlohmann::json json = TokenizerJson{}.json();
  nlohmann::json vocab = {{"a", 0}, {"b", 1}, {"<unk>", 2}};
  json["model"]["vocab"] = vocab;
  auto none = Tokenizer::fromHfJsonText(json.dump(), "tokenizer.json");
  ASSERT_TRUE(none.isOk()) << none.status().message();
  EXPECT_EQ(encode(*none, "abccab"), (Ids{0, 1, 0, 1}));
  json["model"]["unk_token"] = "<unk>";
  EXPECT_EQ(encode(Tokenizer::fromHfJsonText(json.dump(), "t").take(), "abccab"),
            (Ids{0, 1, 2, 2, 0, 1}));
  json["model"]["fuse_unk"] = true;
  EXPECT_EQ(encode(Tokenizer::fromHfJsonText(json.dump(), "t").take(), "abccab"),
            (Ids{0, 1, 2, 0, 1}));
}

TEST(TokenizerBpe, LongWordsAndTheWordCacheAgree) {
  TokenizerJson j = abc({"a a", "aa aa"});
  j.extra.push_back("aaaa"); // 260
  Tokenizer t = j.tokenizer();
  std::string word(1001, 'a'); // longer than the cache takes
  Ids expected(250, 260);
  expected.push_back(97);
  EXPECT_EQ(encode(t, word), expected);
  EXPECT_EQ(encode(t, "aaaaa aaaaa"), (Ids{260, 97, 32, 260, 97}));
  EXPECT_EQ(encode(t, "aaaaa aaaaa"), (Ids{260, 97, 32, 260, 97})); // from the cache
}

TEST(TokenizerBpe, DecodeInvertsEncode) {
  TokenizerJson j = abc({"a b", "ab c"});
  j.added = nlohmann::json::array({addedToken("<|im_start|>"), addedToken("  ", false)});
  Tokenizer t = j.tokenizer();
  for (std::string text : {"", "abc", "hello  world\n\t", "<|im_start|>user\nhi<|im_end|>",
                           "日本語 🙂 👩‍👩‍👧 e\u0301", "a  b   c"}) {
    EXPECT_EQ(t.decode(encode(t, text)), text);
  }
  // Ids outside the vocabulary are skipped; a cut UTF-8 sequence stays as bytes.
  EXPECT_EQ(t.decode({97, 99999, -1, 98}), "ab");
  EXPECT_EQ(t.decode({0xE6}), "\xe6");
}

TEST(TokenizerBpe, VocabSizeAndTokenIds) {
  TokenizerJson j = abc({});
  j.added = nlohmann::json::array({addedToken("<x>"), addedToken("ab"), addedToken("<y>")});
  Tokenizer t = j.tokenizer();
  // tokenizers' ids: "ab" keeps its vocabulary id; new ones follow the 260 vocabulary entries.
  EXPECT_EQ(encode(t, "<x>ab<y>"), (Ids{260, 256, 261}));
  EXPECT_EQ(t.vocabSize(), 262);
  EXPECT_EQ(t.tokenId("<y>"), 261);
  EXPECT_EQ(t.tokenId("\xc4\xa0"), 32); // 'Ġ', the space
  EXPECT_EQ(t.tokenId("nope"), std::nullopt);
  EXPECT_FALSE(t.eosId().has_value());
}

TEST(TokenizerBpe, FingerprintFollowsWhatChangesEncoding) {
  std::string a = abc({"a b"}).tokenizer().fingerprint();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(abc({"a b"}).tokenizer().fingerprint(), a);
  EXPECT_NE(abc({"a b", "ab c"}).tokenizer().fingerprint(), a);
  TokenizerJson prefixed = abc({"a b"});
  prefixed.preTokenizer = byteLevelPreTokenizer(true);
  EXPECT_NE(prefixed.tokenizer().fingerprint(), a);
  TokenizerJson added = abc({"a b"});
  added.added = nlohmann::json::array({addedToken("<x>")});
  EXPECT_NE(added.tokenizer().fingerprint(), a);
}
