// Added tokens in the text, matched as tokenizers' AddedVocabulary matches them; expected ids
// from Hugging Face `tokenizers` 0.23 on the same tokenizer.json (byte b has id b, the added
// tokens take 256, 257, ...).
#include "support/tokenizer_json.h"

#include <gtest/gtest.h>

using namespace slimtune;
using namespace slimtune::testing;
using Ids = std::vector<int32_t>;

namespace {
Tokenizer withAdded(nlohmann::json added) {
  TokenizerJson j;
  j.added = std::move(added);
  return j.tokenizer();
}
nlohmann::json token(const std::string &content, const char *flag = nullptr, bool special = true,
                     bool normalized = false) {
  nlohmann::json t = addedToken(content, special, normalized);
  if (flag)
    t[flag] = true;
  return t;
}
} // namespace

TEST(TokenizerAddedTokens, SpecialTokensSplitTheText) {
  Tokenizer t = withAdded({token("<|s|>")});
  // The text before the token is pre-tokenized on its own: both spaces end it.
  EXPECT_EQ(encode(t, "a  <|s|>b"), (Ids{97, 32, 32, 256, 98}));
  EXPECT_EQ(encode(t, "<|s|><|s|>"), (Ids{256, 256}));
  EXPECT_EQ(encode(t, "<|s|"), (Ids{60, 124, 115, 124}));
}

TEST(TokenizerAddedTokens, LstripAndRstripTakeWhitespace) {
  nlohmann::json m = token("<m>");
  m["lstrip"] = m["rstrip"] = true;
  // U+2000 is whitespace; U+180E is not.
  EXPECT_EQ(encode(withAdded({m}), "a  <m>  b\t<m>\u2000<m>\u180e"),
            (Ids{97, 256, 98, 256, 256, 225, 160, 142}));
}

TEST(TokenizerAddedTokens, SingleWordNeedsNoWordCharacterAround) {
  // '_' and combining marks count as word characters, punctuation does not.
  EXPECT_EQ(encode(withAdded({token("<m>", "single_word")}),
                   "<m> a<m> <m>b <m>_ \u00e9<m> x\u0301<m> <m>"),
            (Ids{256, 32, 97, 60, 109, 62, 32, 60, 109, 62, 98, 32, 60, 109, 62, 95, 32, 195,
                 169, 60, 109, 62, 32, 120, 204, 129, 60, 109, 62, 32, 256}));
}

TEST(TokenizerAddedTokens, NonNormalizedTokensAreMatchedFirst) {
  EXPECT_EQ(encode(withAdded({token("ab", nullptr, false, true), token("bc")}), "abc"),
            (Ids{97, 257}));
}

TEST(TokenizerAddedTokens, LongestMatchWinsAtTheLeftmostPosition) {
  // "b" is in the vocabulary, so as an added token it keeps id 98.
  EXPECT_EQ(encode(withAdded({token("ab", nullptr, false), token("abc", nullptr, false),
                              token("b", nullptr, true, true)}),
                   "abcab b"),
            (Ids{257, 256, 32, 98}));
}

TEST(TokenizerAddedTokens, RepeatsAndEmptyContents) {
  EXPECT_EQ(encode(withAdded({token("<x>"), token("<x>"), token("")}), "<x>"), Ids{256});
  TokenizerJson j;
  j.added = {token("<x>"), token("<x>", "lstrip")};
  auto t = Tokenizer::fromHfJsonText(j.text(), "tokenizer.json");
  ASSERT_FALSE(t.isOk());
  EXPECT_EQ(t.status().message(),
            "tokenizer.json: added_tokens[1] repeats \"<x>\" with different settings");
}
