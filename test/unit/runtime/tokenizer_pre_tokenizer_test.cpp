// Pre-tokenizer steps, checked piece by piece against what Hugging Face `tokenizers` 0.23's
// pre_tokenize_str gives on the same steps (its pieces mapped back from the byte-level
// alphabet), and the Oniguruma-to-PCRE2 rewrite behind them.
#include "tokenizer/pre_tokenizer.h"

#include <gtest/gtest.h>

using namespace slimtune;

namespace {
using Pieces = std::vector<std::string>;

PreTokenizer make(std::vector<Expected<PreTokenizerStep>> steps) {
  std::vector<PreTokenizerStep> list;
  for (auto &s : steps) {
    EXPECT_TRUE(s.isOk()) << s.status().message();
    list.push_back(s.take());
  }
  auto p = PreTokenizer::create(std::move(list));
  EXPECT_TRUE(p.isOk()) << p.status().message();
  return p.take();
}

Pieces split(const PreTokenizer &p, std::string_view text) {
  PreTokenizerScratch scratch;
  std::vector<std::string_view> words;
  Status s = p.split(text, scratch, words);
  EXPECT_TRUE(s.isOk()) << s.message();
  return Pieces(words.begin(), words.end());
}

Expected<PreTokenizerStep> isolate(const std::string &pattern,
                                   SplitBehavior b = SplitBehavior::Isolated, bool invert = false) {
  return PreTokenizerStep::split(pattern, false, b, invert);
}
Expected<PreTokenizerStep> byteLevel(bool prefix = false, bool regex = true) {
  return PreTokenizerStep::byteLevel(prefix, regex);
}
} // namespace

TEST(TokenizerPreTokenizer, Gpt2Regex) {
  auto p = make({byteLevel()});
  EXPECT_EQ(split(p, "I'll DON'T  go 1234567 3.14 héllo\t\tworld\n\n  end  "),
            (Pieces{"I", "'ll", " DON", "'", "T", " ", " go", " 1234567", " 3", ".", "14",
                    " héllo", "\t", "\t", "world", "\n\n ", " end", "  "}));
}

TEST(TokenizerPreTokenizer, ByteLevelPrefixSpaceGoesOnEveryPiece) {
  EXPECT_EQ(split(make({byteLevel(true)}), "hello world"), (Pieces{" hello", " world"}));
  auto p = make({PreTokenizerStep::digits(true), byteLevel(true)});
  EXPECT_EQ(split(p, "ab12 c"), (Pieces{" ab", " 1", " 2", " c"}));
}

TEST(TokenizerPreTokenizer, DigitsIndividualAndContiguous) {
  // Arabic-Indic digits are numbers too (Rust's char::is_numeric).
  EXPECT_EQ(split(make({PreTokenizerStep::digits(true), byteLevel()}), "a 1234 b٣٤"),
            (Pieces{"a", " ", "1", "2", "3", "4", " b", "٣", "٤"}));
  EXPECT_EQ(split(make({PreTokenizerStep::digits(false), byteLevel(false, false)}), "a 1234 b٣٤x"),
            (Pieces{"a ", "1234", " b", "٣٤", "x"}));
}

