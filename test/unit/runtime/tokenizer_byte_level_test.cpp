// GPT-2's byte-level alphabet: the characters bytes become, and back.
#include "tokenizer/byte_level.h"

#include <gtest/gtest.h>

using namespace slimtune;

TEST(TokenizerByteLevel, PrintableBytesStandForThemselves) {
  EXPECT_EQ(byteLevelChar('a'), "a");
  EXPECT_EQ(byteLevelChar('!'), "!");
  EXPECT_EQ(byteLevelChar('~'), "~");
  EXPECT_EQ(byteLevelCodePoint(0xA1), 0xA1u); // '¡'
  EXPECT_EQ(byteLevelCodePoint(0xFF), 0xFFu); // 'ÿ'
}

TEST(TokenizerByteLevel, OtherBytesTakeCodePointsFrom0x100InOrder) {
  EXPECT_EQ(byteLevelCodePoint(0x00), 0x100u);
  EXPECT_EQ(byteLevelChar(' '), "\xc4\xa0");  // 'Ġ' U+0120: the 33rd such byte
  EXPECT_EQ(byteLevelChar('\n'), "\xc4\x8a"); // 'Ċ' U+010A
  EXPECT_EQ(byteLevelCodePoint(0x7F), 0x121u);
  EXPECT_EQ(byteLevelCodePoint(0xA0), 0x142u);
  EXPECT_EQ(byteLevelCodePoint(0xAD), 0x143u); // the soft hyphen, last of them
}

TEST(TokenizerByteLevel, EveryByteRoundTrips) {
  std::string all;
  for (int b = 0; b < 256; ++b) {
    all += static_cast<char>(b);
    EXPECT_EQ(byteOfByteLevelCodePoint(byteLevelCodePoint(static_cast<uint8_t>(b))), b);
  }
  EXPECT_EQ(fromByteLevel(toByteLevel(all)), all);
}

TEST(TokenizerByteLevel, CharactersOutsideTheAlphabetDoNotDecode) {
  EXPECT_EQ(fromByteLevel("a b"), std::nullopt);      // a raw space is not in the alphabet
  EXPECT_EQ(fromByteLevel("\xe4\xb8\xad"), std::nullopt); // '中'
  EXPECT_EQ(fromByteLevel("\xc0\xa1"), std::nullopt);  // an overlong '!'
  EXPECT_EQ(fromByteLevel("\xc4"), std::nullopt);      // cut short
  EXPECT_EQ(fromByteLevel("<|im_start|>"), "<|im_start|>");
}
