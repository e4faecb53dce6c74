// The byte-level alphabet. Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for
// themselves; the other 68 bytes, in increasing order, take U+0100, U+0101, ...
#include "tokenizer/byte_level.h"

#include <array>

namespace slimtune {
namespace {

bool standsForItself(unsigned b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

std::string utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else { // the alphabet stays below U+0800
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

struct Tables {
  std::array<uint32_t, 256> codePoint{};
  std::array<std::string, 256> text;
  std::array<int16_t, 0x200> byteOf{}; // every alphabet code point is below U+0200
  Tables() {
    byteOf.fill(-1);
    uint32_t next = 0x100;
    for (unsigned b = 0; b < 256; ++b) {
      codePoint[b] = standsForItself(b) ? b : next++;
      text[b] = utf8(codePoint[b]);
      byteOf[codePoint[b]] = static_cast<int16_t>(b);
    }
  }
};

const Tables &tables() {
  static const Tables t;
  return t;
}

} // namespace

uint32_t byteLevelCodePoint(uint8_t b) { return tables().codePoint[b]; }
const std::string &byteLevelChar(uint8_t b) { return tables().text[b]; }

std::optional<uint8_t> byteOfByteLevelCodePoint(uint32_t codePoint) {
  if (codePoint >= tables().byteOf.size() || tables().byteOf[codePoint] < 0)
    return std::nullopt;
  return static_cast<uint8_t>(tables().byteOf[codePoint]);
}

std::string toByteLevel(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes)
    out += tables().text[static_cast<uint8_t>(c)];
  return out;
}

std::optional<std::string> fromByteLevel(std::string_view token) {
  std::string out;
  size_t i = 0;
  while (i < token.size()) {
    auto c = static_cast<uint8_t>(token[i]);
    uint32_t cp;
    if (c < 0x80) {
      cp = c;
      i += 1;
    } else if (c >= 0xC2 && c <= 0xDF && i + 1 < token.size() &&
               (static_cast<uint8_t>(token[i + 1]) & 0xC0) == 0x80) {
      cp = ((c & 0x1Fu) << 6) | (static_cast<uint8_t>(token[i + 1]) & 0x3Fu);
      i += 2;
    } else {
      return std::nullopt; // three- and four-byte characters are outside the alphabet
    }
    auto b = byteOfByteLevelCodePoint(cp);
    if (!b)
      return std::nullopt;
    out += static_cast<char>(*b);
  }
  return out;
}

} // namespace slimtune