TEST(TokenizerPreTokenizer, Llama3SplitIsCaseInsensitiveForContractions) {
  auto p = make({isolate("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
                         "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
                 byteLevel(false, false)});
  EXPECT_EQ(split(p, "I'LL go 1234567!!\n\n  x"),
            (Pieces{"I", "'LL", " go", " ", "123", "456", "7", "!!\n\n", " ", " x"}));
}

namespace {
struct BehaviorCase {
  SplitBehavior behavior;
  bool invert;
  Pieces onDashes, onLeadingDash; // "a-b--c-", "-x"
};
} // namespace

TEST(TokenizerPreTokenizer, SplitBehaviors) {
  using B = SplitBehavior;
  const BehaviorCase cases[] = {
      {B::Removed, false, {"a", "b", "c"}, {"x"}},
      {B::Removed, true, {"-", "-", "-", "-"}, {"-"}},
      {B::Isolated, false, {"a", "-", "b", "-", "-", "c", "-"}, {"-", "x"}},
      {B::Isolated, true, {"a", "-", "b", "-", "-", "c", "-"}, {"-", "x"}},
      {B::MergedWithPrevious, false, {"a-", "b-", "-", "c-"}, {"-", "x"}},
      {B::MergedWithPrevious, true, {"a", "-b", "-", "-c", "-"}, {"-x"}},
      {B::MergedWithNext, false, {"a", "-b", "-", "-c", "-"}, {"-x"}},
      {B::MergedWithNext, true, {"a-", "b-", "-", "c-"}, {"-", "x"}},
      {B::Contiguous, false, {"a", "-", "b", "--", "c", "-"}, {"-", "x"}},
      {B::Contiguous, true, {"a", "-", "b", "--", "c", "-"}, {"-", "x"}},
  };
  for (const BehaviorCase &c : cases) {
    auto p = make({isolate("-", c.behavior, c.invert), byteLevel(false, false)});
    EXPECT_EQ(split(p, "a-b--c-"), c.onDashes) << int(c.behavior) << " " << c.invert;
    EXPECT_EQ(split(p, "-x"), c.onLeadingDash) << int(c.behavior) << " " << c.invert;
  }
}

TEST(TokenizerPreTokenizer, LiteralPatternsMatchTheirText) {
  auto p = make({PreTokenizerStep::split(".", true, SplitBehavior::Removed, false),
                 byteLevel(false, false)});
  EXPECT_EQ(split(p, "a.b..c"), (Pieces{"a", "b", "c"}));
}

TEST(TokenizerPreTokenizer, EmptyMatchesFollowTheOnigCrate) {
  // An empty match where the previous one ended is skipped one character on, so the "x"
  // alternative never gets its turn: nothing is removed.
  auto p = make({isolate("(?=x)|x", SplitBehavior::Removed), byteLevel(false, false)});
  EXPECT_EQ(split(p, "axx"), (Pieces{"a", "x", "x"}));
}

TEST(TokenizerPreTokenizer, EscapesMeanWhatOnigurumaMeans) {
  // \s is White_Space: U+0085 is in, U+180E (Mongolian vowel separator) is not.
  auto spaces = make({isolate("\\s", SplitBehavior::Removed), byteLevel(false, false)});
  EXPECT_EQ(split(spaces, "a\u180eb c\u0085d"), (Pieces{"a\u180eb", "c", "d"}));
  // \b: '_' and combining marks are word characters.
  auto words = make({isolate("\\b"), byteLevel(false, false)});
  EXPECT_EQ(split(words, "ab_c d\u0301e-f"), (Pieces{"ab_c", " ", "d\u0301e", "-", "f"}));
  // Oniguruma counts the Latin-1 fractions and superscripts as word characters.
  EXPECT_EQ(split(words, "--\u00bdK a\u00bdb"), (Pieces{"--", "\u00bdK", " ", "a\u00bdb"}));
  // \h is a hexadecimal digit.
  auto hex = make({isolate("\\h+", SplitBehavior::Removed), byteLevel(false, false)});
  EXPECT_EQ(split(hex, "xx0fAgz"), (Pieces{"xx", "gz"}));
}

TEST(TokenizerPreTokenizer, RewriteKeepsOtherSyntax) {
  EXPECT_EQ(*onigurumaToPcre2("\\p{L}+|[^\\r\\n]|\\Q\\s\\E"), "\\p{L}+|[^\\r\\n]|\\Q\\s\\E");
  EXPECT_EQ(*onigurumaToPcre2("[\\s]"),
            "[\\t\\n\\x{0b}\\f\\r\\x{20}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}"
            "\\x{2029}\\x{202f}\\x{205f}\\x{3000}]");
  EXPECT_EQ(*onigurumaToPcre2("[]\\S[:alpha:]]"), "[]\\S\\x{180e}\\p{Alphabetic}]");
  EXPECT_EQ(*onigurumaToPcre2("\\u00e9|\\x{e9}"), "\\x{00e9}|\\x{e9}");
}

TEST(TokenizerPreTokenizer, RefusesWhatPcre2CannotReadTheOnigurumaWay) {
  auto nested = TokenizerRegex::compile("[a[bc]]");
  ASSERT_FALSE(nested.isOk());
  EXPECT_EQ(nested.status().message(),
            "invalid regular expression \"[a[bc]]\": nested character classes are not supported");
  auto intersection = TokenizerRegex::compile("[a-z&&[^aeiou]]");
  ASSERT_FALSE(intersection.isOk());
  EXPECT_EQ(TokenizerRegex::compile("[[:graph:]]").status().message(),
            "invalid regular expression \"[[:graph:]]\": [:graph:] is not supported");
  EXPECT_EQ(TokenizerRegex::compile("[\\Wa]").status().message(),
            "invalid regular expression \"[\\Wa]\": \\W inside a character class is not supported");
  EXPECT_EQ(TokenizerRegex::compile("\\C").status().message(),
            "invalid regular expression \"\\C\": \\C is not supported");
  auto broken = TokenizerRegex::compile("(");
  ASSERT_FALSE(broken.isOk());
  EXPECT_EQ(broken.status().message(),
            "invalid regular expression \"(\": missing closing parenthesis at offset 1");
}

TEST(TokenizerPreTokenizer, ByteLevelMustBeTheOneLastStep) {
  std::vector<PreTokenizerStep> none;
  none.push_back(isolate("a").take());
  EXPECT_EQ(PreTokenizer::create(std::move(none)).status().message(),
            "the pre-tokenizer has no ByteLevel step (slimtune supports byte-level BPE only)");
  std::vector<PreTokenizerStep> early;
  early.push_back(byteLevel().take());
  early.push_back(isolate("a").take());
  EXPECT_FALSE(PreTokenizer::create(std::move(early)).isOk());
  std::vector<PreTokenizerStep> two;
  two.push_back(byteLevel().take());
  two.push_back(byteLevel().take());
  EXPECT_EQ(PreTokenizer::create(std::move(two)).status().message(),
            "the pre-tokenizer has 2 ByteLevel steps; slimtune supports one");
}
