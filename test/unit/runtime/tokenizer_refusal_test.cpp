// What the tokenizer refuses, each with one line naming the file and the setting, and invalid
// UTF-8 in the text to encode.
#include "support/tokenizer_json.h"

#include <gtest/gtest.h>

using namespace slimtune;
using namespace slimtune::testing;

namespace {
// The error for a tokenizer.json made from the default test one by `edit`.
template <typename Edit> std::string errorFor(Edit edit) {
  nlohmann::json json = TokenizerJson{}.json();
  edit(json);
  auto t = Tokenizer::fromHfJsonText(json.dump(), "tokenizer.json");
  EXPECT_FALSE(t.isOk()) << "accepted " << json.dump().substr(0, 300);
  return t.isOk() ? "" : t.status().message();
}
} // namespace

TEST(TokenizerRefusal, InvalidUtf8NamesTheByte) {
  Tokenizer t = TokenizerJson{}.tokenizer();
  for (auto [text, offset] : {std::pair<std::string, int>{"ab\xff", 2}, {"\xc3", 0},
                              {"ok \xed\xa0\x80", 3} /* a surrogate */, {"\xc0\xaf", 0}}) {
    auto ids = t.encode(text);
    ASSERT_FALSE(ids.isOk());
    EXPECT_EQ(ids.status().message(), "invalid UTF-8 at byte " + std::to_string(offset));
  }
}

TEST(TokenizerRefusal, ModelSettings) {
  using J = nlohmann::json;
  EXPECT_EQ(errorFor([](J &j) { j["model"]["type"] = "Unigram"; }),
            "tokenizer.json: model.type \"Unigram\" is not supported (byte-level BPE only)");
  EXPECT_EQ(errorFor([](J &j) { j["model"]["dropout"] = 0.1; }),
            "tokenizer.json: model.dropout 0.1 is not supported (it makes encoding random)");
  EXPECT_EQ(errorFor([](J &j) { j["model"]["byte_fallback"] = true; }),
            "tokenizer.json: model.byte_fallback true is not supported (byte-level BPE needs no "
            "byte fallback)");
  EXPECT_EQ(errorFor([](J &j) { j["model"]["continuing_subword_prefix"] = "##"; }),
            "tokenizer.json: model.continuing_subword_prefix \"##\" is not supported (byte-level "
            "BPE uses none)");
  EXPECT_EQ(errorFor([](J &j) { j["model"]["end_of_word_suffix"] = "</w>"; }),
            "tokenizer.json: model.end_of_word_suffix \"</w>\" is not supported (byte-level BPE "
            "uses none)");
  EXPECT_EQ(errorFor([](J &j) { j["model"]["unk_token"] = "<unk>"; }),
            "tokenizer.json: model unk_token \"<unk>\" is not in the vocabulary");
  EXPECT_EQ(errorFor([](J &j) { j["model"]["vocab"]["x"] = -1; }),
            "tokenizer.json: model.vocab has token \"x\" with id -1; ids are integers 0 to 2^31-1");
  EXPECT_EQ(errorFor([](J &j) { j["model"].erase("vocab"); }),
            "tokenizer.json: model must have an object \"vocab\" (token → id)");
  EXPECT_EQ(errorFor([](J &j) { j["model"]["ignore_merges"] = "yes"; }),
            "tokenizer.json: model.ignore_merges must be true or false, got \"yes\"");
}

TEST(TokenizerRefusal, Merges) {
  using J = nlohmann::json;
  EXPECT_EQ(errorFor([](J &j) { j["model"]["merges"] = {"a b c"}; }),
            "tokenizer.json: model.merges[0] \"a b c\" is not two tokens separated by one space");
  EXPECT_EQ(errorFor([](J &j) { j["model"]["merges"] = {"\u0120 a", "a bc"}; }),
            "tokenizer.json: model merge 0 (\"\u0120 a\"): \"\u0120a\" is not in the vocabulary");
  EXPECT_EQ(errorFor([](J &j) {
              j["model"]["vocab"]["ab"] = 256;
              j["model"]["merges"] = {"a b", "a bc"};
            }),
            "tokenizer.json: model merge 1 (\"a bc\"): \"bc\" is not in the vocabulary");
  EXPECT_EQ(errorFor([](J &j) { j["model"]["merges"] = {"a b"}; }),
            "tokenizer.json: model merge 0 (\"a b\"): \"ab\" is not in the vocabulary");
  EXPECT_EQ(errorFor([](J &j) { j["model"]["merges"] = J::array({J::array({"a"})}); }),
            "tokenizer.json: model.merges[0] must be \"left right\" or [\"left\", \"right\"], "
            "got [\"a\"]");
}

