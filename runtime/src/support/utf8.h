// UTF-8 validation for text inputs: data files are checked before tokenization so that an
// undecodable file is reported with a position instead of being tokenized into garbage.
#ifndef SLIMTUNE_SUPPORT_UTF8_H
#define SLIMTUNE_SUPPORT_UTF8_H

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace slimtune {

// The byte offset of the first byte that does not start a well-formed UTF-8 sequence
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or npos.
inline size_t firstInvalidUtf8(std::string_view text) {
  const auto *s = reinterpret_cast<const uint8_t *>(text.data());
  size_t n = text.size(), i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint8_t low = 0x80, high = 0xBF; // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF)
      length = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0)
        low = 0xA0; // overlong
      if (c == 0xED)
        high = 0x9F; // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0)
        low = 0x90; // overlong
      if (c == 0xF4)
        high = 0x8F; // above U+10FFFF
    } else
      return i;
    if (i + length > n || s[i + 1] < low || s[i + 1] > high)
      return i;
    for (size_t k = 2; k < length; ++k)
      if (s[i + k] < 0x80 || s[i + k] > 0xBF)
        return i;
    i += length;
  }
  return std::string_view::npos;
}

} // namespace slimtune

#endif // SLIMTUNE_SUPPORT_UTF8_H