TEST(TokenizerRefusal, PreTokenizers) {
  using J = nlohmann::json;
  EXPECT_EQ(errorFor([](J &j) { j["pre_tokenizer"] = {{"type", "Metaspace"}}; }),
            "tokenizer.json: pre_tokenizer \"Metaspace\" is not supported (byte-level BPE only: "
            "ByteLevel, Split, Digits, Sequence)");
  EXPECT_EQ(errorFor([](J &j) { j["pre_tokenizer"] = nullptr; }),
            "tokenizer.json: pre_tokenizer is missing; slimtune supports byte-level BPE only (a "
            "ByteLevel pre-tokenizer)");
  EXPECT_EQ(errorFor([](J &j) { j["pre_tokenizer"].erase("add_prefix_space"); }),
            "tokenizer.json: pre_tokenizer.add_prefix_space is missing");
  EXPECT_EQ(errorFor([](J &j) {
              j["pre_tokenizer"] = {{"type", "Sequence"},
                                    {"pretokenizers", {{{"type", "Digits"}}, j["pre_tokenizer"]}}};
            }),
            "tokenizer.json: pre_tokenizer.pretokenizers[0].individual_digits is missing");
  EXPECT_EQ(errorFor([](J &j) {
              j["pre_tokenizer"] = {{"type", "Sequence"},
                                    {"pretokenizers",
                                     {{{"type", "Split"}, {"pattern", {{"Regex", "("}}},
                                       {"behavior", "Isolated"}, {"invert", false}},
                                      j["pre_tokenizer"]}}};
            }),
            "tokenizer.json: pre_tokenizer.pretokenizers[0] invalid regular expression \"(\": "
            "missing closing parenthesis at offset 1");
  // PCRE2's \C (one byte) used to split "é" into single bytes; the ByteLevel regex then
  // matched past the end of a one-byte piece and encode() threw std::out_of_range.
  EXPECT_EQ(errorFor([](J &j) {
              j["pre_tokenizer"] = {{"type", "Sequence"},
                                    {"pretokenizers",
                                     {{{"type", "Split"}, {"pattern", {{"Regex", "a|\\C"}}},
                                       {"behavior", "Isolated"}, {"invert", false}},
                                      j["pre_tokenizer"]}}};
            }),
            "tokenizer.json: pre_tokenizer.pretokenizers[0] invalid regular expression \"a|\\C\": "
            "\\C is not supported");
  EXPECT_EQ(errorFor([](J &j) {
              j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "a"}}},
                                    {"behavior", "Sideways"}, {"invert", false}};
            }),
            "tokenizer.json: pre_tokenizer.behavior \"Sideways\" is not a split behavior");
  EXPECT_EQ(errorFor([](J &j) {
              j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "a"}}},
                                    {"behavior", "Isolated"}, {"invert", false}};
            }),
            "tokenizer.json: the pre-tokenizer has no ByteLevel step (slimtune supports "
            "byte-level BPE only)");
}

TEST(TokenizerRefusal, OtherComponents) {
  using J = nlohmann::json;
  EXPECT_EQ(errorFor([](J &j) { j["normalizer"] = {{"type", "NFC"}}; }),
            "tokenizer.json: normalizer \"NFC\" is not supported (slimtune implements no "
            "normalizer)");
  EXPECT_EQ(errorFor([](J &j) { j["decoder"] = {{"type", "WordPiece"}}; }),
            "tokenizer.json: decoder \"WordPiece\" is not supported (byte-level BPE only: "
            "ByteLevel)");
  EXPECT_EQ(errorFor([](J &j) { j["truncation"] = {{"max_length", 512}}; }),
            "tokenizer.json: truncation is set; slimtune encodes whole texts (set it to null)");
  EXPECT_EQ(errorFor([](J &j) { j["padding"] = {{"strategy", {{"Fixed", 512}}}}; }),
            "tokenizer.json: padding is set to pad to a fixed length; slimtune does not pad");
  EXPECT_EQ(errorFor([](J &j) { j["added_tokens"] = {{{"id", 5}}}; }),
            "tokenizer.json: added_tokens[0].content is missing");
}

TEST(TokenizerRefusal, HarmlessSettingsAreAccepted) {
  nlohmann::json json = TokenizerJson{}.json();
  json["normalizer"] = {{"type", "Sequence"}, {"normalizers", nlohmann::json::array()}};
  json["padding"] = {{"strategy", "BatchLongest"}};
  json["model"]["dropout"] = 0.0;
  json["model"]["continuing_subword_prefix"] = "";
  json["model"].erase("type"); // older files
  json["post_processor"] = {{"type", "TemplateProcessing"}};
  auto t = Tokenizer::fromHfJsonText(json.dump(), "tokenizer.json");
  EXPECT_TRUE(t.isOk()) << t.status().message();
}
